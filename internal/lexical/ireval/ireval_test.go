package ireval

import (
	"math"
	"testing"
)

func TestEvaluate(t *testing.T) {
	rankings := map[string][]string{
		"q1": {"a", "b"},                                               // rank 1
		"q2": {"x", "b"},                                               // rank 2
		"q3": {"x", "y", "z", "w", "c"},                                // rank 5
		"q4": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "d"}, // rank 11: outside top 10
		"q5": nil,                                                      // nothing returned
	}
	cases := []Case{{"q1", "a"}, {"q2", "b"}, {"q3", "c"}, {"q4", "d"}, {"q5", "e"}}
	got := Evaluate(cases, func(q string) []string { return rankings[q] })
	want := Result{N: 5, R1: 1.0 / 5, MRR10: (1 + 0.5 + 0.2) / 5, R10: 3.0 / 5}
	if got.N != want.N || !near(got.R1, want.R1) || !near(got.MRR10, want.MRR10) || !near(got.R10, want.R10) {
		t.Errorf("Evaluate = %v, want %v", got, want)
	}
	if len(got.Misses) != 4 {
		t.Fatalf("got %d misses, want 4: %+v", len(got.Misses), got.Misses)
	}
	wantRanks := []int{2, 5, 0, 0}
	for i, m := range got.Misses {
		if m.Rank != wantRanks[i] {
			t.Errorf("miss %d (%s): rank %d, want %d", i, m.Query, m.Rank, wantRanks[i])
		}
	}
	if got.Misses[0].Got != "x" || got.Misses[3].Got != "" {
		t.Errorf("misses' top IDs = %q, %q; want \"x\", \"\"", got.Misses[0].Got, got.Misses[3].Got)
	}
}

func TestEvaluateEmpty(t *testing.T) {
	got := Evaluate(nil, func(string) []string { t.Fatal("rank called"); return nil })
	if got.N != 0 || got.R1 != 0 || got.MRR10 != 0 {
		t.Errorf("Evaluate(nil) = %v, want zeros", got)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
