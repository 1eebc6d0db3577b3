package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/lexical"
)

// TestLexLoader feeds the loader more than a batch of papers and checks
// that the lexical index ends up as Add one by one would leave it, that an
// AddBatch error reaches the caller, and that a cancelled load skips the
// queued batches.
func TestLexLoader(t *testing.T) {
	n := lexLoadBatch*2 + 17
	text := func(i int) string { return fmt.Sprintf("paper %d about topic%d and method%d", i, i%13, i%7) }

	t.Run("fills the index", func(t *testing.T) {
		got, want := lexical.New(), lexical.New()
		l := newLexLoader(context.Background(), got)
		for i := range n {
			id := fmt.Sprintf("p%05d", i)
			if err := l.add(id, text(i)); err != nil {
				t.Fatalf("add(%s): %v", id, err)
			}
			if err := want.Add(id, text(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if got.Len() != n {
			t.Fatalf("Len = %d, want %d", got.Len(), n)
		}
		if gs, ws := got.Stats(), want.Stats(); gs.Postings != ws.Postings || gs.Bigrams != ws.Bigrams || gs.Unigrams != ws.Unigrams {
			t.Errorf("Stats = %+v, want %+v", gs, ws)
		}
		for _, q := range []string{"topic3 method5", "paper 42", "method1"} {
			g, w := got.Search(q, 5, nil), want.Search(q, 5, nil)
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("Search(%q) = %v, want %v", q, g, w)
			}
		}
	})

	t.Run("error reaches the caller", func(t *testing.T) {
		l := newLexLoader(context.Background(), lexical.New())
		var err error
		for i := 0; i < n && err == nil; i++ {
			id := fmt.Sprintf("p%05d", i)
			if i == 10 {
				id = "" // AddBatch refuses the first batch
			}
			err = l.add(id, text(i))
		}
		if cerr := l.close(); err == nil {
			err = cerr
		}
		if err == nil || !strings.Contains(err.Error(), "empty document ID") {
			t.Fatalf("error %v, want AddBatch's empty-ID error", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ix := lexical.New()
		l := newLexLoader(ctx, ix)
		for i := range n {
			if err := l.add(fmt.Sprintf("p%05d", i), text(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if ix.Len() != 0 {
			t.Errorf("Len = %d after a cancelled load, want 0 (queued batches skipped)", ix.Len())
		}
	})
}
