//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/synth"
)

// TestLoad is a load test of the running service over a large synthetic
// corpus, on loopback and bounded in time. It is skipped unless
// RECOMMEND_LOAD=1:
//
//	RECOMMEND_LOAD=1 go test ./cmd/recommend -run '^TestLoad$' -v -timeout 30m
//
// It writes RECOMMEND_LOAD_PAPERS (default 100000) synthetic papers with
// 512-dimensional vectors (internal/synth) straight into a data directory's
// store under the fake embeddings server's model name, starts the real
// binary on it with --embedder openai pointed at that fake server
// (synth.NewEmbeddingsHandler) and --bundled=false, then runs each endpoint
// with each number of concurrent clients in RECOMMEND_LOAD_CLIENTS (default
// "1,8,32": one client is the baseline without queueing) for
// RECOMMEND_LOAD_DURATION (default 10s): GET related and GET
// search in semantic and hybrid mode. Clients use net/http with keep-alive.
// Search texts are 500 held-out titles, embedded once beforehand so that
// the embeddings cache answers (the search/semantic/uncached line sends a
// new text each time: an embedding call and a cache write per request).
//
// It logs a table per line: requests/s, p50, p99 and max latency, errors
// (any transport error, non-200 status, or a body without the expected
// results; the test fails on any), the server's CPU time per request and
// the test process's (the clients'), the server's RSS, its garbage
// collections (from its /metrics) and the machine's load average at the
// start (other work on a shared machine shows there); and the server's
// start-up time and memory at rest. Vectors of stored papers are
// synth's, query vectors the fake server's hashed bags of words: the work
// per query is that of a real search, the relevance is not measured here.
func TestLoad(t *testing.T) {
	if os.Getenv("RECOMMEND_LOAD") != "1" {
		t.Skip("set RECOMMEND_LOAD=1 to run the load test (about 2.5 minutes and 2 GB of memory at 100k papers)")
	}
	cfg := loadConfigFromEnv(t)
	const dims = 512
	model := synth.EmbeddingsModel

	fake := httptest.NewServer(synth.NewEmbeddingsHandler(dims))
	defer fake.Close()

	dir := t.TempDir()
	c := synth.New(synth.Config{N: cfg.papers, Dims: dims, Seed: 21})
	t0 := time.Now()
	writeLoadStore(t, filepath.Join(dir, "recommend.db"), c, model)
	t.Logf("wrote %d papers of %d dimensions to the store in %v", cfg.papers, dims, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	s := startLoadService(t, dir, "--embedder", "openai", "--openai-base-url", fake.URL+"/v1", "--model", model, "--bundled=false")
	t.Logf("service ready with %d papers: start-up %v as logged, %v from process start", cfg.papers, s.ready, time.Since(t0).Round(time.Millisecond))
	if strings.Contains(s.logText(), "have no vector for the model") {
		t.Fatalf("the service re-embedded stored papers: the store's model does not match --model %s", model)
	}
	pid := s.cmd.Process.Pid
	rest := loadProcMemory(t, pid) + loadHeap(s.URL)
	t.Logf("server memory at rest after start-up: %s", rest)

	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true},
	}
	defer client.CloseIdleConnections()

	var queries []string
	for j := range 500 {
		queries = append(queries, c.Paper(cfg.papers+j).Title)
	}
	t0 = time.Now()
	warm := runLoad(t, client, s.URL, loadCell{name: "warm-up", clients: 8, total: len(queries)}, pid,
		func(_ *rand.Rand, i int) (string, func([]byte) error) {
			return s.URL + "/v1/search?limit=10&mode=semantic&q=" + url.QueryEscape(queries[i]), wantResults(10, "")
		})
	if warm.errors > 0 {
		t.Fatalf("embedding the %d search texts: %d errors, first: %s", len(queries), warm.errors, warm.firstErr)
	}
	t.Logf("embedded and cached %d search texts in %v", len(queries), time.Since(t0).Round(time.Millisecond))

	related := func(mode string) func(*rand.Rand, int) (string, func([]byte) error) {
		return func(r *rand.Rand, _ int) (string, func([]byte) error) {
			id := c.ID(r.IntN(cfg.papers))
			return s.URL + "/v1/papers/" + url.PathEscape(id) + "/related?limit=10&mode=" + mode, wantResults(10, id)
		}
	}
	search := func(mode string) func(*rand.Rand, int) (string, func([]byte) error) {
		return func(r *rand.Rand, _ int) (string, func([]byte) error) {
			q := queries[r.IntN(len(queries))]
			return s.URL + "/v1/search?limit=10&mode=" + mode + "&q=" + url.QueryEscape(q), wantResults(10, "")
		}
	}
	var results []loadResult
	for _, ep := range []struct {
		name string
		next func(*rand.Rand, int) (string, func([]byte) error)
	}{
		{"related/semantic", related("semantic")},
		{"related/hybrid", related("hybrid")},
		{"search/semantic", search("semantic")},
		{"search/hybrid", search("hybrid")},
	} {
		for _, n := range cfg.clients {
			res := runLoad(t, client, s.URL, loadCell{name: ep.name, clients: n, duration: cfg.duration}, pid, ep.next)
			t.Log(res)
			results = append(results, res)
		}
	}
	// New texts: each request embeds (one call to the fake server) and
	// writes the cache.
	var fresh sync.Map
	res := runLoad(t, client, s.URL, loadCell{name: "search/semantic/uncached", clients: 8, duration: cfg.duration}, pid,
		func(r *rand.Rand, i int) (string, func([]byte) error) {
			q := fmt.Sprintf("%s %d", queries[r.IntN(len(queries))], r.Uint64())
			if _, dup := fresh.LoadOrStore(q, true); dup {
				q += " again"
			}
			return s.URL + "/v1/search?limit=10&mode=semantic&q=" + url.QueryEscape(q), wantResults(10, "")
		})
	t.Log(res)
	results = append(results, res)

	peak := loadProcMemory(t, pid) + loadHeap(s.URL)
	var table strings.Builder
	fmt.Fprintf(&table, "load test: %d papers, %d dims, %v per line, GOMAXPROCS %d, %d CPUs\n", cfg.papers, dims, cfg.duration, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(&table, "| endpoint | clients | requests | req/s | p50 ms | p99 ms | max ms | errors | server CPU ms/req | client CPU ms/req | server RSS MB | GCs | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&table, "| %s | %d | %d | %.0f | %.2f | %.2f | %.1f | %d | %.2f | %.2f | %.0f | %d | %s |\n",
			r.name, r.clients, r.requests, r.rate(), r.pct(0.5), r.pct(0.99), r.pct(1), r.errors,
			r.perRequest(r.serverCPU), r.perRequest(r.clientCPU), float64(r.rssKB)/1024, r.gcs, r.loadavg)
	}
	fmt.Fprintf(&table, "server start-up (logged): %v; memory at rest: %s; at the end: %s\n", s.ready, rest, peak)
	t.Log("\n" + table.String())
	for _, r := range results {
		if r.errors > 0 {
			t.Errorf("%s with %d clients: %d errors of %d requests; first: %s", r.name, r.clients, r.errors, r.requests, r.firstErr)
		}
	}
}

// loadConfig is the size and length of a load test.
type loadConfig struct {
	papers   int
	duration time.Duration
	clients  []int
}

func loadConfigFromEnv(t *testing.T) loadConfig {
	t.Helper()
	cfg := loadConfig{papers: 100_000, duration: 10 * time.Second, clients: []int{1, 8, 32}}
	if v := os.Getenv("RECOMMEND_LOAD_PAPERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("RECOMMEND_LOAD_PAPERS=%q: want a number of papers >= 1000", v)
		}
		cfg.papers = n
	}
	if v := os.Getenv("RECOMMEND_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("RECOMMEND_LOAD_DURATION=%q: want a duration such as 20s", v)
		}
		cfg.duration = d
	}
	if v := os.Getenv("RECOMMEND_LOAD_CLIENTS"); v != "" {
		cfg.clients = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 1024 {
				t.Fatalf("RECOMMEND_LOAD_CLIENTS=%q: want numbers of clients 1..1024 separated by commas", v)
			}
			cfg.clients = append(cfg.clients, n)
		}
	}
	return cfg
}

// writeLoadStore writes papers [0, N) of c with their vectors under model
// to a new store at path, 1000 per transaction, and closes it.
func writeLoadStore(t *testing.T, path string, c *synth.Corpus, model string) {
	t.Helper()
	st, err := store.Open(path, &store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	workers := runtime.GOMAXPROCS(0)
	for lo := 0; lo < c.Len(); lo += 1000 {
		hi := min(lo+1000, c.Len())
		ps := make([]paper.Paper, hi-lo)
		vs := make([][]float32, hi-lo)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(ps); i += workers {
					ps[i], vs[i] = c.Paper(lo+i), c.Vector(lo+i, nil)
				}
			})
		}
		wg.Wait()
		if err := st.PutPapers(ps, model, vs); err != nil {
			t.Fatalf("store papers %d..%d: %v", lo, hi, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// wantResults checks a result list: exactly n results, none of them self.
func wantResults(n int, self string) func([]byte) error {
	return func(body []byte) error {
		var rl struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &rl); err != nil {
			return fmt.Errorf("decode %.100s: %v", body, err)
		}
		if len(rl.Data) != n {
			return fmt.Errorf("%d results, want %d", len(rl.Data), n)
		}
		for _, d := range rl.Data {
			if d.ID == self {
				return fmt.Errorf("the paper %s is among its own related papers", self)
			}
		}
		return nil
	}
}

// loadCell is one line of a load test: clients concurrent clients sending
// requests for duration, or total requests in all.
type loadCell struct {
	name     string
	clients  int
	duration time.Duration
	total    int
}

// loadResult is what one line measured.
type loadResult struct {
	loadCell
	requests  int
	errors    int
	firstErr  string
	elapsed   time.Duration
	lat       []time.Duration // sorted
	serverCPU time.Duration
	clientCPU time.Duration
	rssKB     int
	gcs       int    // the server's garbage collections during the line
	loadavg   string // the machine's 1-minute load average at the start
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r loadResult) pct(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return float64(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))].Microseconds()) / 1e3
}

func (r loadResult) perRequest(d time.Duration) float64 {
	if r.requests == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1e3 / float64(r.requests)
}

func (r loadResult) String() string {
	return fmt.Sprintf("%-26s clients=%-3d requests=%-6d %7.0f req/s  p50 %6.2f ms  p99 %7.2f ms  max %7.1f ms  errors %d  server CPU %.2f ms/req  client CPU %.2f ms/req  server RSS %.0f MB  GCs %d  load avg %s",
		r.name, r.clients, r.requests, r.rate(), r.pct(0.5), r.pct(0.99), r.pct(1), r.errors,
		r.perRequest(r.serverCPU), r.perRequest(r.clientCPU), float64(r.rssKB)/1024, r.gcs, r.loadavg)
}

// runLoad runs one cell: each client asks next for a URL and a check of the
// answer's body, sends the GET and records its latency.
func runLoad(t *testing.T, client *http.Client, base string, cell loadCell, pid int, next func(r *rand.Rand, i int) (string, func([]byte) error)) loadResult {
	t.Helper()
	var (
		mu      sync.Mutex
		res     = loadResult{loadCell: cell}
		counter int64
		wg      sync.WaitGroup
	)
	ctx := context.Background()
	if cell.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cell.duration)
		defer cancel()
	}
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		i := int(counter)
		counter++
		return i, cell.total == 0 || i < cell.total
	}
	res.loadavg = loadAverage()
	gc0 := loadMetric(base, "go_gc_duration_seconds_count")
	srv0, cli0 := loadProcCPU(t, pid), loadSelfCPU()
	start := time.Now()
	for w := range cell.clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(len(cell.name))))
			var lat []time.Duration
			errs, first := 0, ""
			for ctx.Err() == nil {
				i, ok := take()
				if !ok {
					break
				}
				u, check := next(r, i)
				t0 := time.Now()
				err := loadGet(ctx, client, u, check)
				if ctx.Err() != nil {
					break // cut off by the end of the cell: not counted
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					if errs == 0 {
						first = err.Error()
					}
					errs++
				}
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errors += errs
			if res.firstErr == "" {
				res.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.serverCPU, res.clientCPU = loadProcCPU(t, pid)-srv0, loadSelfCPU()-cli0
	res.requests = len(res.lat)
	slices.Sort(res.lat)
	res.rssKB = loadProcStatus(t, pid)["VmRSS"]
	res.gcs = int(loadMetric(base, "go_gc_duration_seconds_count") - gc0)
	return res
}

// loadGet sends one GET and checks the answer.
func loadGet(ctx context.Context, client *http.Client, u string, check func([]byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: read body: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %.200s", u, resp.StatusCode, body)
	}
	if err := check(body); err != nil {
		return fmt.Errorf("GET %s: %v", u, err)
	}
	return nil
}

// loadProcCPU is the CPU time (user and system, all threads) process pid
// has used, from /proc/PID/stat (in USER_HZ ticks, 100 a second on Linux).
func loadProcCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Logf("server CPU time not measured: %v", err)
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	rest := b[bytes.LastIndexByte(b, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100)
}

// loadSelfCPU is this process's CPU time.
func loadSelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadProcStatus returns the kB fields (VmRSS, VmHWM, ...) of
// /proc/PID/status.
func loadProcStatus(t *testing.T, pid int) map[string]int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Logf("server memory not measured: %v", err)
		return nil
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(v, " kB")))
		if err == nil {
			out[k] = n
		}
	}
	return out
}

// loadProcMemory describes the resident memory of process pid.
func loadProcMemory(t *testing.T, pid int) string {
	t.Helper()
	m := loadProcStatus(t, pid)
	return fmt.Sprintf("RSS %.0f MB (peak %.0f MB)", float64(m["VmRSS"])/1024, float64(m["VmHWM"])/1024)
}

// loadHeap returns the server's Go heap as its /metrics report it, or ""
// when they do not.
func loadHeap(base string) string {
	alloc, sys := loadMetric(base, "go_memstats_heap_alloc_bytes"), loadMetric(base, "go_memstats_heap_sys_bytes")
	if alloc == 0 {
		return ""
	}
	return fmt.Sprintf(", Go heap %.0f MB allocated of %.0f MB from the OS", alloc/1e6, sys/1e6)
}

// loadMetric returns the value of an unlabelled metric from the server's
// /metrics, or 0 when it is not there.
func loadMetric(base, name string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if n, v, ok := strings.Cut(sc.Text(), " "); ok && n == name {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// loadAverage is the machine's 1-minute load average, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// loadService is a running recommend binary whose log goes to a file, not
// a pipe: a test process busy with its clients must not hold the server up
// on a full pipe (startService reads the log through one).
type loadService struct {
	cmd     *exec.Cmd
	URL     string
	ready   time.Duration
	logPath string
}

func (s *loadService) logText() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// startLoadService starts `recommend serve` like startService and waits
// for its "ready" line; it is stopped with SIGINT at the end of the test.
func startLoadService(t *testing.T, dataDir string, args ...string) *loadService {
	t.Helper()
	s := &loadService{logPath: filepath.Join(t.TempDir(), "serve.log")}
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--log-format", "json", "--log-level", "info"}, args...)
	s.cmd = exec.Command(binary, full...)
	s.cmd.Stderr, s.cmd.Stdout = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start recommend: %v", err)
	}
	exited := make(chan struct{})
	go func() { s.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-exited
			t.Errorf("recommend did not stop within 30s of SIGINT")
		}
	})
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("recommend exited before it was ready:\n%s", s.logText())
		case <-time.After(50 * time.Millisecond):
		}
		for line := range strings.Lines(s.logText()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			switch rec["msg"] {
			case "listening":
				s.URL, _ = rec["addr"].(string)
			case "ready":
				s.ready, _ = time.ParseDuration(fmt.Sprint(rec["startup"]))
			}
		}
		if s.URL != "" && s.ready > 0 {
			return s
		}
	}
	t.Fatalf("recommend was not ready within 10 minutes:\n%s", s.logText())
	return nil
}
