package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/errs"
)

// embeddingsRequest is OpenAI's POST /v1/embeddings request. Input is a
// string or an array of strings; token arrays are refused.
type embeddingsRequest struct {
	Input          json.RawMessage `json:"input"`
	Model          string          `json:"model"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

// EmbeddingsResponse is OpenAI's embeddings response.
type EmbeddingsResponse struct {
	Object string      `json:"object"`
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  Usage       `json:"usage"`
}

// Embedding is one vector, as an array of floats or, for
// encoding_format=base64, a base64 string of little-endian float32s.
type Embedding struct {
	Object    string `json:"object"`
	Embedding any    `json:"embedding"`
	Index     int    `json:"index"`
}

// Usage counts the encoder's pieces (tokens) of the input.
type Usage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// Model is one entry of GET /v1/models.
type Model struct {
	ID         string `json:"id"`
	Object     string `json:"object"`
	Created    int64  `json:"created"`
	OwnedBy    string `json:"owned_by"`
	Dimensions int    `json:"dimensions"`
}

func handleEmbeddings(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		body, err := readBody(c)
		if err != nil {
			return err
		}
		var req embeddingsRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&req); err != nil {
			return jsonError(err)
		}
		if req.Model == "" {
			return errs.Field("model", "model is required; this server serves %q", eng.Model())
		}
		if req.Model != eng.Model() {
			return &errs.Error{Code: errs.NotFound, Param: "model", Message: "the model `" + req.Model + "` does not exist; this server serves `" + eng.Model() + "`"}
		}
		switch req.EncodingFormat {
		case "", "float", "base64":
		default:
			return errs.Field("encoding_format", "encoding_format must be \"float\" or \"base64\", got %q", req.EncodingFormat)
		}
		if req.Dimensions != nil && *req.Dimensions != eng.Dimensions() {
			return errs.Field("dimensions", "model %s has %d dimensions and cannot return %d", eng.Model(), eng.Dimensions(), *req.Dimensions)
		}
		texts, err := inputTexts(req.Input)
		if err != nil {
			return err
		}
		vs, tokens, err := eng.Embed(c.Request().Context(), texts)
		if err != nil {
			return err
		}
		resp := EmbeddingsResponse{Object: "list", Model: eng.Model(), Data: make([]Embedding, len(vs)), Usage: Usage{PromptTokens: tokens, TotalTokens: tokens}}
		for i, v := range vs {
			var e any = v
			if req.EncodingFormat == "base64" {
				e = encodeBase64(v)
			}
			resp.Data[i] = Embedding{Object: "embedding", Embedding: e, Index: i}
		}
		return c.JSON(http.StatusOK, resp)
	}
}

// inputTexts reads OpenAI's input: a string or an array of strings.
func inputTexts(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errs.Field("input", "input is required: a string or an array of strings")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errs.Field("input", "input is not a valid JSON string")
		}
		return []string{s}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, errs.Field("input", "input is not a valid JSON array")
		}
		texts := make([]string, len(items))
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) > 0 && (it[0] == '[' || it[0] == '-' || (it[0] >= '0' && it[0] <= '9')) {
				return nil, errs.Field("input", "input holds token ids; this server embeds text only: send strings")
			}
			if err := json.Unmarshal(it, &texts[i]); err != nil {
				return nil, errs.Field("input", "input[%d] must be a string", i)
			}
		}
		return texts, nil
	}
	return nil, errs.Field("input", "input must be a string or an array of strings")
}

// encodeBase64 encodes v as OpenAI does: little-endian float32s in base64.
func encodeBase64(v []float32) string {
	buf := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

func handleListModels(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"object": "list", "data": []Model{model(eng)}})
	}
}

func handleGetModel(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		if name := c.Param("model"); name != eng.Model() {
			return &errs.Error{Code: errs.NotFound, Param: "model", Message: "the model `" + name + "` does not exist"}
		}
		return c.JSON(http.StatusOK, model(eng))
	}
}

func model(eng Engine) Model {
	return Model{ID: eng.Model(), Object: "model", OwnedBy: "recommend", Dimensions: eng.Dimensions()}
}
