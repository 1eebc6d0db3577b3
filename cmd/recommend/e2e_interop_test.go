package main

import (
	"context"
	"math"
	"net/http"
	"testing"

	"github.com/philippgille/chromem-go"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/recommend-dev/recommend/embeddings/openai"
	"github.com/recommend-dev/recommend/internal/httpapi"
)

// Clients no one here wrote use our /v1/embeddings: go-openai (float and
// base64), chromem-go's OpenAI-compatible embedding function, and our own
// OpenAI client pointed at another instance of the service.
func TestE2EEmbeddingsInterop(t *testing.T) { forEachBackend(t, testEmbeddingsInterop) }

func testEmbeddingsInterop(t *testing.T, b testBackend) {
	s := b.start(t, t.TempDir())
	ctx := context.Background()
	texts := []string{"spiking networks on neuromorphic chips", "graph neural networks for molecules"}

	var models struct {
		Data []httpapi.Model `json:"data"`
	}
	if got := s.do("GET", "/v1/models", nil, &models); got != http.StatusOK || len(models.Data) != 1 {
		t.Fatalf("GET /v1/models: status %d, %+v", got, models)
	}
	model := models.Data[0].ID

	cfg := goopenai.DefaultConfig("unused-key")
	cfg.BaseURL = s.URL + "/v1"
	client := goopenai.NewClientWithConfig(cfg)

	floats, err := client.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{Input: texts, Model: goopenai.EmbeddingModel(model)})
	if err != nil {
		t.Fatalf("go-openai CreateEmbeddings (float): %v", err)
	}
	if len(floats.Data) != len(texts) {
		t.Fatalf("go-openai: %d vectors for %d texts", len(floats.Data), len(texts))
	}
	if floats.Usage.PromptTokens <= 0 {
		t.Errorf("go-openai: usage.prompt_tokens = %d, want the number of pieces", floats.Usage.PromptTokens)
	}
	b64, err := client.CreateEmbeddings(ctx, goopenai.EmbeddingRequest{Input: texts, Model: goopenai.EmbeddingModel(model), EncodingFormat: goopenai.EmbeddingEncodingFormatBase64})
	if err != nil {
		t.Fatalf("go-openai CreateEmbeddings (base64): %v", err)
	}
	for i := range texts {
		f, b := floats.Data[i].Embedding, b64.Data[i].Embedding
		if len(f) != models.Data[0].Dimensions || len(b) != len(f) {
			t.Fatalf("text %d: float has %d dims, base64 %d, model says %d", i, len(f), len(b), models.Data[0].Dimensions)
		}
		for j := range f {
			if f[j] != b[j] {
				t.Fatalf("text %d dim %d: float %v != base64 %v", i, j, f[j], b[j])
			}
		}
		if n := norm(f); math.Abs(n-1) > 1e-4 {
			t.Errorf("text %d: norm %v, want 1", i, n)
		}
	}

	normalized := true
	chromemEmbed := chromem.NewEmbeddingFuncOpenAICompat(s.URL+"/v1", "", model, &normalized)
	v, err := chromemEmbed(ctx, texts[0])
	if err != nil {
		t.Fatalf("chromem-go embedding func: %v", err)
	}
	if cos := cosine(v, floats.Data[0].Embedding); cos < 0.9999 {
		t.Errorf("chromem-go's vector differs from go-openai's: cosine %v", cos)
	}
	// chromem-go end to end: a collection that embeds through our server.
	db := chromem.NewDB()
	col, err := db.CreateCollection("papers", nil, chromemEmbed)
	if err != nil {
		t.Fatal(err)
	}
	docs := []chromem.Document{
		{ID: "snn", Content: "Spiking neural networks run with little energy on neuromorphic hardware."},
		{ID: "gnn", Content: "Message passing graph networks predict properties of molecules."},
	}
	if err := col.AddDocuments(ctx, docs, 2); err != nil {
		t.Fatalf("chromem-go AddDocuments through our server: %v", err)
	}
	res, err := col.Query(ctx, "brain-inspired low-power chips", 1, nil, nil)
	if err != nil || len(res) != 1 || res[0].ID != "snn" {
		t.Fatalf("chromem-go query through our server: %v, %v; want snn first", res, err)
	}

	// Our own client, through a second instance of the service.
	s2 := startService(t, t.TempDir(), "--embedder", "openai", "--openai-base-url", s.URL+"/v1", "--model", model, "--bundled=false")
	var got httpapi.EmbeddingsResponse
	if code := s2.do("POST", "/v1/embeddings", map[string]any{"input": texts[0], "model": model}, &got); code != http.StatusOK {
		t.Fatalf("second instance embeddings: status %d", code)
	}
	ours, err := openai.New(openai.Config{BaseURL: s2.URL + "/v1", Model: model})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ours.Embed(ctx, texts)
	if err != nil {
		t.Fatalf("our client through the second instance: %v", err)
	}
	for i := range texts {
		if cos := cosine(vs[i], floats.Data[i].Embedding); cos < 0.9999 {
			t.Errorf("text %d through two instances: cosine %v to the direct vector", i, cos)
		}
	}
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot / (norm(a) * norm(b))
}
