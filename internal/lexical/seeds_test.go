package lexical

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

// seedPapers parses the listing-page dumps in testdata/seeds: a title line
// followed by an abstract line (200 characters or more), with header and
// metadata lines around them. Papers are deduplicated by title. It is a
// stand-in until the bundled corpus package exists.
func seedPapers(tb testing.TB) []paper.Paper {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "seeds", "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seed files under testdata/seeds (err %v)", err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	var out []paper.Paper
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatalf("read seeds: %v", err)
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, strings.TrimPrefix(l, "Subscribe"))
			}
		}
		for i := 1; i < len(lines); i++ {
			abs, title := lines[i], lines[i-1]
			if len(abs) < 200 || len(title) >= 200 || seen[title] {
				continue
			}
			seen[title] = true
			out = append(out, paper.Paper{ID: fmt.Sprintf("seed-%03d", len(out)), Title: title, Abstract: abs})
		}
	}
	if len(out) < 100 {
		tb.Fatalf("parsed only %d papers from %d seed files", len(out), len(files))
	}
	return out
}
