package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/synth"
)

// hashEmbedder is a small deterministic embedder for tests: synth's
// feature-hashed bag of words.
type hashEmbedder struct{ dims int }

func (h hashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = make([]float32, h.dims)
		synth.HashEmbed(t, out[i])
	}
	return out, nil
}
func (h hashEmbedder) Model() string   { return "test-hash" }
func (h hashEmbedder) Dimensions() int { return h.dims }

// testPapers are the papers every test server starts with.
func testPapers() []paper.Paper {
	topics := []string{"spiking neural networks", "graph neural networks", "protein folding", "galaxy spectra", "language models", "reinforcement learning"}
	ps := make([]paper.Paper, 24)
	for i := range ps {
		topic := topics[i%len(topics)]
		ps[i] = paper.Paper{
			ID:        fmt.Sprintf("test:%02d", i),
			Title:     fmt.Sprintf("Study %d of %s", i, topic),
			Abstract:  fmt.Sprintf("We report experiment %d on %s and compare it with earlier work on %s.", i, topic, topics[(i+1)%len(topics)]),
			Published: fmt.Sprintf("20%02d-01-15", 10+i%10),
		}
	}
	return ps
}

// testEngine returns a loaded engine over a real store in a temporary
// directory, holding testPapers, and the store. emb may be nil for the
// hash embedder.
func testEngine(t testing.TB, emb embeddings.Embedder) (*engine.Engine, *store.Store) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(filepath.Join(t.TempDir(), "recommend.db"), &store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if emb == nil {
		emb = hashEmbedder{dims: 32}
	}
	eng, err := engine.New(engine.Config{Store: st, NotFound: store.ErrNotFound, Embedder: emb, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Put(context.Background(), testPapers()); err != nil {
		t.Fatal(err)
	}
	if err := eng.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return eng, st
}

// testServer returns the handler of a server over testEngine with cfg's
// settings (Engine and Logger are filled in when unset).
func testServer(t testing.TB, cfg Config) http.Handler {
	t.Helper()
	if cfg.Engine == nil {
		eng, _ := testEngine(t, nil)
		cfg.Engine = eng
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return NewServer(cfg).Handler()
}

// call is one request to a handler.
type call struct {
	method, target string
	body           string
	header         map[string]string
	remote         string // RemoteAddr; default 192.0.2.1:1234
}

// serve sends c to h and returns the recorded answer.
func serve(t testing.TB, h http.Handler, c call) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.target, body)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorShape decodes the one error shape, failing the test if the body is
// not in it.
func errorShape(t testing.TB, rec *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	var er ErrorResponse
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&er); err != nil {
		t.Fatalf("status %d: body is not the error shape: %v", rec.Code, err)
	}
	if er.Error.Message == "" || er.Error.Type == "" || er.Error.Code == "" {
		t.Fatalf("status %d: error %+v lacks a message, type or code", rec.Code, er.Error)
	}
	return er.Error
}
