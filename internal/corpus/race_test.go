//go:build race

package corpus

// raceEnabled is true when the tests run with -race, which makes decoding
// much slower; long tests read less.
const raceEnabled = true
