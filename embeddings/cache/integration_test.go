package cache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/embeddings/openai"
)

// server is a minimal OpenAI-compatible embeddings server that records the
// inputs of every request.
type server struct {
	mu     sync.Mutex
	inputs [][]string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if r.URL.Path != "/v1/embeddings" || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.inputs = append(s.inputs, req.Input)
	s.mu.Unlock()
	type item struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]item, len(req.Input))
	for i, text := range req.Input {
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(len(text)+j) + 0.5
		}
		data[i] = item{Index: i, Embedding: v}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
}

// requests returns how many requests came, and how many inputs in all.
func (s *server) requests() (n, inputs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.inputs {
		inputs += len(in)
	}
	return len(s.inputs), inputs
}

func texts(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("paper %d: an abstract", i))
	}
	return out
}

// TestReimportEmbedsNothingTwice runs the service's path: an OpenAI-
// compatible client, probed at start, behind a bbolt-backed cache; the
// process "restarts" by closing and reopening the data file.
func TestReimportEmbedsNothingTwice(t *testing.T) {
	srv := &server{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	path := filepath.Join(t.TempDir(), "recommend.db")
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)

	start := func() (*bbolt.DB, func([]string) [][]float32) {
		t.Helper()
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		client, err := openai.New(openai.Config{BaseURL: ts.URL + "/v1", Model: "nomic-embed-text", Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if dims, err := client.Probe(ctx); err != nil || dims != 8 {
			t.Fatalf("Probe = %d, %v", dims, err)
		}
		store, err := cache.NewBolt(db, "embeddings")
		if err != nil {
			t.Fatal(err)
		}
		e := cache.New(client, store, cache.WithLogger(quiet))
		return db, func(in []string) [][]float32 {
			t.Helper()
			v, err := e.Embed(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	check := func(step string, wantRequests, wantInputs int) {
		t.Helper()
		if n, in := srv.requests(); n != wantRequests || in != wantInputs {
			t.Errorf("%s: %d requests for %d inputs so far, want %d for %d", step, n, in, wantRequests, wantInputs)
		}
	}

	db, embed := start()
	check("probe", 1, 1)
	first := embed(texts(0, 150))
	check("first import", 4, 151) // 64 + 64 + 22
	embed(texts(0, 150))
	check("same import again", 4, 151)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, embed = start()
	defer db.Close()
	check("probe after restart", 5, 152)
	again := embed(texts(0, 160))
	check("import after restart with 10 new papers", 6, 162)
	for i := range first {
		if !slices.Equal(first[i], again[i]) {
			t.Fatalf("vector %d differs after the restart", i)
		}
	}
}
