//go:build race

package sgemm

// raceEnabled trims the test shapes: the race detector slows the Go loops
// (reference and portable kernel) about tenfold.
const raceEnabled = true
