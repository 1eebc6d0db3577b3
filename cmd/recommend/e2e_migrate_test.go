package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

// migrate copies the embedded store into Weaviate and back: the service
// serves the same papers with the same answers from each copy.
func TestE2EMigrate(t *testing.T) {
	node := weaviatetest.Start(t)
	wflags := []string{"--weaviate-url", node.URL(), "--weaviate-grpc", node.GRPCAddr(), "--weaviate-collection", "Migrated"}

	// An embedded store: the bundled corpus, one paper added, one deleted.
	src := t.TempDir()
	s := startService(t, src)
	added := paper.Paper{ID: "test:added", Title: "A paper added by hand", Abstract: "Spiking neural networks on neuromorphic chips, added before the migration.", Published: "2024-05-01", Authors: []string{"A. Person"}}
	if code := s.do("POST", "/v1/papers", added, nil); code != http.StatusOK {
		t.Fatalf("POST: status %d", code)
	}
	want := allPapers(t, s)
	deleted := want[3].ID
	if code := s.do("DELETE", "/v1/papers/"+url.PathEscape(deleted), nil, nil); code != http.StatusOK {
		t.Fatalf("DELETE: status %d", code)
	}
	want = allPapers(t, s)
	probes := []string{want[0].ID, want[50].ID, added.ID}
	wantRelated := relatedIDs(t, s, probes)
	s.stop()

	migrate := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"migrate", "--log-format", "json"}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("migrate %q: %v\n%s%s", args, err, out.String(), errb.String())
		}
		return out.String()
	}
	out := migrate(append([]string{"--to", "weaviate", "--data", src}, wflags...)...)
	t.Logf("to weaviate: %s", strings.TrimSpace(out))

	w := startService(t, t.TempDir(), append([]string{"--store", "weaviate"}, wflags...)...)
	checkSame(t, "weaviate", w, want, probes, wantRelated)
	w.stop()

	// And back, into a new data directory.
	dst := t.TempDir()
	out = migrate(append([]string{"--to", "embedded", "--data", dst}, wflags...)...)
	t.Logf("back to embedded: %s", strings.TrimSpace(out))
	e := startService(t, dst)
	checkSame(t, "embedded copy", e, want, probes, wantRelated)
	if code := e.do("GET", "/v1/papers/"+url.PathEscape(deleted), nil, nil); code != http.StatusNotFound {
		t.Errorf("embedded copy: the deleted paper %s is back (status %d): the bundled corpus was loaded on top", deleted, code)
	}
}

// checkSame checks that s serves exactly the papers of want, and that the
// related papers of probes mostly agree with wantRelated (semantic mode:
// the same vectors; Weaviate's HNSW may order near-ties differently).
func checkSame(t *testing.T, name string, s *service, want []paper.Paper, probes []string, wantRelated [][]string) {
	t.Helper()
	got := allPapers(t, s)
	if len(got) != len(want) {
		t.Fatalf("%s: %d papers, want %d", name, len(got), len(want))
	}
	byID := map[string]paper.Paper{}
	for _, p := range got {
		byID[p.ID] = p
	}
	for _, p := range want {
		if g, ok := byID[p.ID]; !ok || !reflect.DeepEqual(g, p) {
			t.Errorf("%s: paper %s = %+v, want %+v", name, p.ID, g, p)
		}
	}
	for i, rel := range relatedIDs(t, s, probes) {
		common := 0
		for _, id := range rel {
			if slices.Contains(wantRelated[i], id) {
				common++
			}
		}
		if common < 9 {
			t.Errorf("%s: related %s shares %d of 10 with the source store: got %v, want %v", name, probes[i], common, rel, wantRelated[i])
		}
	}
}

func relatedIDs(t *testing.T, s *service, probes []string) [][]string {
	t.Helper()
	out := make([][]string, len(probes))
	for i, id := range probes {
		var rl httpapi.ResultList
		if code := s.do("GET", "/v1/papers/"+url.PathEscape(id)+"/related?limit=10&mode=semantic", nil, &rl); code != http.StatusOK {
			t.Fatalf("related %s: status %d", id, code)
		}
		out[i] = ids(rl.Data)
	}
	return out
}
