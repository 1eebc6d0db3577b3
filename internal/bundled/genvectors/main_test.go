package main

import (
	"context"
	"math"
	"testing"

	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
)

// The shipped vectors are what the built-in encoder computes today: a
// sample of papers, re-embedded, matches them.
func TestShippedVectorsMatchEncoder(t *testing.T) {
	papers, err := bundled.Papers()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := uselite.New()
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := bundled.Vectors(enc.Model())
	if err != nil {
		t.Fatalf("no shipped vectors for %s: %v (run go generate ./internal/bundled)", enc.Model(), err)
	}
	sample := []int{0, len(papers) / 3, 2 * len(papers) / 3, len(papers) - 1}
	texts := make([]string, len(sample))
	for i, j := range sample {
		texts[i] = papers[j].Text()
	}
	got, err := enc.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range sample {
		if cos := cosine(got[i], shipped[j]); cos < 0.9999 {
			t.Errorf("paper %d (%s): cosine %.6f between the encoder and the shipped vector, want >= 0.9999", j, papers[j].ID, cos)
		}
	}
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}
