package openai

import (
	"errors"
	"fmt"

	"github.com/recommend-dev/recommend/embeddings"
)

// ErrDimensions is wrapped by errors about vectors of the wrong size.
var ErrDimensions = errors.New("wrong vector size")

// ErrBadResponse is wrapped by errors about a response that is not what the
// embeddings API promises: not JSON, or not one vector per input.
var ErrBadResponse = errors.New("bad response")

// BatchError reports a batch of inputs that could not be embedded. Its
// message names the batch and the inputs it held, for example
// "embeddings: openai: batch 2 of 3 (inputs 64-127): ...".
type BatchError struct {
	// Batch is the failed batch, counted from 1, of Batches.
	Batch, Batches int
	// First and Last are the indexes (from 0) of the batch's first and last
	// input in the slice given to Embed.
	First, Last int
	// Attempts is how many requests were sent for the batch.
	Attempts int
	// StatusCode is the HTTP status of the last response, or 0 when there
	// was none (timeout, connection error).
	StatusCode int
	// Err says why.
	Err error
}

// Error implements error.
func (e *BatchError) Error() string {
	s := fmt.Sprintf("embeddings: openai: batch %d of %d (%s): %v", e.Batch, e.Batches, inputRange(e.First, e.Last), e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns e.Err.
func (e *BatchError) Unwrap() error { return e.Err }

// Is reports a batch that the endpoint kept rate limiting (HTTP 429) as
// embeddings.ErrOverloaded: the caller may try again later.
func (e *BatchError) Is(target error) bool {
	return target == embeddings.ErrOverloaded && e.StatusCode == 429
}

// AuthError reports that the endpoint refused the API key (HTTP 401) or
// refused it the model (HTTP 403). It is never retried.
type AuthError struct {
	// StatusCode is 401 or 403.
	StatusCode int
	// BaseURL is the endpoint that refused.
	BaseURL string
	// Model is the model asked for.
	Model string
	// KeyEmpty is true when no API key was configured.
	KeyEmpty bool
	// Message is what the server said, if anything, shortened.
	Message string
}

// Error implements error.
func (e *AuthError) Error() string {
	var s string
	if e.StatusCode == 403 {
		s = fmt.Sprintf("embeddings: openai: permission denied (403) at %s: check that OPENAI_API_KEY may use model %q", e.BaseURL, e.Model)
	} else {
		s = fmt.Sprintf("embeddings: openai: authentication failed (%d) at %s: check OPENAI_API_KEY", e.StatusCode, e.BaseURL)
	}
	if e.KeyEmpty {
		s += " (it is empty)"
	}
	if e.Message != "" {
		s += "; the server said: " + e.Message
	}
	return s
}

// inputRange names the inputs first to last: "inputs 64-127" or "input 3".
func inputRange(first, last int) string {
	if first == last {
		return fmt.Sprintf("input %d", first)
	}
	return fmt.Sprintf("inputs %d-%d", first, last)
}
