package openai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/recommend-dev/recommend/embeddings/openai"
)

// A stand-in for a local server such as Ollama (http://localhost:11434/v1),
// which needs no API key.
func fakeOllama() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Input []string `json:"input"`
		}
		if r.URL.Path != "/v1/embeddings" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		data := make([]map[string]any, len(req.Input))
		for i, text := range req.Input {
			data[i] = map[string]any{"index": i, "embedding": []float32{3, float32(len(text)), 0, 4}}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
	}))
}

func ExampleNew() {
	srv := fakeOllama()
	defer srv.Close()

	client, err := openai.New(openai.Config{
		BaseURL: srv.URL + "/v1", // as OPENAI_BASE_URL would say
		Model:   "nomic-embed-text",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	dims, err := client.Probe(ctx) // at start-up: checks the server, learns the size
	if err != nil {
		log.Fatal(err)
	}
	vecs, err := client.Embed(ctx, []string{"", "hello"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.Model(), dims)
	fmt.Println(vecs[0]) // normalised
	// Output:
	// nomic-embed-text 4
	// [0.6 0 0 0.8]
}
