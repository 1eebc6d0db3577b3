package openai

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEmbedBatchesAndKeepsOrder(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, suffix string // suffix is appended to the base URL given to the client
		batchSize, n         int
		wantSizes            []int
	}{
		{"default batch size, /v1", "/v1", "", 0, 150, []int{64, 64, 22}},
		{"trailing slash", "/v1", "/", 0, 150, []int{64, 64, 22}},
		{"no /v1 prefix", "", "", 0, 150, []int{64, 64, 22}},
		{"exact multiple", "/v1", "", 50, 150, []int{50, 50, 50}},
		{"one short batch", "/v1", "", 0, 3, []int{3}},
		{"batch of one", "/v1", "", 1, 4, []int{1, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const dims = 8
			f := newFake(t, tc.prefix, testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
				writeVectors(w, req, dims, nil)
			})
			cfg := testConfig(t, f)
			cfg.BaseURL += tc.suffix
			cfg.BatchSize = tc.batchSize
			c := newClient(t, cfg)
			in := texts(tc.n)
			got, err := c.Embed(context.Background(), in)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkVectors(t, got, in, dims)

			reqs := f.requests()
			var sizes []int
			var sent []string
			slices.SortFunc(reqs, func(a, b embReq) int { return slices.Index(in, a.Input[0]) - slices.Index(in, b.Input[0]) })
			for _, r := range reqs {
				sizes = append(sizes, len(r.Input))
				sent = append(sent, r.Input...)
				if r.Dimensions != nil {
					t.Errorf("dimensions %d sent, though not asked to", *r.Dimensions)
				}
			}
			if !slices.Equal(sizes, tc.wantSizes) {
				t.Errorf("batch sizes %v, want %v", sizes, tc.wantSizes)
			}
			if !slices.Equal(sent, in) {
				t.Errorf("batches do not hold the inputs in order: got %d texts %q..., want %q...", len(sent), sent[:min(3, len(sent))], in[:min(3, len(in))])
			}
			if got, want := c.Dimensions(), dims; got != want {
				t.Errorf("Dimensions() = %d after the first response, want %d", got, want)
			}
		})
	}
}

func TestRequestBody(t *testing.T) {
	for _, tc := range []struct {
		name     string
		key      string
		dims     int
		send     bool
		wantKeys []string
	}{
		{"key, no dimensions", testKey, 0, false, []string{"input", "model"}},
		{"no key (local server)", "", 0, false, []string{"input", "model"}},
		{"dimensions known but not sent", testKey, 6, false, []string{"input", "model"}},
		{"dimensions sent", testKey, 6, true, []string{"dimensions", "input", "model"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "/v1", tc.key, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
				writeVectors(w, req, 6, nil)
			})
			cfg := testConfig(t, f)
			cfg.Dimensions, cfg.SendDimensions = tc.dims, tc.send
			c := newClient(t, cfg)
			in := []string{"a paper title", "ünïcode ∑ text"}
			got, err := c.Embed(context.Background(), in)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkVectors(t, got, in, 6)
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.rawKeys) != 1 {
				t.Fatalf("%d requests, want 1", len(f.rawKeys))
			}
			if !slices.Equal(f.rawKeys[0], tc.wantKeys) {
				t.Errorf("body keys %v, want %v", f.rawKeys[0], tc.wantKeys)
			}
			if !slices.Equal(f.bodies[0].Input, in) {
				t.Errorf("input %q, want %q", f.bodies[0].Input, in)
			}
			if tc.send {
				if d := f.bodies[0].Dimensions; d == nil || *d != tc.dims {
					t.Errorf("dimensions %v, want %d", d, tc.dims)
				}
			}
		})
	}
}

func TestEmbedNothingSendsNothing(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
		writeVectors(w, req, 4, nil)
	})
	c := newClient(t, testConfig(t, f))
	for _, in := range [][]string{nil, {}} {
		got, err := c.Embed(context.Background(), in)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("Embed(%#v) = %v, %v; want an empty slice and no error", in, got, err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d requests for no input, want 0", n)
	}
}

func TestConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			const total = 12
			var inflight, maxInflight, arrived atomic.Int64
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
				now := inflight.Add(1)
				arrived.Add(1)
				for {
					if m := maxInflight.Load(); now <= m || maxInflight.CompareAndSwap(m, now) {
						break
					}
				}
				// Hold the request until the client has as many in flight as
				// it may (or no more will come), and then a while longer, so
				// that a client that sends too many at once shows it.
				deadline := time.Now().Add(5 * time.Second)
				for inflight.Load() < int64(limit) && arrived.Load() < total && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(20 * time.Millisecond)
				inflight.Add(-1)
				writeVectors(w, req, 4, nil)
			})
			cfg := testConfig(t, f)
			cfg.BatchSize, cfg.MaxConcurrency = 1, limit
			c := newClient(t, cfg)
			in := texts(total)
			got, err := c.Embed(context.Background(), in)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkVectors(t, got, in, 4)
			if got, want := maxInflight.Load(), int64(limit); got != want {
				t.Errorf("at most %d requests were in flight at once, want exactly %d", got, want)
			}
			if n := f.calls.Load(); n != total {
				t.Errorf("%d requests, want %d", n, total)
			}
		})
	}
}

// recordSleeps replaces c's sleep with one that records waits and returns
// at once (or with ctx's error).
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return waits
}

func TestRetryAfterIsHonoured(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		status   int
		header   map[string]string
		wantWait time.Duration
	}{
		{"429 seconds", 429, map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"429 HTTP date", 429, map[string]string{"Retry-After": now.Add(3 * time.Second).Format(http.TimeFormat)}, 3 * time.Second},
		{"429 date in the past", 429, map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{"429 retry-after-ms wins", 429, map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond},
		{"503 seconds", 503, map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{"429 without header: backoff", 429, nil, time.Millisecond},
		{"429 unparsable header: backoff", 429, map[string]string{"Retry-After": "soon"}, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, call int64) {
				if call == 1 {
					for k, v := range tc.header {
						w.Header().Set(k, v)
					}
					writeError(w, tc.status, "Rate limit reached for requests")
					return
				}
				writeVectors(w, req, 4, nil)
			})
			c := newClient(t, testConfig(t, f))
			c.now = func() time.Time { return now }
			c.jitter = func(d time.Duration) time.Duration { return d } // the bound itself
			waits := recordSleeps(c)
			in := texts(3)
			got, err := c.Embed(context.Background(), in)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkVectors(t, got, in, 4)
			if n := f.calls.Load(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
			if want := []time.Duration{tc.wantWait}; !slices.Equal(*waits, want) {
				t.Errorf("waited %v, want %v", *waits, want)
			}
		})
	}
}

func TestRetryAfterRealWait(t *testing.T) {
	// Without a fake clock: the second request comes no sooner than asked.
	const wait = 60 * time.Millisecond
	var first time.Time
	var gap time.Duration
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, call int64) {
		if call == 1 {
			first = time.Now()
			w.Header().Set("Retry-After-Ms", fmt.Sprint(wait.Milliseconds()))
			writeError(w, http.StatusTooManyRequests, "slow down")
			return
		}
		gap = time.Since(first)
		writeVectors(w, req, 4, nil)
	})
	c := newClient(t, testConfig(t, f))
	if _, err := c.Embed(context.Background(), texts(2)); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if gap < wait {
		t.Errorf("second request %v after the 429, want at least %v", gap, wait)
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
		w.Header().Set("Retry-After", "3600")
		writeError(w, http.StatusTooManyRequests, "quota exhausted")
	})
	c := newClient(t, testConfig(t, f))
	waits := recordSleeps(c)
	_, err := c.Embed(context.Background(), texts(2))
	if err == nil {
		t.Fatal("Embed succeeded against a server that asks to wait an hour")
	}
	for _, want := range []string{"batch 1 of 1 (inputs 0-1)", "rate limited (429)", "quota exhausted", "retry after 1h0m0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := f.calls.Load(); n != 1 || len(*waits) != 0 {
		t.Errorf("%d requests and waits %v, want 1 request and no wait", n, *waits)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int
		fail     func(w http.ResponseWriter)
	}{
		{"500 JSON", 1, func(w http.ResponseWriter) { writeError(w, 500, "internal") }},
		{"502 HTML from a proxy", 2, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html><body>Bad Gateway</body></html>")
		}},
		{"503 empty body", 1, func(w http.ResponseWriter) { w.WriteHeader(503) }},
		{"408", 1, func(w http.ResponseWriter) { writeError(w, 408, "request timeout") }},
		{"200 with a truncated body", 1, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			fmt.Fprint(w, `{"object":"list","data":[{"index":0,"embedd`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, call int64) {
				if call <= int64(tc.failures) {
					tc.fail(w)
					return
				}
				writeVectors(w, req, 5, nil)
			})
			c := newClient(t, testConfig(t, f))
			in := texts(4)
			got, err := c.Embed(context.Background(), in)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			checkVectors(t, got, in, 5)
			if got, want := f.calls.Load(), int64(tc.failures+1); got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	for _, tc := range []struct {
		maxRetries, wantCalls int
	}{{0, 6}, {2, 3}, {-1, 1}} {
		t.Run(fmt.Sprint("MaxRetries ", tc.maxRetries), func(t *testing.T) {
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, _ embReq, _ int64) {
				writeError(w, http.StatusServiceUnavailable, "overloaded")
			})
			cfg := testConfig(t, f)
			cfg.MaxRetries = tc.maxRetries
			c := newClient(t, cfg)
			_, err := c.Embed(context.Background(), texts(3))
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("error %v (%T), want a *BatchError", err, err)
			}
			if be.StatusCode != 503 || be.Attempts != tc.wantCalls {
				t.Errorf("status %d after %d attempts, want 503 after %d", be.StatusCode, be.Attempts, tc.wantCalls)
			}
			if got := f.calls.Load(); got != int64(tc.wantCalls) {
				t.Errorf("%d requests, want %d", got, tc.wantCalls)
			}
			for _, want := range []string{"batch 1 of 1 (inputs 0-2)", "server error (503)", "overloaded", f.baseURL() + "/embeddings"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		key      string
		wantAuth bool
		want     []string
		raw      string // a body not in OpenAI's error shape, if set
	}{
		{"401", 401, testKey, true, []string{"embeddings: openai: authentication failed (401) at BASEURL: check OPENAI_API_KEY", "Incorrect API key"}, ""},
		{"401 without key", 401, "", true, []string{"authentication failed (401) at BASEURL: check OPENAI_API_KEY (it is empty)"}, ""},
		{"403", 403, testKey, true, []string{"permission denied (403) at BASEURL", testModel}, ""},
		{"404", 404, testKey, false, []string{"batch 1 of 1 (inputs 0-2)", "not found (404) at BASEURL/embeddings", "OPENAI_BASE_URL", testModel}, ""},
		{"400", 400, testKey, false, []string{"batch 1 of 1 (inputs 0-2)", "request rejected (400)", "Incorrect API key"}, ""},
		{"422", 422, testKey, false, []string{"request rejected (422)"}, ""},
		{"413 TEI-style body", 413, testKey, false, []string{"request rejected (413)", `the server said: {"error":"Input validation error: batch size 64 > maximum allowed batch size 32","error_type":"Validation"}`},
			`{"error":"Input validation error: batch size 64 > maximum allowed batch size 32","error_type":"Validation"}`},
		{"400 plain text", 400, testKey, false, []string{"request rejected (400)", "the server said: bad things happened"}, "bad things\n\n  happened\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "/v1", tc.key, func(w http.ResponseWriter, _ *http.Request, _ embReq, _ int64) {
				w.Header().Set("Retry-After", "1") // must not tempt the client
				if tc.raw != "" {
					w.WriteHeader(tc.status)
					fmt.Fprint(w, tc.raw)
					return
				}
				writeError(w, tc.status, "Incorrect API key provided: sk-te****.")
			})
			c := newClient(t, testConfig(t, f))
			waits := recordSleeps(c)
			_, err := c.Embed(context.Background(), texts(3))
			if err == nil {
				t.Fatal("Embed succeeded")
			}
			for _, want := range tc.want {
				want = strings.ReplaceAll(want, "BASEURL", f.baseURL())
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			var ae *AuthError
			if got := errors.As(err, &ae); got != tc.wantAuth {
				t.Errorf("errors.As(err, *AuthError) = %v, want %v", got, tc.wantAuth)
			}
			if n := f.calls.Load(); n != 1 || len(*waits) != 0 {
				t.Errorf("%d requests and waits %v, want 1 request and no wait", n, *waits)
			}
		})
	}
}

func TestAuthErrorStopsOtherBatches(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, _ embReq, _ int64) {
		writeError(w, 401, "bad key")
	})
	cfg := testConfig(t, f)
	cfg.BatchSize, cfg.MaxConcurrency = 10, 2
	c := newClient(t, cfg)
	_, err := c.Embed(context.Background(), texts(200)) // 20 batches
	var ae *AuthError
	if !errors.As(err, &ae) || ae.StatusCode != 401 {
		t.Fatalf("error %v, want a 401 *AuthError", err)
	}
	// Each worker may have one request under way when the first 401 lands.
	if n := f.calls.Load(); n > int64(cfg.MaxConcurrency) {
		t.Errorf("%d requests after a 401, want at most %d", n, cfg.MaxConcurrency)
	}
}

func TestBadResponsesAreClearErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dims    int // Config.Dimensions
		respond func(w http.ResponseWriter, req embReq)
		wantIs  error
		want    []string
	}{
		{"511 dims for 512", 512, func(w http.ResponseWriter, req embReq) { writeVectors(w, req, 511, nil) },
			ErrDimensions, []string{"batch 1 of 1 (inputs 0-2)", "input 0 has 511 dimensions, want 512"}},
		{"one vector short in an unsized client", 0, func(w http.ResponseWriter, req embReq) {
			writeVectors(w, req, 8, func(items []embItem) []embItem { items[2].Embedding = items[2].Embedding[:7]; return items })
		}, ErrDimensions, []string{"input 2 has 7 dimensions, want 8"}},
		{"garbage JSON", 0, func(w http.ResponseWriter, req embReq) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, "<html>this is not the API you are looking for</html>")
		}, ErrBadResponse, []string{"batch 1 of 1 (inputs 0-2)", "not embeddings JSON", "invalid character '<'"}},
		{"wrong JSON type", 0, func(w http.ResponseWriter, req embReq) {
			fmt.Fprint(w, `{"data":[{"index":0,"embedding":"zzz"}]}`)
		}, ErrBadResponse, []string{"not embeddings JSON"}},
		{"too few vectors", 0, func(w http.ResponseWriter, req embReq) {
			writeVectors(w, req, 4, func(items []embItem) []embItem { return items[:2] })
		}, ErrBadResponse, []string{"batch 1 of 1 (inputs 0-2)", "2 vectors for 3 inputs"}},
		{"too many vectors", 0, func(w http.ResponseWriter, req embReq) {
			writeVectors(w, req, 4, func(items []embItem) []embItem { return append(items, items[0]) })
		}, ErrBadResponse, []string{"4 vectors for 3 inputs"}},
		{"no data at all", 0, func(w http.ResponseWriter, req embReq) { fmt.Fprint(w, `{"object":"list"}`) },
			ErrBadResponse, []string{"0 vectors for 3 inputs"}},
		{"duplicate index", 0, func(w http.ResponseWriter, req embReq) {
			writeVectors(w, req, 4, func(items []embItem) []embItem { items[1].Index = 0; return items })
		}, ErrBadResponse, []string{"index 0 appears twice"}},
		{"index out of range", 0, func(w http.ResponseWriter, req embReq) {
			writeVectors(w, req, 4, func(items []embItem) []embItem { items[2].Index = 3; return items })
		}, ErrBadResponse, []string{"vector 2 has index 3, outside 0-2"}},
		{"zero vector", 0, func(w http.ResponseWriter, req embReq) {
			writeVectors(w, req, 4, func(items []embItem) []embItem { items[1].Embedding = make([]float32, 4); return items })
		}, ErrBadResponse, []string{"input 1", "no direction"}},
		{"empty vectors", 0, func(w http.ResponseWriter, req embReq) { writeVectors(w, req, 0, nil) },
			ErrBadResponse, []string{"input 0", "no direction"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
				tc.respond(w, req)
			})
			cfg := testConfig(t, f)
			cfg.Dimensions = tc.dims
			c := newClient(t, cfg)
			_, err := c.Embed(context.Background(), texts(3))
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.wantIs)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := f.calls.Load(); n != 1 {
				t.Errorf("%d requests, want 1 (a bad response is not retried)", n)
			}
		})
	}
}

func TestLearntDimensionsAreEnforced(t *testing.T) {
	dims := atomic.Int64{}
	dims.Store(16)
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
		writeVectors(w, req, int(dims.Load()), nil)
	})
	c := newClient(t, testConfig(t, f))
	if got := c.Dimensions(); got != 0 {
		t.Fatalf("Dimensions() = %d before any response, want 0", got)
	}
	got, err := c.Probe(context.Background())
	if err != nil || got != 16 {
		t.Fatalf("Probe = %d, %v; want 16, nil", got, err)
	}
	if r := f.requests(); len(r) != 1 || !slices.Equal(r[0].Input, []string{ProbeText}) {
		t.Errorf("Probe sent %+v, want one request for %q", r, ProbeText)
	}
	dims.Store(15) // the server changes its model under us
	_, err = c.Embed(context.Background(), texts(70))
	if !errors.Is(err, ErrDimensions) || !strings.Contains(err.Error(), "has 15 dimensions, want 16") {
		t.Errorf("error %v, want a dimension mismatch 15 vs 16", err)
	}
}

func TestErrorNamesTheFailedBatch(t *testing.T) {
	in := texts(150)
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
		if slices.Contains(req.Input, in[100]) {
			writeError(w, 400, "input 36 is too long")
			return
		}
		writeVectors(w, req, 4, nil)
	})
	c := newClient(t, testConfig(t, f))
	_, err := c.Embed(context.Background(), in)
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want a *BatchError", err)
	}
	if be.Batch != 2 || be.Batches != 3 || be.First != 64 || be.Last != 127 || be.StatusCode != 400 {
		t.Errorf("got %+v, want batch 2 of 3, inputs 64-127, status 400", be)
	}
	if want := "embeddings: openai: batch 2 of 3 (inputs 64-127): request rejected (400)"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestCancelStopsWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		// block answers a request in a way that keeps the client waiting.
		block func(w http.ResponseWriter, r *http.Request)
	}{
		{"request under way", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"waiting out a Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "100")
			writeError(w, 429, "later")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arrived := make(chan struct{}, 100)
			f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, r *http.Request, _ embReq, _ int64) {
				arrived <- struct{}{}
				tc.block(w, r)
			})
			cfg := testConfig(t, f)
			cfg.BatchSize, cfg.MaxConcurrency = 10, 2
			c := newClient(t, cfg)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := c.Embed(ctx, texts(100))
				done <- err
			}()
			<-arrived
			if tc.name == "waiting out a Retry-After" {
				time.Sleep(20 * time.Millisecond) // let the client read the 429
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v, want one wrapping context.Canceled", err)
				}
				if !strings.HasPrefix(err.Error(), "embeddings: openai: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
			case <-time.After(20 * time.Second): // a hang guard, not a timing check
				t.Fatal("Embed did not return after cancel")
			}
			after := f.calls.Load()
			if after > int64(cfg.MaxConcurrency) {
				t.Errorf("%d requests made, want at most %d (the ones under way at cancel)", after, cfg.MaxConcurrency)
			}
		})
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, _ *http.Request, req embReq, _ int64) {
		writeVectors(w, req, 4, nil)
	})
	c := newClient(t, testConfig(t, f))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Embed(ctx, texts(3)); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d requests with a cancelled context, want 0", n)
	}
}

func TestCallerDeadlineIsNotRetried(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, r *http.Request, _ embReq, _ int64) {
		<-r.Context().Done()
	})
	c := newClient(t, testConfig(t, f)) // attempt timeout 60s: the caller's deadline comes first
	waits := recordSleeps(c)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Embed(ctx, texts(3))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want context.DeadlineExceeded", err)
	}
	var be *BatchError
	if errors.As(err, &be) {
		t.Errorf("error %v is a *BatchError; the caller's deadline is not a batch failure", err)
	}
	if n := f.calls.Load(); n > 1 || len(*waits) != 0 {
		t.Errorf("%d requests and waits %v, want at most 1 request and no wait", n, *waits)
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	f := newFake(t, "/v1", testKey, func(w http.ResponseWriter, r *http.Request, req embReq, call int64) {
		if call == 1 {
			<-r.Context().Done() // never answers: the client gives up on this attempt
			return
		}
		writeVectors(w, req, 4, nil)
	})
	cfg := testConfig(t, f)
	cfg.Timeout = 300 * time.Millisecond // ample for the second answer on a busy machine
	c := newClient(t, cfg)
	in := texts(3)
	got, err := c.Embed(context.Background(), in)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	checkVectors(t, got, in, 4)
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	// Always too slow: the error says so.
	f2 := newFake(t, "/v1", testKey, func(w http.ResponseWriter, r *http.Request, _ embReq, _ int64) {
		<-r.Context().Done()
	})
	cfg = testConfig(t, f2)
	cfg.Timeout, cfg.MaxRetries = 100*time.Millisecond, 1
	c = newClient(t, cfg)
	_, err = c.Embed(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "no complete response from "+f2.baseURL()+"/embeddings within 100ms") {
		t.Errorf("error %v, want a timeout error", err)
	}
	// Counted by the client: on a busy machine an attempt may time out
	// before the server has even seen it.
	var be *BatchError
	if !errors.As(err, &be) || be.Attempts != 2 || be.StatusCode != 0 {
		t.Errorf("error %#v, want a *BatchError after 2 attempts without a status", err)
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := newClient(t, Config{BaseURL: "http://" + addr + "/v1", Model: testModel, MaxRetries: 2})
	waits := recordSleeps(c)
	_, err = c.Embed(context.Background(), texts(2))
	var be *BatchError
	if !errors.As(err, &be) || be.Attempts != 3 || be.StatusCode != 0 {
		t.Fatalf("error %v, want a *BatchError after 3 attempts without a status", err)
	}
	if !strings.Contains(err.Error(), "cannot reach http://"+addr+"/v1/embeddings") {
		t.Errorf("error %q does not say which address it could not reach", err)
	}
	if len(*waits) != 2 {
		t.Errorf("waited %v, want 2 waits", *waits)
	}
	for i, w := range *waits {
		if bound := backoffBound(DefaultInitialBackoff, DefaultMaxBackoff, i); w < 0 || w > bound {
			t.Errorf("wait %d = %v, want within [0, %v]", i, w, bound)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no model", Config{}, "no model given"},
		{"blank model", Config{Model: "  "}, "no model given"},
		{"relative URL", Config{Model: "m", BaseURL: "localhost:11434/v1"}, "not an http(s) URL"},
		{"ftp URL", Config{Model: "m", BaseURL: "ftp://example.com/v1"}, "not an http(s) URL"},
		{"query", Config{Model: "m", BaseURL: "http://h/v1?x=1"}, "query or fragment"},
		{"negative dims", Config{Model: "m", Dimensions: -1}, "dimensions -1 is negative"},
		{"send dims without dims", Config{Model: "m", SendDimensions: true}, "needs a dimension count"},
		{"negative batch", Config{Model: "m", BatchSize: -1}, "batch size -1 is negative"},
		{"negative concurrency", Config{Model: "m", MaxConcurrency: -2}, "max concurrency -2 is negative"},
		{"negative timeout", Config{Model: "m", Timeout: -time.Second}, "timeout -1s is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) error %v, want one containing %q", tc.cfg, err, tc.want)
			}
		})
	}

	c, err := New(Config{Model: " text-embedding-3-small ", BaseURL: "http://localhost:11434/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model() != "text-embedding-3-small" || c.BaseURL() != "http://localhost:11434/v1" || c.Dimensions() != 0 {
		t.Errorf("Model, BaseURL, Dimensions = %q, %q, %d", c.Model(), c.BaseURL(), c.Dimensions())
	}
	d := c.cfg
	if d.BatchSize != 64 || d.MaxConcurrency != 4 || d.MaxRetries != 5 || d.Timeout != 60*time.Second ||
		d.InitialBackoff != 500*time.Millisecond || d.MaxBackoff != 30*time.Second {
		t.Errorf("defaults not filled in: %+v", d)
	}
	c, err = New(Config{Model: "m"})
	if err != nil || c.BaseURL() != DefaultBaseURL {
		t.Errorf("default base URL %q, %v; want %q", c.BaseURL(), err, DefaultBaseURL)
	}
}
