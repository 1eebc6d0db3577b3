package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/limit"
)

func TestRateLimit(t *testing.T) {
	h := testServer(t, Config{RateLimit: 0.5, RateBurst: 3})
	get := func(remote string, hdr map[string]string, target string) int {
		t.Helper()
		return serve(t, h, call{method: "GET", target: target, remote: remote, header: hdr}).Code
	}
	const a, b = "192.0.2.10:5000", "192.0.2.11:5000"
	for i := range 3 {
		if got := get(a, nil, "/v1/papers/test:01"); got != 200 {
			t.Fatalf("request %d of the burst: status %d, want 200", i+1, got)
		}
	}
	rec := serve(t, h, call{method: "GET", target: "/v1/papers/test:01", remote: a})
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("request past the burst: status %d, want 429", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2 (one request per 2 s)", got)
	}
	if e := errorShape(t, rec); e.Code != errs.RateLimited || e.Type != "rate_limit_error" {
		t.Errorf("429 error %+v, want code %s, type rate_limit_error", e, errs.RateLimited)
	}
	// Another client has its own budget; a forged X-Forwarded-For does not
	// buy a new one.
	if got := get(b, nil, "/v1/papers/test:01"); got != 200 {
		t.Errorf("another client: status %d, want 200", got)
	}
	if got := get(a, map[string]string{"X-Forwarded-For": "203.0.113.9"}, "/v1/papers/test:01"); got != 429 {
		t.Errorf("same client with a forged X-Forwarded-For: status %d, want 429", got)
	}
	// Health checks and metrics are never limited.
	for _, p := range []string{"/healthz", "/readyz"} {
		if got := get(a, nil, p); got != 200 {
			t.Errorf("GET %s from a limited client: status %d, want 200", p, got)
		}
	}
}

// Behind a trusted proxy (a private address), clients are told apart by
// X-Forwarded-For.
func TestRateLimitTrustProxy(t *testing.T) {
	h := testServer(t, Config{RateLimit: 0.1, RateBurst: 1, TrustProxy: true})
	const proxy = "10.0.0.2:40000"
	first := serve(t, h, call{method: "GET", target: "/healthz", remote: proxy}).Code
	for i, c := range []struct {
		xff  string
		want int
	}{{"203.0.113.1", 200}, {"203.0.113.1", 429}, {"203.0.113.2", 200}} {
		got := serve(t, h, call{method: "GET", target: "/v1/models", remote: proxy, header: map[string]string{"X-Forwarded-For": c.xff}}).Code
		if got != c.want {
			t.Errorf("request %d from %s via the proxy: status %d, want %d", i+1, c.xff, got, c.want)
		}
	}
	if first != 200 {
		t.Errorf("GET /healthz: %d", first)
	}
}

func TestBodyAndBatchLimits(t *testing.T) {
	h := testServer(t, Config{BodyLimit: "64K"})
	manyInputs, _ := json.Marshal(map[string]any{"model": "test-hash", "input": make([]string, 2049)})
	manyPapers := `{"papers":[` + strings.TrimSuffix(strings.Repeat(`{"id":"x","title":"t","abstract":"a"},`, 1001), ",") + `]}`
	for _, tc := range []struct {
		name     string
		c        call
		want     int
		wantCode string
	}{
		{"body over the limit", call{method: "POST", target: "/v1/papers", body: `{"id":"big","title":"t","abstract":"` + strings.Repeat("a", 70<<10) + `"}`}, 413, errs.TooLarge},
		{"too many embedding inputs", call{method: "POST", target: "/v1/embeddings", body: string(manyInputs)}, 400, errs.Invalid},
		{"too many papers in a batch", call{method: "POST", target: "/v1/papers", body: manyPapers}, 413, errs.TooLarge},
		{"search text too long", call{method: "GET", target: "/v1/search?q=" + strings.Repeat("a", 2001)}, 400, errs.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, h, tc.c)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d; body %.300s", rec.Code, tc.want, rec.Body)
			}
			if e := errorShape(t, rec); e.Code != tc.wantCode {
				t.Errorf("error code %q, want %q (%s)", e.Code, tc.wantCode, e.Message)
			}
		})
	}
}

// blocking is the hash embedder, but once armed every call waits until
// release is closed.
type blocking struct {
	hashEmbedder
	armed   *atomic.Bool
	release chan struct{}
	started chan struct{}
}

func (b blocking) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if b.armed.Load() {
		b.started <- struct{}{}
		select {
		case <-b.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return b.hashEmbedder.Embed(ctx, texts)
}

// With the one embedding slot taken, a search is a 503 in the error shape
// with Retry-After, while reads that embed nothing still work.
func TestBusyEmbedder(t *testing.T) {
	b := blocking{hashEmbedder: hashEmbedder{dims: 32}, armed: &atomic.Bool{}, release: make(chan struct{}), started: make(chan struct{}, 10)}
	eng, _ := testEngine(t, limit.New(b, limit.Config{MaxConcurrent: 1, MaxQueue: -1}))
	h := testServer(t, Config{Engine: eng})
	b.armed.Store(true)

	first := make(chan int, 1)
	go func() { first <- serve(t, h, call{method: "GET", target: "/v1/search?q=protein+folding"}).Code }()
	<-b.started

	rec := serve(t, h, call{method: "GET", target: "/v1/search?q=galaxy"})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("search while the slot is taken: status %d, want 503; body %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got == "" {
		t.Error("503 without Retry-After")
	}
	if e := errorShape(t, rec); e.Code != errs.Unavailable || !strings.Contains(e.Message, "busy") {
		t.Errorf("503 error %+v, want code %s saying the server is busy", e, errs.Unavailable)
	}
	rec = serve(t, h, call{method: "POST", target: "/v1/embeddings", body: `{"model":"test-hash","input":["a","b"]}`})
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("embeddings while the slot is taken: status %d, want 503", rec.Code)
	}
	if got := serve(t, h, call{method: "GET", target: "/v1/papers/test:01/related"}).Code; got != 200 {
		t.Errorf("related (no embedding) while the slot is taken: status %d, want 200", got)
	}
	close(b.release)
	if got := <-first; got != 200 {
		t.Errorf("the search holding the slot: status %d, want 200", got)
	}
}

// A client that sends its header a byte at a time is cut off after
// ReadHeaderTimeout, while other clients are served meanwhile.
func TestSlowClient(t *testing.T) {
	eng, _ := testEngine(t, nil)
	srv := NewServer(Config{Addr: "127.0.0.1:0", Engine: eng, Logger: slog.New(slog.DiscardHandler), ReadHeaderTimeout: 300 * time.Millisecond})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })

	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() {
		// Read until the server hangs up.
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		partial := "GET /v1/papers HTTP/1.1\r\nHost: x\r\nX-Slow: "
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{partial[i%len(partial)]}); err != nil {
				return
			}
		}
	})
	// Meanwhile a normal client is served.
	resp, err := http.Get("http://" + srv.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a normal client during the slow one: status %d", resp.StatusCode)
	}
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the server kept the slow client's connection open for 20 s; ReadHeaderTimeout is 300 ms")
	}
	close(stop)
	wg.Wait()
}

// A client that sends its body slowly is cut off after ReadTimeout.
func TestSlowBody(t *testing.T) {
	eng, _ := testEngine(t, nil)
	srv := NewServer(Config{Addr: "127.0.0.1:0", Engine: eng, Logger: slog.New(slog.DiscardHandler), ReadTimeout: 300 * time.Millisecond})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "connection closed: " + err.Error()
			return
		}
		resp.Body.Close()
		answered <- resp.Status
	}()
	for i := 0; ; i++ {
		select {
		case got := <-answered:
			t.Logf("slow body: %s", got)
			// The handler's read fails (400) or the connection is closed:
			// either way the server stopped waiting for the body.
			if !strings.HasPrefix(got, "400") && !strings.HasPrefix(got, "connection closed") {
				t.Errorf("slow body: %s, want a 400 or a closed connection", got)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if i > 400 {
			t.Fatal("the server waited 20 s for a body; ReadTimeout is 300 ms")
		}
		conn.Write([]byte(" "))
	}
}

// The server's http.Server takes the configured limits, and defaults for
// zero values.
func TestServerLimitsConfig(t *testing.T) {
	eng, _ := testEngine(t, nil)
	s := NewServer(Config{Engine: eng, ReadTimeout: 3 * time.Second, MaxHeaderBytes: 1234})
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"ReadTimeout", s.srv.ReadTimeout, 3 * time.Second},
		{"ReadHeaderTimeout", s.srv.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"WriteTimeout", s.srv.WriteTimeout, DefaultWriteTimeout},
		{"IdleTimeout", s.srv.IdleTimeout, DefaultIdleTimeout},
		{"MaxHeaderBytes", s.srv.MaxHeaderBytes, 1234},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
