package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/synth"
)

// fault is what the fake upstream does with one request.
type fault int

const (
	faultNone      fault = iota
	fault500             // HTTP 500 with an OpenAI-style error body
	fault429             // HTTP 429 with retry-after-ms: 5
	faultSlow            // answers correctly, after upstream.slow
	faultClose           // closes the connection without answering
	faultGarbage         // HTTP 200 with a body that is not JSON (an HTML page)
	faultTruncated       // HTTP 200 with JSON cut off midway (the connection dropped)
	faultWrongDims       // HTTP 200 with vectors one dimension too long
)

func (f fault) String() string {
	return [...]string{"none", "500", "429", "slow", "close", "garbage", "truncated", "wrong-dims"}[f]
}

// upstream is a fake OpenAI-compatible embeddings server (internal/synth's)
// that injects faults as its policy decides, request by request.
type upstream struct {
	srv   *httptest.Server
	dims  int
	good  http.Handler
	wrong http.Handler
	slow  time.Duration

	mu     sync.Mutex
	policy func(n int64) fault // n counts requests from 1

	requests atomic.Int64
	inFlight atomic.Int64 // requests being handled
	inputs   atomic.Int64 // inputs answered correctly
	faults   [faultWrongDims + 1]atomic.Int64
}

// newUpstream starts a fake upstream of dims dimensions that answers every
// request correctly until setPolicy says otherwise.
func newUpstream(t testing.TB, dims int) *upstream {
	t.Helper()
	u := &upstream{dims: dims, good: synth.NewEmbeddingsHandler(dims), wrong: synth.NewEmbeddingsHandler(dims + 1), slow: time.Second}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

// waitIdle waits until no request is being handled, so that requests a
// killed or failed client left behind are counted before the next step.
func (u *upstream) waitIdle(t testing.TB) {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // let requests still on the wire arrive
	for deadline := time.Now().Add(10 * time.Second); u.inFlight.Load() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the fake upstream still handles %d requests after 10s", u.inFlight.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// baseURL is the value for --openai-base-url.
func (u *upstream) baseURL() string { return u.srv.URL + "/v1" }

// setPolicy sets what the upstream does from now on; nil means answer
// every request correctly.
func (u *upstream) setPolicy(p func(n int64) fault) {
	u.mu.Lock()
	u.policy = p
	u.mu.Unlock()
}

// always returns a policy that injects f into every request.
func always(f fault) func(int64) fault { return func(int64) fault { return f } }

// after returns a policy that answers requests up to and including n
// correctly (counting from the moment it is set) and injects f from then on.
func (u *upstream) after(n int64, f fault) func(int64) fault {
	start := u.requests.Load()
	return func(k int64) fault {
		if k-start <= n {
			return faultNone
		}
		return f
	}
}

// first returns a policy that injects f into the next n requests and then
// answers correctly.
func (u *upstream) first(n int64, f fault) func(int64) fault {
	start := u.requests.Load()
	return func(k int64) fault {
		if k-start <= n {
			return f
		}
		return faultNone
	}
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	u.inFlight.Add(1)
	defer u.inFlight.Add(-1)
	n := u.requests.Add(1)
	u.mu.Lock()
	p := u.policy
	u.mu.Unlock()
	f := faultNone
	if p != nil {
		f = p(n)
	}
	u.faults[f].Add(1)
	switch f {
	case fault500:
		writeUpstreamError(w, http.StatusInternalServerError, "injected server error")
		return
	case fault429:
		w.Header().Set("Retry-After-Ms", "5")
		writeUpstreamError(w, http.StatusTooManyRequests, "injected rate limit")
		return
	case faultSlow:
		select {
		case <-time.After(u.slow):
		case <-r.Context().Done():
			return
		}
	case faultClose:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case faultGarbage:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "<html><body><h1>It works!</h1></body></html>\n")
		return
	case faultTruncated:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"embedding":[0.1,0.2,`)
		return
	case faultWrongDims:
		u.wrong.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	u.good.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		var req struct {
			Input json.RawMessage `json:"input"`
		}
		if json.Unmarshal(body, &req) == nil {
			var many []string
			if json.Unmarshal(req.Input, &many) == nil {
				u.inputs.Add(int64(len(many)))
			} else {
				u.inputs.Add(1)
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func writeUpstreamError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "server_error", "param": nil, "code": nil}})
}

// openaiFlags are the serve/import flags that point recommend at u.
func (u *upstream) openaiFlags(extra ...string) []string {
	return append([]string{"--embedder", "openai", "--openai-base-url", u.baseURL(), "--model", "fake-embed", "--openai-api-key", ""}, extra...)
}

// answer is an HTTP answer read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errorBody decodes the one error shape, failing the test otherwise.
func (a answer) errorBody(t testing.TB) httpapi.ErrorBody {
	t.Helper()
	var er httpapi.ErrorResponse
	if err := json.Unmarshal(a.body, &er); err != nil || er.Error.Code == "" || er.Error.Message == "" {
		t.Fatalf("status %d: body is not the error shape: %.300s", a.status, a.body)
	}
	return er.Error
}

// request sends one request with optional headers and a body (a string,
// []byte or a value to encode as JSON).
func request(t testing.TB, method, url string, header map[string]string, body any) answer {
	t.Helper()
	a, err := tryRequest(method, url, header, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// tryRequest is request that returns transport errors.
func tryRequest(method, url string, header map[string]string, body any) (answer, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return answer{}, err
		}
		r = bytes.NewReader(buf)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// bearer is the header that carries key.
func bearer(key string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + key}
}

// scrape reads a server's /metrics into a map from series (name with its
// labels, as printed) to value.
func scrape(t testing.TB, baseURL string, header map[string]string) map[string]float64 {
	t.Helper()
	a := request(t, "GET", baseURL+"/metrics", header, nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", a.status, a.body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(a.body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// sumSeries adds the values of the series of metric name whose labels
// contain every one of the given label pairs (such as `code="502"`).
func sumSeries(m map[string]float64, name string, labels ...string) float64 {
	var sum float64
	for series, v := range m {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(series, l) {
				ok = false
				break
			}
		}
		if ok {
			sum += v
		}
	}
	return sum
}

// count5xx is the number of 5xx answers a server's metrics record.
func count5xx(m map[string]float64) float64 {
	var sum float64
	for series, v := range m {
		if strings.HasPrefix(series, "recommend_http_requests_total{") && strings.Contains(series, `code="5`) {
			sum += v
		}
	}
	return sum
}

// runBinary runs recommend with args to completion (at most a minute) and
// returns its standard output, standard error and exit code.
func runBinary(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run recommend %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// testPapersN returns n small papers with ids prefix:000...
func testPapersN(prefix string, n int) []map[string]string {
	topics := []string{"spiking neurons", "graph networks", "protein folding", "galaxy spectra", "language models", "sea ice", "quantum dots"}
	out := make([]map[string]string, n)
	for i := range out {
		topic := topics[i%len(topics)]
		out[i] = map[string]string{
			"id":       fmt.Sprintf("%s:%04d", prefix, i),
			"title":    fmt.Sprintf("Study %d of %s (%s)", i, topic, prefix),
			"abstract": fmt.Sprintf("We report experiment %d on %s and compare it with earlier work on %s.", i, topic, topics[(i+3)%len(topics)]),
		}
	}
	return out
}
