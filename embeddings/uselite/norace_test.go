//go:build !race

package uselite

// raceEnabled is true under the race detector, where tests use fewer texts.
const raceEnabled = false
