package engine

import (
	"context"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/synth"
)

// While Load builds the lexical index, semantic queries are answered,
// hybrid ones run as semantic, and lexical queries and writes get 503;
// once Load returns, everything works.
func TestLoadServesSemanticFirst(t *testing.T) {
	ctx := context.Background()
	st := openBenchStore(t, t.TempDir())
	const n, dims = 300, 32
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 3})
	table := newTableEmbedder("synth-table", dims)
	ps, vs := synthBatch(c, 0, n)
	for i, p := range ps {
		table.set(p.Text(), vs[i])
	}
	if err := st.PutPapers(ps, table.Model(), vs); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: table, Logger: benchLog})
	if err != nil {
		t.Fatal(err)
	}

	lexLoadGate = make(chan struct{})
	defer func() { lexLoadGate = nil }()
	loaded := make(chan error, 1)
	go func() { loaded <- e.Load(ctx) }()
	for !e.Ready() {
		select {
		case err := <-loaded:
			t.Fatalf("Load returned %v before the lexical index was let through", err)
		case <-time.After(time.Millisecond):
		}
	}

	if e.LexicalReady() {
		t.Fatal("LexicalReady before the lexical index was built")
	}
	for _, tc := range []struct{ ask, want Mode }{{"", Semantic}, {Hybrid, Semantic}, {Semantic, Semantic}, {Lexical, Lexical}} {
		if got := e.ModeNow(tc.ask); got != tc.want {
			t.Errorf("while loading: ModeNow(%q) = %q, want %q", tc.ask, got, tc.want)
		}
	}
	text := ps[7].Text()
	sem, err := e.Search(ctx, text, Query{Mode: Semantic})
	if err != nil || len(sem) == 0 {
		t.Fatalf("semantic search while loading: %v, %d results", err, len(sem))
	}
	hyb, err := e.Search(ctx, text, Query{})
	if err != nil || !sameIDs(hyb, sem) {
		t.Errorf("default search while loading: %v; got %v, want the semantic results %v", err, idsOf(hyb), idsOf(sem))
	}
	if _, err := e.Related(ctx, ps[7].ID, Query{Mode: Lexical}); errs.Code(err) != errs.Unavailable {
		t.Errorf("lexical related while loading: error %v, want %s", err, errs.Unavailable)
	}
	if err := e.Put(ctx, []paper.Paper{ps[1]}); errs.Code(err) != errs.Unavailable {
		t.Errorf("Put while loading: error %v, want %s", err, errs.Unavailable)
	}
	if err := e.Delete(ps[1].ID); errs.Code(err) != errs.Unavailable {
		t.Errorf("Delete while loading: error %v, want %s", err, errs.Unavailable)
	}

	close(lexLoadGate)
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	if !e.LexicalReady() || e.ModeNow("") != Hybrid {
		t.Fatalf("after Load: LexicalReady %v, ModeNow(\"\") %q", e.LexicalReady(), e.ModeNow(""))
	}
	lex, err := e.Search(ctx, text, Query{Mode: Lexical})
	if err != nil || len(lex) == 0 || lex[0].ID != ps[7].ID {
		t.Errorf("lexical search after Load: %v, %v; want %s first", err, idsOf(lex), ps[7].ID)
	}
	if err := e.Put(ctx, []paper.Paper{ps[1]}); err != nil {
		t.Errorf("Put after Load: %v", err)
	}
}

func idsOf(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func sameIDs(a, b []Result) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}
