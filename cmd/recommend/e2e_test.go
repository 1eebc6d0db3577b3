package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/paper"
)

// The service on the bundled corpus: ready, lists the papers, and answers
// related, search and recommend as a user would expect.
func TestE2EBundledCorpus(t *testing.T) { forEachBackend(t, testBundledCorpus) }

func testBundledCorpus(t *testing.T, b testBackend) {
	s := b.start(t, t.TempDir())
	t.Logf("start-up to ready on an empty data directory: %v", s.ready)

	var ready map[string]any
	if got := s.do("GET", "/readyz", nil, &ready); got != http.StatusOK {
		t.Fatalf("GET /readyz: status %d, want 200", got)
	}
	var list httpapi.PaperList
	if got := s.do("GET", "/v1/papers?limit=100", nil, &list); got != http.StatusOK {
		t.Fatalf("GET /v1/papers: status %d", got)
	}
	if list.Total < 250 || len(list.Data) != 100 {
		t.Fatalf("GET /v1/papers: total %d, %d papers; want the bundled corpus (~300) and a page of 100", list.Total, len(list.Data))
	}

	t.Run("related never returns the paper itself", func(t *testing.T) {
		for _, p := range list.Data[:10] {
			var rl httpapi.ResultList
			if got := s.do("GET", "/v1/papers/"+url.PathEscape(p.ID)+"/related?limit=10", nil, &rl); got != http.StatusOK {
				t.Fatalf("related %s: status %d", p.ID, got)
			}
			if len(rl.Data) != 10 {
				t.Errorf("related %s: %d results, want 10", p.ID, len(rl.Data))
			}
			for i, r := range rl.Data {
				if r.ID == p.ID {
					t.Errorf("related %s: the paper itself is result %d", p.ID, i)
				}
				if i > 0 && r.Score > rl.Data[i-1].Score {
					t.Errorf("related %s: result %d scores %.4f above result %d (%.4f): not best first", p.ID, i, r.Score, i-1, rl.Data[i-1].Score)
				}
			}
			if rl.Model == "" {
				t.Errorf("related %s: no model in the answer", p.ID)
			}
		}
	})

	t.Run("exact and approximate related agree", func(t *testing.T) {
		for _, p := range list.Data[10:20] {
			var approx, exact httpapi.ResultList
			s.do("GET", "/v1/papers/"+url.PathEscape(p.ID)+"/related?limit=10", nil, &approx)
			s.do("GET", "/v1/papers/"+url.PathEscape(p.ID)+"/related?limit=10&exact=true", nil, &exact)
			common := 0
			for _, r := range approx.Data {
				if slices.Contains(ids(exact.Data), r.ID) {
					common++
				}
			}
			if common < 9 {
				t.Errorf("related %s: approximate and exact top 10 share %d papers, want at least 9", p.ID, common)
			}
		}
	})

	t.Run("limit above the corpus returns the whole corpus", func(t *testing.T) {
		var rl httpapi.ResultList
		s.do("GET", "/v1/papers/"+url.PathEscape(list.Data[0].ID)+"/related?limit=100", nil, &rl)
		want := min(100, list.Total-1)
		if len(rl.Data) != want {
			t.Errorf("related limit=100: %d results, want %d", len(rl.Data), want)
		}
	})

	t.Run("search finds papers by a paraphrase of their topic", func(t *testing.T) {
		all := allPapers(t, s)
		cases := []struct{ query, titleWord string }{
			{"very deep networks grown by repeating a self-similar expansion rule instead of skip connections", "FractalNet"},
			{"forgetting earlier tasks when a model keeps learning new ones", "Continual"},
		}
		for _, c := range cases {
			var rl httpapi.ResultList
			if got := s.do("GET", "/v1/search?limit=10&q="+url.QueryEscape(c.query), nil, &rl); got != http.StatusOK {
				t.Fatalf("search %q: status %d", c.query, got)
			}
			found := slices.ContainsFunc(rl.Data, func(r engine.Result) bool { return containsFold(r.Title, c.titleWord) })
			if !found {
				var titles []string
				for _, r := range rl.Data {
					titles = append(titles, r.Title)
				}
				t.Errorf("search %q: no title with %q in the top 10 of %d papers: %q", c.query, c.titleWord, len(all), titles)
			}
		}
	})

	t.Run("every mode finds a paper by a name in its title", func(t *testing.T) {
		for _, mode := range []string{"hybrid", "lexical", "semantic"} {
			var rl httpapi.ResultList
			if got := s.do("GET", "/v1/search?limit=5&mode="+mode+"&q=FractalNet", nil, &rl); got != http.StatusOK {
				t.Fatalf("search FractalNet mode=%s: status %d", mode, got)
			}
			if rl.Mode != engine.Mode(mode) {
				t.Errorf("search mode=%s: the answer says mode %q", mode, rl.Mode)
			}
			if mode == "semantic" {
				continue // a name the encoder has never seen: no promise
			}
			if len(rl.Data) == 0 || !containsFold(rl.Data[0].Title, "FractalNet") {
				t.Errorf("search FractalNet mode=%s: first result %v, want the FractalNet paper", mode, ids(rl.Data))
			}
		}
	})

	t.Run("related in every mode never returns the paper itself", func(t *testing.T) {
		p := list.Data[5]
		for _, mode := range []string{"hybrid", "lexical", "semantic"} {
			var rl httpapi.ResultList
			if got := s.do("GET", "/v1/papers/"+url.PathEscape(p.ID)+"/related?limit=10&mode="+mode, nil, &rl); got != http.StatusOK {
				t.Fatalf("related mode=%s: status %d", mode, got)
			}
			if len(rl.Data) == 0 || slices.Contains(ids(rl.Data), p.ID) {
				t.Errorf("related %s mode=%s: %v", p.ID, mode, ids(rl.Data))
			}
		}
	})

	t.Run("the map places every paper", func(t *testing.T) {
		var m httpapi.MapResponse
		if got := s.do("GET", "/v1/map", nil, &m); got != http.StatusOK {
			t.Fatalf("GET /v1/map: status %d", got)
		}
		if len(m.Data) != list.Total || m.Clusters < 2 {
			t.Errorf("GET /v1/map: %d points in %d clusters, want one point per paper (%d) in several clusters", len(m.Data), m.Clusters, list.Total)
		}
	})

	t.Run("recommend excludes its inputs", func(t *testing.T) {
		pos := []string{list.Data[0].ID, list.Data[1].ID}
		neg := []string{list.Data[2].ID}
		var rl httpapi.ResultList
		if got := s.do("POST", "/v1/recommend", map[string]any{"positive": pos, "negative": neg, "limit": 20}, &rl); got != http.StatusOK {
			t.Fatalf("recommend: status %d", got)
		}
		if len(rl.Data) != 20 {
			t.Errorf("recommend: %d results, want 20", len(rl.Data))
		}
		for _, r := range rl.Data {
			if slices.Contains(pos, r.ID) || slices.Contains(neg, r.ID) {
				t.Errorf("recommend returned its input %s", r.ID)
			}
		}
	})
}

// Add a paper, find it among the related papers of a similar one, delete it,
// and see it gone; a restart keeps what was added.
func TestE2EAddRelatedDeleteRestart(t *testing.T) { forEachBackend(t, testAddRelatedDeleteRestart) }

func testAddRelatedDeleteRestart(t *testing.T, b testBackend) {
	dir := t.TempDir()
	s := b.start(t, dir)
	all := allPapers(t, s)
	base := all[0]
	added := paper.Paper{
		ID:       "test:near-copy",
		Title:    base.Title + " (revisited)",
		Abstract: base.Abstract,
	}
	var put httpapi.PaperList
	if got := s.do("POST", "/v1/papers", added, &put); got != http.StatusOK {
		t.Fatalf("POST /v1/papers: status %d", got)
	}
	var rl httpapi.ResultList
	s.do("GET", "/v1/papers/"+url.PathEscape(base.ID)+"/related?limit=3", nil, &rl)
	if len(rl.Data) == 0 || rl.Data[0].ID != added.ID {
		t.Fatalf("related %s: first result %v, want the near copy %s", base.ID, ids(rl.Data), added.ID)
	}

	second := paper.Paper{ID: "test:second", Title: "A paper added before a restart", Abstract: "It must survive the restart of the service."}
	if got := s.do("POST", "/v1/papers", map[string]any{"papers": []paper.Paper{second}}, nil); got != http.StatusOK {
		t.Fatalf("POST /v1/papers batch: status %d", got)
	}
	if got := s.do("DELETE", "/v1/papers/"+url.PathEscape(added.ID), nil, nil); got != http.StatusOK {
		t.Fatalf("DELETE: status %d", got)
	}
	var e httpapi.ErrorResponse
	if got := s.do("GET", "/v1/papers/"+url.PathEscape(added.ID), nil, &e); got != http.StatusNotFound || e.Error.Code == "" {
		t.Fatalf("GET deleted paper: status %d, error %+v; want 404 with an error", got, e)
	}
	s.do("GET", "/v1/papers/"+url.PathEscape(base.ID)+"/related?limit=100", nil, &rl)
	if slices.Contains(ids(rl.Data), added.ID) {
		t.Fatalf("related still returns the deleted paper")
	}
	s.stop()

	s2 := b.start(t, dir)
	var got paper.Paper
	if code := s2.do("GET", "/v1/papers/"+url.PathEscape(second.ID), nil, &got); code != http.StatusOK || got.Title != second.Title {
		t.Fatalf("after restart: GET %s: status %d, %+v", second.ID, code, got)
	}
	if code := s2.do("GET", "/v1/papers/"+url.PathEscape(added.ID), nil, nil); code != http.StatusNotFound {
		t.Fatalf("after restart: deleted paper status %d, want 404", code)
	}
	var list httpapi.PaperList
	s2.do("GET", "/v1/papers?limit=1", nil, &list)
	if list.Total != len(all)+1 {
		t.Fatalf("after restart: %d papers, want %d (the bundled ones plus one)", list.Total, len(all)+1)
	}
}

func allPapers(t *testing.T, s *service) []paper.Paper {
	t.Helper()
	var all []paper.Paper
	for off := 0; ; off += 100 {
		var pl httpapi.PaperList
		if got := s.do("GET", fmt.Sprintf("/v1/papers?limit=100&offset=%d", off), nil, &pl); got != http.StatusOK {
			t.Fatalf("list papers: status %d", got)
		}
		all = append(all, pl.Data...)
		if len(pl.Data) < 100 {
			return all
		}
	}
}

func ids(rs []engine.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
