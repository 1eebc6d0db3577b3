//go:build !race

package weaviate_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
