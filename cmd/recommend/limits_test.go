package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/errs"
)

// The per-client rate limit through the binary: a burst passes, the next
// request is a 429 in the error shape with Retry-After; health checks are
// never limited.
func TestE2ERateLimit(t *testing.T) {
	s := startService(t, t.TempDir(), "--rate-limit", "1", "--rate-burst", "5")
	// The burst, then at most a refill or two while the requests run.
	ok, limited := 0, 0
	var last answer
	for range 12 {
		a := request(t, "GET", s.URL+"/v1/models", nil, nil)
		switch a.status {
		case 200:
			ok++
		case 429:
			limited++
			last = a
		default:
			t.Fatalf("GET /v1/models: status %d", a.status)
		}
	}
	if ok < 5 || ok > 7 || limited == 0 {
		t.Fatalf("12 quick requests at 1/s with bursts of 5: %d passed, %d limited; want 5 to 7 to pass", ok, limited)
	}
	if got := last.header.Get("Retry-After"); got != "1" {
		t.Errorf("429 Retry-After %q, want 1", got)
	}
	if e := last.errorBody(t); e.Code != errs.RateLimited {
		t.Errorf("429 error code %q, want %q", e.Code, errs.RateLimited)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if a := request(t, "GET", s.URL+p, nil, nil); a.status != 200 {
			t.Errorf("GET %s while limited: status %d, want 200", p, a.status)
		}
	}
	m := scrape(t, s.URL, nil)
	if got := sumSeries(m, "recommend_http_requests_total", `code="429"`); got != float64(limited) {
		t.Errorf("metrics count %v 429s, want %d", got, limited)
	}
}

// Body size, number of inputs and slow clients through the binary.
func TestE2ERequestLimits(t *testing.T) {
	s := startService(t, t.TempDir(), "--body-limit", "32K", "--read-header-timeout", "500ms", "--read-timeout", "2s")
	t.Run("oversized body", func(t *testing.T) {
		p := testPapersN("big", 1)[0]
		p["abstract"] = strings.Repeat("long abstract ", 3000)
		a := request(t, "POST", s.URL+"/v1/papers", nil, p)
		if a.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", a.status)
		}
		if e := a.errorBody(t); e.Code != errs.TooLarge {
			t.Errorf("error code %q, want %q", e.Code, errs.TooLarge)
		}
	})
	t.Run("too many inputs", func(t *testing.T) {
		in := make([]string, 2049)
		for i := range in {
			in[i] = "x"
		}
		a := request(t, "POST", s.URL+"/v1/embeddings", nil, map[string]any{"model": "use-lite", "input": in})
		if a.status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400; %.200s", a.status, a.body)
		}
		if e := a.errorBody(t); e.Code != errs.Invalid || e.Param == nil || *e.Param != "input" {
			t.Errorf("error %+v, want an invalid_request about input", e)
		}
	})
	t.Run("oversized header", func(t *testing.T) {
		a := request(t, "GET", s.URL+"/healthz", map[string]string{"X-Junk": strings.Repeat("j", 80<<10)}, nil)
		if a.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("an 80 KiB header: status %d, want 431", a.status)
		}
	})
	t.Run("slowloris", func(t *testing.T) {
		// Many clients send their headers a byte every 100 ms; each is
		// cut off, and a normal client is served meanwhile.
		const slow = 40
		var wg sync.WaitGroup
		cut := make(chan time.Duration, slow)
		host := strings.TrimPrefix(s.URL, "http://")
		for range slow {
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			wg.Go(func() {
				start := time.Now()
				done := make(chan struct{})
				go func() {
					io.Copy(io.Discard, conn) // returns when the server hangs up
					close(done)
				}()
				partial := "GET /v1/papers HTTP/1.1\r\nHost: x\r\nX-Slow: "
				for i := 0; ; i++ {
					select {
					case <-done:
						cut <- time.Since(start)
						return
					case <-time.After(100 * time.Millisecond):
					}
					if i > 300 {
						cut <- -1 // still open after 30 s
						return
					}
					conn.Write([]byte{partial[i%len(partial)]})
				}
			})
		}
		for range 5 {
			if a := request(t, "GET", s.URL+"/v1/models", nil, nil); a.status != 200 {
				t.Errorf("a normal client among slow ones: status %d", a.status)
			}
		}
		wg.Wait()
		close(cut)
		var longest time.Duration
		for d := range cut {
			if d < 0 {
				t.Fatal("a slow client was still connected after 30 s; --read-header-timeout is 500ms")
			}
			longest = max(longest, d)
		}
		t.Logf("%d slow clients cut off, the last after %v", slow, longest.Round(10*time.Millisecond))
	})
}

// With one embedding slot and no queue, concurrent searches against a slow
// upstream get 503 with Retry-After instead of piling up; reads that embed
// nothing are unaffected, and the rejections are counted.
func TestE2EEmbedConcurrencyBound(t *testing.T) {
	up := newUpstream(t, 16)
	up.slow = 800 * time.Millisecond
	s := startService(t, t.TempDir(), up.openaiFlags("--bundled=false", "--max-embed-concurrency", "1", "--embed-queue", "0", "--openai-timeout", "10s")...)
	if a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": testPapersN("q", 5)}); a.status != 200 {
		t.Fatalf("seed: %d %s", a.status, a.body)
	}
	up.setPolicy(always(faultSlow))
	defer up.setPolicy(nil)
	const n = 6
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i] = request(t, "GET", s.URL+"/v1/search?q="+url.QueryEscape(fmt.Sprintf("slow query %d", i)), nil, nil)
		})
	}
	time.Sleep(200 * time.Millisecond)
	if a := request(t, "GET", s.URL+"/v1/papers/q:0001/related", nil, nil); a.status != 200 {
		t.Errorf("related (no embedding) during the flood: status %d", a.status)
	}
	wg.Wait()
	ok, busy := 0, 0
	for _, a := range answers {
		switch a.status {
		case 200:
			ok++
		case 503:
			busy++
			if a.header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if e := a.errorBody(t); e.Code != errs.Unavailable || !strings.Contains(e.Message, "busy") {
				t.Errorf("503 error %+v, want service_unavailable saying busy", e)
			}
		default:
			t.Errorf("search: status %d: %s", a.status, a.body)
		}
	}
	if ok == 0 || busy == 0 {
		t.Fatalf("%d searches at once with one slot: %d answered, %d busy; want some of each", n, ok, busy)
	}
	m := scrape(t, s.URL, nil)
	if got := sumSeries(m, "recommend_embed_rejected_total", `reason="queue_full"`); got != float64(busy) {
		t.Errorf("recommend_embed_rejected_total{queue_full} = %v, want %d", got, busy)
	}
	t.Logf("%d searches at once, 1 slot: %d answered, %d turned away with 503", n, ok, busy)
}
