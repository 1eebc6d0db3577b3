package openai

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey   = "sk-test-key"
	testModel = "test-embed-small"
)

// embReq is the body of an embeddings request as the fake server sees it.
type embReq struct {
	Input      []string `json:"input"`
	Model      string   `json:"model"`
	Dimensions *int     `json:"dimensions,omitempty"`
}

// fake is an OpenAI-compatible embeddings server for tests. Every request
// is checked (method, path, auth header, content type, JSON body) and then
// passed to handle with its number (from 1); handle writes the response.
type fake struct {
	t        testing.TB
	srv      *httptest.Server
	prefix   string // path prefix before /embeddings, such as "/v1"
	key      string // expected API key; "" means no Authorization header
	model    string
	calls    atomic.Int64
	mu       sync.Mutex
	bodies   []embReq
	rawKeys  [][]string // top-level keys of each body, sorted
	handle   func(w http.ResponseWriter, r *http.Request, req embReq, call int64)
	problems []string
}

// newFake starts a fake server; its base URL for a client is f.baseURL().
func newFake(t testing.TB, prefix, key string, handle func(w http.ResponseWriter, r *http.Request, req embReq, call int64)) *fake {
	t.Helper()
	f := &fake{t: t, prefix: prefix, key: key, model: testModel, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, p := range f.problems {
			t.Errorf("fake server: %s", p)
		}
	})
	return f
}

func (f *fake) baseURL() string { return f.srv.URL + f.prefix }

func (f *fake) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	call := f.calls.Add(1)
	if got, want := r.URL.Path, f.prefix+"/embeddings"; got != want {
		f.problem("request %d: path %q, want %q", call, got, want)
	}
	if r.Method != http.MethodPost {
		f.problem("request %d: method %s, want POST", call, r.Method)
	}
	auth := r.Header.Get("Authorization")
	if f.key == "" && auth != "" {
		f.problem("request %d: Authorization %q sent without a key", call, auth)
	}
	if f.key != "" && auth != "Bearer "+f.key {
		f.problem("request %d: Authorization %q, want %q", call, auth, "Bearer "+f.key)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.problem("request %d: Content-Type %q, want application/json", call, ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.problem("request %d: reading body: %v", call, err)
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		f.problem("request %d: body %q is not a JSON object: %v", call, body, err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var req embReq
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.problem("request %d: body %q: %v", call, body, err)
	}
	if req.Model != f.model {
		f.problem("request %d: model %q, want %q", call, req.Model, f.model)
	}
	if len(req.Input) == 0 {
		f.problem("request %d: no input", call)
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, req)
	f.rawKeys = append(f.rawKeys, keys)
	f.mu.Unlock()
	f.handle(w, r, req, call)
}

// requests returns the bodies received so far.
func (f *fake) requests() []embReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]embReq(nil), f.bodies...)
}

// vecFor is the fake model: a deterministic, never-zero vector for text.
func vecFor(text string, dims int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	s := h.Sum64()
	v := make([]float32, dims)
	for i := range v {
		s = s*6364136223846793005 + 1442695040888963407
		v[i] = float32(s>>40)/float32(1<<24) + 0.01
	}
	return v
}

// unitVecFor is vecFor(text, dims) scaled to unit length.
func unitVecFor(text string, dims int) []float32 {
	v := vecFor(text, dims)
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// embItem is one element of a response's data.
type embItem struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float32 `json:"embedding"`
}

// writeVectors answers with vecFor of every input at dims dimensions; edit,
// if not nil, may change the items before they are sent.
func writeVectors(w http.ResponseWriter, req embReq, dims int, edit func([]embItem) []embItem) {
	items := make([]embItem, len(req.Input))
	for i, text := range req.Input {
		items[i] = embItem{Object: "embedding", Index: i, Embedding: vecFor(text, dims)}
	}
	if edit != nil {
		items = edit(items)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "list",
		"data":   items,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": len(req.Input), "total_tokens": len(req.Input)},
	})
}

// writeError answers with status and an OpenAI-style error body.
func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": message, "type": "invalid_request_error", "param": nil, "code": nil},
	})
}

// testConfig is a Config for the fake f with tiny backoffs and a logger
// that writes to the test log.
func testConfig(t testing.TB, f *fake) Config {
	t.Helper()
	return Config{
		BaseURL:        f.baseURL(),
		APIKey:         f.key,
		Model:          f.model,
		InitialBackoff: time.Millisecond,
		MaxBackoff:     4 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// texts returns n distinct texts.
func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("text number %d", i)
	}
	return out
}

// newClient is New(cfg) that fails the test on error.
func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// checkVectors checks that got holds unitVecFor of every text, in order.
func checkVectors(t testing.TB, got [][]float32, texts []string, dims int) {
	t.Helper()
	if len(got) != len(texts) {
		t.Fatalf("got %d vectors, want %d", len(got), len(texts))
	}
	for i, text := range texts {
		want := unitVecFor(text, dims)
		if len(got[i]) != dims {
			t.Fatalf("vector %d has %d dims, want %d", i, len(got[i]), dims)
		}
		for j := range want {
			if d := math.Abs(float64(got[i][j] - want[j])); d > 1e-6 {
				t.Fatalf("vector %d (%q) element %d = %v, want %v", i, text, j, got[i][j], want[j])
			}
		}
	}
}
