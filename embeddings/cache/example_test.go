package cache_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/embeddings/cache"
)

// letters is a toy embedder: the vector of a text counts its a, b and c.
type letters struct{ calls int }

func (l *letters) Model() string   { return "letters" }
func (l *letters) Dimensions() int { return 3 }
func (l *letters) Embed(_ context.Context, texts []string) ([][]float32, error) {
	l.calls++
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = []float32{float32(strings.Count(t, "a")) + 1, float32(strings.Count(t, "b")), float32(strings.Count(t, "c"))}
		if err := embeddings.Normalize(out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func ExampleNew() {
	inner := &letters{}
	e := cache.New(inner, cache.NewMemory(1000))
	ctx := context.Background()
	_, _ = e.Embed(ctx, []string{"abc", "aab"})
	_, _ = e.Embed(ctx, []string{"aab", "abc", "cab", "cab"})
	fmt.Println("calls of the inner embedder:", inner.calls)
	fmt.Printf("%+v\n", e.(*cache.Embedder).Stats())
	// Output:
	// calls of the inner embedder: 2
	// {Hits:2 Misses:3 Calls:2}
}
