package uselite

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
)

// reference is testdata/use-lite-reference.json: texts with the ids and
// vectors that the npm package's own TensorFlow.js code produced.
type reference struct {
	Model string `json:"model"`
	Dims  int    `json:"dims"`
	Cases []struct {
		Text      string    `json:"text"`
		Tokens    []int     `json:"tokens"`
		Embedding []float32 `json:"embedding"`
	} `json:"cases"`
}

func loadReference(tb testing.TB) reference {
	tb.Helper()
	raw, err := os.ReadFile("testdata/use-lite-reference.json")
	if err != nil {
		tb.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		tb.Fatalf("parsing reference: %v", err)
	}
	if len(ref.Cases) == 0 || ref.Dims != Dimensions {
		tb.Fatalf("reference has %d cases of %d dims", len(ref.Cases), ref.Dims)
	}
	return ref
}

var (
	testEncoderOnce sync.Once
	testEncoder     *Encoder
	testEncoderErr  error
)

// encoder returns an Encoder shared by the tests of this package.
func encoder(tb testing.TB) *Encoder {
	tb.Helper()
	testEncoderOnce.Do(func() { testEncoder, testEncoderErr = New() })
	if testEncoderErr != nil {
		tb.Fatalf("New: %v", testEncoderErr)
	}
	return testEncoder
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestReferenceTokens checks the ids of the 28 reference texts.
func TestReferenceTokens(t *testing.T) {
	e := encoder(t)
	for i, c := range loadReference(t).Cases {
		if got := e.Tokenize(c.Text); !slices.Equal(got, c.Tokens) {
			t.Errorf("case %d %.40q: Tokenize =\n%v\nwant\n%v\npieces %q", i, c.Text, got, c.Tokens, e.Pieces(c.Text))
		}
	}
}

// TestReferenceEmbeddings compares with the vectors the package's own
// TensorFlow.js code produced. That code clips every text to its first
// MaxPieces pieces, so the long texts are compared with EmbedTruncated.
func TestReferenceEmbeddings(t *testing.T) {
	e := encoder(t)
	ref := loadReference(t)
	texts := make([]string, len(ref.Cases))
	for i, c := range ref.Cases {
		texts[i] = c.Text
	}
	got, err := e.EmbedTruncated(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	minCos, maxDiff := 1.0, 0.0
	for i, c := range ref.Cases {
		cos := cosine(got[i], c.Embedding)
		minCos = min(minCos, cos)
		maxDiff = max(maxDiff, maxAbsDiff(got[i], c.Embedding))
		if cos < 0.9999 {
			t.Errorf("case %d %.40q (%d pieces): cosine to reference = %.6f, want >= 0.9999", i, c.Text, len(c.Tokens), cos)
		}
	}
	// Embed gives the same vectors for texts of at most MaxPieces pieces.
	full, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	short := 0
	for i, c := range ref.Cases {
		if len(c.Tokens) > MaxPieces {
			continue
		}
		short++
		if cos := cosine(full[i], c.Embedding); cos < 0.9999 {
			t.Errorf("case %d %.40q: Embed's cosine to reference = %.6f, want >= 0.9999", i, c.Text, cos)
		}
	}
	if short < 10 {
		t.Errorf("only %d reference texts of at most %d pieces", short, MaxPieces)
	}
	t.Logf("over %d cases: min cosine %.10f (1 - %.2g), max |difference| %.2g", len(ref.Cases), minCos, 1-minCos, maxDiff)
}
