package openai

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// OnRetry sees every retry with the failed attempt's status; OnError sees
// each batch that failed for good exactly once, and nothing when a batch
// succeeds in the end.
func TestRetryAndErrorHooks(t *testing.T) {
	type event struct {
		batch, attempts, status int
	}
	for _, tc := range []struct {
		name       string
		failures   int // requests answered 500 before the first success
		status     int
		maxRetries int
		wantRetry  []event
		wantError  []event
	}{
		{name: "recovers after two 500s", failures: 2, status: 500, maxRetries: 3,
			wantRetry: []event{{1, 1, 500}, {1, 2, 500}}},
		{name: "429 until retries run out", failures: 100, status: 429, maxRetries: 2,
			wantRetry: []event{{1, 1, 429}, {1, 2, 429}}, wantError: []event{{1, 3, 429}}},
		{name: "400 is not retried", failures: 100, status: 400, maxRetries: 5,
			wantError: []event{{1, 1, 400}}},
		{name: "no failures, no events", failures: 0, maxRetries: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, call int64) {
				if call <= int64(tc.failures) {
					writeError(w, tc.status, "injected failure")
					return
				}
				writeVectors(w, req, 4, nil)
			})
			var (
				mu             sync.Mutex
				retries, fails []event
			)
			record := func(list *[]event) func(int, error) {
				return func(batch int, err error) {
					var be *BatchError
					if !errors.As(err, &be) {
						t.Errorf("hook got %T %v, want a *BatchError", err, err)
						return
					}
					mu.Lock()
					*list = append(*list, event{batch, be.Attempts, be.StatusCode})
					mu.Unlock()
				}
			}
			cfg := testConfig(t, f)
			cfg.MaxRetries = tc.maxRetries
			cfg.OnRetry = record(&retries)
			cfg.OnError = record(&fails)
			c := newClient(t, cfg)
			recordSleeps(c)
			_, err := c.Embed(context.Background(), texts(3))
			if (err != nil) != (len(tc.wantError) > 0) {
				t.Fatalf("Embed error %v, want an error: %v", err, len(tc.wantError) > 0)
			}
			if !slices.Equal(retries, tc.wantRetry) {
				t.Errorf("OnRetry calls %v, want %v", retries, tc.wantRetry)
			}
			if !slices.Equal(fails, tc.wantError) {
				t.Errorf("OnError calls %v, want %v", fails, tc.wantError)
			}
		})
	}
}

// A refused key is reported to OnError as the *AuthError Embed returns.
func TestErrorHookAuth(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, _ embReq, _ int64) {
		writeError(w, http.StatusUnauthorized, "bad key")
	})
	var got []error
	cfg := testConfig(t, f)
	cfg.OnError = func(_ int, err error) { got = append(got, err) }
	cfg.OnRetry = func(int, error) { t.Error("OnRetry called for a refused key") }
	c := newClient(t, cfg)
	_, err := c.Embed(context.Background(), texts(1))
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("Embed error %v, want an *AuthError", err)
	}
	if len(got) != 1 || got[0] != error(ae) {
		t.Errorf("OnError got %v, want exactly the returned error %v", got, ae)
	}
}

// A batch stopped by the caller's context is not reported as an error.
func TestErrorHookNotCalledOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, _ embReq, _ int64) {
		cancel()
		writeError(w, http.StatusInternalServerError, "down")
	})
	cfg := testConfig(t, f)
	cfg.OnError = func(_ int, err error) { t.Errorf("OnError called after cancellation: %v", err) }
	c := newClient(t, cfg)
	if _, err := c.Embed(ctx, texts(1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Embed error %v, want context.Canceled", err)
	}
}
