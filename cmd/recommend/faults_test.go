package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/errs"
)

// faultFlags configure retries so that a fault that lasts is given up on
// quickly: 2 retries, short backoffs, 300 ms per attempt.
var faultFlags = []string{"--openai-max-retries", "2", "--openai-backoff", "5ms", "--openai-max-backoff", "20ms", "--openai-timeout", "300ms"}

// Every kind of upstream fault, driven by the fake upstream, through the
// real binary: faults that may pass are retried as configured, then the
// caller gets a 502 in the one error shape that says what went wrong;
// faults that will not pass are not retried; a fault that passes within
// the retries is invisible to the caller. Metrics count the retries and
// the errors.
func TestE2EUpstreamFaults(t *testing.T) {
	up := newUpstream(t, 48)
	up.slow = time.Second // past the 300 ms attempt limit
	s := startService(t, t.TempDir(), up.openaiFlags(append([]string{"--bundled=false"}, faultFlags...)...)...)
	if a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": testPapersN("seed", 20)}); a.status != 200 {
		t.Fatalf("seed papers: status %d: %s", a.status, a.body)
	}

	for i, tc := range []struct {
		f        fault
		retried  bool
		wantText string // in the caller's error message
		// A rate limit that outlasts the retries is the service being
		// busy (503, try again later), not a broken upstream (502).
		status int
		code   string
	}{
		{fault500, true, "server error (500)", 502, errs.Upstream},
		{fault429, true, "rate limited (429)", 503, errs.Unavailable},
		{faultSlow, true, "no complete response", 502, errs.Upstream},
		{faultClose, true, "cannot reach", 502, errs.Upstream},
		{faultTruncated, true, "unexpected EOF", 502, errs.Upstream},
		{faultGarbage, false, "not embeddings JSON", 502, errs.Upstream},
		{faultWrongDims, false, "49 dimensions, want 48", 502, errs.Upstream},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			wantRequests := int64(1)
			if tc.retried {
				wantRequests = 3
			}
			before := scrape(t, s.URL, nil)
			up.setPolicy(always(tc.f))
			defer up.setPolicy(nil)

			// A search, an embeddings request and a write each fail the
			// same way.
			for _, c := range []struct {
				name, method, path string
				body               any
			}{
				{"search", "GET", "/v1/search?q=" + url.QueryEscape(fmt.Sprintf("fault probe %d", i)), nil},
				{"embeddings", "POST", "/v1/embeddings", map[string]any{"model": "fake-embed", "input": []string{fmt.Sprintf("embed probe %d", i)}}},
				{"put", "POST", "/v1/papers", testPapersN(fmt.Sprintf("fault%d", i), 1)[0]},
			} {
				r0 := up.requests.Load()
				a := request(t, c.method, s.URL+c.path, nil, c.body)
				if a.status != tc.status {
					t.Fatalf("%s: status %d, want %d; body %s", c.name, a.status, tc.status, a.body)
				}
				e := a.errorBody(t)
				if c.name == "search" {
					t.Logf("%s: %d %q", c.name, a.status, e.Message)
				}
				if e.Code != tc.code || e.Type != "api_error" || !strings.Contains(e.Message, tc.wantText) {
					t.Errorf("%s: error %+v, want code %s saying %q", c.name, e, tc.code, tc.wantText)
				}
				if host := strings.TrimPrefix(up.srv.URL, "http://"); strings.Contains(e.Message, host) {
					t.Errorf("%s: message %q names the upstream %s: that is for the log, not for callers", c.name, e.Message, host)
				}
				if tc.status == 503 && a.header.Get("Retry-After") == "" {
					t.Errorf("%s: 503 without Retry-After", c.name)
				}
				if tc.retried && !strings.Contains(e.Message, "gave up after 3 attempts") {
					t.Errorf("%s: message %q does not say how many attempts were made", c.name, e.Message)
				}
				if got := up.requests.Load() - r0; got != wantRequests {
					t.Errorf("%s: the upstream got %d requests, want %d", c.name, got, wantRequests)
				}
			}
			// The paper whose embedding failed was not stored.
			id := testPapersN(fmt.Sprintf("fault%d", i), 1)[0]["id"]
			if a := request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(id), nil, nil); a.status != http.StatusNotFound {
				t.Errorf("GET the paper whose embedding failed: status %d, want 404", a.status)
			}

			after := scrape(t, s.URL, nil)
			wantRetries := 0.0
			if tc.retried {
				wantRetries = 3 * 2 // three calls, two retries each
			}
			if got := sumSeries(after, "recommend_upstream_retries_total") - sumSeries(before, "recommend_upstream_retries_total"); got != wantRetries {
				t.Errorf("recommend_upstream_retries_total grew by %v, want %v", got, wantRetries)
			}
			if got := sumSeries(after, "recommend_upstream_errors_total") - sumSeries(before, "recommend_upstream_errors_total"); got != 3 {
				t.Errorf("recommend_upstream_errors_total grew by %v, want 3", got)
			}
			code := fmt.Sprintf(`code="%d"`, tc.status)
			if got := sumSeries(after, "recommend_http_requests_total", code) - sumSeries(before, "recommend_http_requests_total", code); got != 3 {
				t.Errorf("%d answers grew by %v in the metrics, want 3", tc.status, got)
			}
		})
	}

	// A fault that lasts fewer attempts than the retries allow is not seen
	// by the caller.
	for _, f := range []fault{fault500, fault429, faultSlow, faultClose} {
		t.Run("recovers from "+f.String(), func(t *testing.T) {
			up.setPolicy(up.first(2, f))
			defer up.setPolicy(nil)
			r0 := up.requests.Load()
			a := request(t, "GET", s.URL+"/v1/search?q="+url.QueryEscape("recovery after "+f.String()), nil, nil)
			if a.status != http.StatusOK {
				t.Fatalf("status %d, want 200 after two faults and a success; body %s", a.status, a.body)
			}
			if got := up.requests.Load() - r0; got != 3 {
				t.Errorf("the upstream got %d requests, want 3", got)
			}
		})
	}

	// The service itself never failed: health and reads kept working.
	if a := request(t, "GET", s.URL+"/readyz", nil, nil); a.status != 200 {
		t.Errorf("GET /readyz after the faults: %d", a.status)
	}
}

// A POST batch whose embedding fails half-way stores none of its papers;
// sending it again once the upstream is back stores all of them.
func TestE2EPostBatchFailsHalfway(t *testing.T) {
	up := newUpstream(t, 32)
	s := startService(t, t.TempDir(), up.openaiFlags(append([]string{"--bundled=false", "--batch-size", "10"}, faultFlags...)...)...)
	papers := testPapersN("half", 100) // 10 upstream requests of 10

	up.setPolicy(up.after(5, fault500))
	a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": papers})
	if a.status != http.StatusBadGateway {
		t.Fatalf("batch with a failing upstream: status %d, want 502; body %s", a.status, a.body)
	}
	if up.inputs.Load() == 0 {
		t.Fatal("no input was embedded before the fault: the test does not cut the batch half-way")
	}
	for _, p := range papers {
		if a := request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(p["id"]), nil, nil); a.status != http.StatusNotFound {
			t.Fatalf("paper %s of the failed batch: status %d, want 404 (nothing of a failed batch is stored)", p["id"], a.status)
		}
	}

	up.setPolicy(nil)
	if a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": papers}); a.status != 200 {
		t.Fatalf("the same batch again: status %d; body %s", a.status, a.body)
	}
	for _, p := range papers {
		if a := request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(p["id"]), nil, nil); a.status != 200 {
			t.Errorf("paper %s after the second try: status %d", p["id"], a.status)
		}
	}
	m := scrape(t, s.URL, nil)
	if got := sumSeries(m, "recommend_papers_stored_total", `source="api"`); got != 100 {
		t.Errorf("recommend_papers_stored_total{source=api} = %v, want 100", got)
	}
}
