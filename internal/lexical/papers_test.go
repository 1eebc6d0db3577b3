package lexical

import (
	"testing"

	"github.com/recommend-dev/recommend/internal/bundled"
	"github.com/recommend-dev/recommend/internal/paper"
)

// seedPapers returns the bundled corpus: the distinct papers of the seed
// listing pages.
func seedPapers(tb testing.TB) []paper.Paper {
	tb.Helper()
	papers, err := bundled.Papers()
	if err != nil {
		tb.Fatalf("bundled papers: %v", err)
	}
	if len(papers) < 100 {
		tb.Fatalf("bundled corpus has only %d papers", len(papers))
	}
	return papers
}
