package openai

import (
	"errors"
	"fmt"
	"testing"

	"github.com/recommend-dev/recommend/embeddings"
)

func TestBatchErrorIsOverloaded(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   bool
	}{{429, true}, {500, false}, {503, false}, {0, false}, {401, false}} {
		err := fmt.Errorf("embed: %w", &BatchError{Batch: 1, Batches: 1, StatusCode: tc.status, Err: errors.New("x")})
		if got := errors.Is(err, embeddings.ErrOverloaded); got != tc.want {
			t.Errorf("status %d: errors.Is(err, ErrOverloaded) = %v, want %v", tc.status, got, tc.want)
		}
	}
}
