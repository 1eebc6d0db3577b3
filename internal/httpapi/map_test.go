package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/errs"
)

// mapEngine answers Map with a fixed result or error; every other method
// of Engine is unused here (calling one panics, which the test would see).
type mapEngine struct {
	Engine
	result engine.MapResult
	err    error
}

func (m mapEngine) Map(context.Context) (engine.MapResult, error) { return m.result, m.err }
func (m mapEngine) Model() string                                 { return "test-model" }

func TestMapEndpoint(t *testing.T) {
	pts := []engine.MapPoint{
		{ID: "arxiv:hep-th/9901001", Title: "A", X: -1, Y: 0.25, Cluster: 0, Published: "2001-02-03"},
		{ID: "b", Title: "B", X: 1, Y: -0.5, Cluster: 1},
	}
	tests := []struct {
		name       string
		eng        mapEngine
		wantStatus int
		check      func(t *testing.T, body map[string]any)
	}{
		{
			name:       "points",
			eng:        mapEngine{result: engine.MapResult{Points: pts, Clusters: 2, Model: "test-model", Explained: [2]float64{0.3, 0.1}}},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, body map[string]any) {
				data, _ := body["data"].([]any)
				if len(data) != 2 || body["clusters"] != 2.0 || body["model"] != "test-model" {
					t.Fatalf("body %v, want 2 points, clusters 2, model test-model", body)
				}
				first := data[0].(map[string]any)
				for k, want := range map[string]any{"id": "arxiv:hep-th/9901001", "title": "A", "x": -1.0, "y": 0.25, "cluster": 0.0, "published": "2001-02-03"} {
					if first[k] != want {
						t.Errorf("data[0].%s = %v, want %v", k, first[k], want)
					}
				}
				if _, ok := data[1].(map[string]any)["published"]; ok {
					t.Errorf("data[1] has a published field though the paper has no date: %v", data[1])
				}
			},
		},
		{
			name:       "empty corpus gives an empty list, not null",
			eng:        mapEngine{result: engine.MapResult{Model: "test-model"}},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, body map[string]any) {
				if data, ok := body["data"].([]any); !ok || len(data) != 0 || body["clusters"] != 0.0 {
					t.Errorf("body %v, want data [] and clusters 0", body)
				}
			},
		},
		{
			name:       "index still loading",
			eng:        mapEngine{err: errs.Errorf(errs.Unavailable, "the index is still loading")},
			wantStatus: http.StatusServiceUnavailable,
			check: func(t *testing.T, body map[string]any) {
				e, _ := body["error"].(map[string]any)
				if e["code"] != errs.Unavailable || e["message"] != "the index is still loading" {
					t.Errorf("body %v, want the error shape with code %s", body, errs.Unavailable)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewServer(Config{Engine: tc.eng}).Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/map", nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("GET /v1/map: status %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("GET /v1/map: %v in %s", err, rec.Body)
			}
			tc.check(t, body)
		})
	}
}
