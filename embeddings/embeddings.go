// Package embeddings turns text into vectors. It defines the Embedder
// interface, an adapter to chromem-go's EmbeddingFunc, and helpers shared by
// the embedders in its sub-packages: uselite (the pure-Go Universal Sentence
// Encoder Lite that ships with recommend) and openai (any OpenAI-compatible
// embeddings endpoint).
package embeddings

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/philippgille/chromem-go"
)

// Embedder turns texts into vectors: one L2-normalised vector of
// Dimensions() floats per input text, in input order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Model names the model; vectors of different models are never mixed.
	Model() string
	Dimensions() int
}

// ErrOverloaded is matched (errors.Is) by an Embed error that says the
// embedder is overloaded or rate limited, so that trying again later may
// succeed, as opposed to a fault that needs fixing.
var ErrOverloaded = errors.New("embeddings: the embedder is overloaded; try again later")

// TokenCounter is implemented by embedders that can say how many tokens
// (pieces) a text is, as reported in OpenAI's usage.prompt_tokens.
type TokenCounter interface {
	CountTokens(text string) int
}

// Normalize scales v to unit L2 length in place. It returns an error for a
// zero, NaN or infinite vector, which no sane embedder produces.
func Normalize(v []float32) error {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return errors.New("embeddings: vector has no direction (zero, NaN or Inf)")
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return nil
}

// EmbeddingFunc adapts e to chromem-go's EmbeddingFunc, embedding one text
// per call.
func EmbeddingFunc(e Embedder) chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		vs, err := e.Embed(ctx, []string{text})
		if err != nil {
			return nil, err
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("embeddings: %s returned %d vectors for 1 text", e.Model(), len(vs))
		}
		return vs[0], nil
	}
}
