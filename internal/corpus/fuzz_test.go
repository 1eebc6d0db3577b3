package corpus

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/recommend-dev/recommend/internal/paper"
)

// The fuzz targets' seed corpora live in testdata/fuzz/<target>. Run one
// with, for example:
//
//	go test ./internal/corpus -run '^$' -fuzz '^FuzzListing$' -fuzztime 30s

// fuzzRead reads data in format f with a small line limit, so that long
// lines are exercised too, and checks what every reader promises: it ends,
// it returns no error other than rejects, every reject names a line of the
// input, and every paper has a non-blank, trimmed, valid UTF-8 title and
// abstract, a URL-safe ID and an empty or valid date.
func fuzzRead(t *testing.T, data []byte, f Format) []paper.Paper {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "fuzz", WithFormat(f), WithMaxLineBytes(1024))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	var papers []paper.Paper
	for i := 0; ; i++ {
		if i > len(data)+1 {
			t.Fatalf("more results (%d) than bytes of input (%d)", i, len(data))
		}
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var rej *RejectError
			if !errors.As(err, &rej) {
				t.Fatalf("error that is not a reject: %v", err)
			}
			if rej.Line < 1 || rej.Line > lines || rej.Source != "fuzz" || rej.Reason == "" {
				t.Fatalf("bad reject %+v for input of %d lines", rej, lines)
			}
			continue
		}
		checkPaper(t, p)
		papers = append(papers, p)
	}
	return papers
}

func checkPaper(t *testing.T, p paper.Paper) {
	t.Helper()
	for field, s := range map[string]string{"title": p.Title, "abstract": p.Abstract} {
		if s == "" || strings.TrimSpace(s) != s || !utf8.ValidString(s) {
			t.Fatalf("bad %s %q in %+v", field, s, p)
		}
	}
	if p.ID == "" || validID(p.ID) != "" {
		t.Fatalf("bad id %q in %+v", p.ID, p)
	}
	if p.Published != "" {
		if _, err := time.Parse(time.DateOnly, p.Published); err != nil {
			t.Fatalf("bad date %q in %+v", p.Published, p)
		}
	}
	if p.AuthorCount < len(p.Authors) || p.AuthorCount < 0 {
		t.Fatalf("author count %d with %d authors", p.AuthorCount, len(p.Authors))
	}
}

func FuzzListing(f *testing.F) {
	f.Add([]byte("new\nSubscribe\nApr 15\nA Title\n" + longAbstract + "\n  • 3 authors\n·\nAug 18, 2023\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range fuzzRead(t, data, FormatListing) {
			// Titles and abstracts are lines of the input, trimmed (and
			// "Subscribe" taken off a title), never altered inside.
			if !bytes.Contains(data, []byte(p.Title)) || !bytes.Contains(data, []byte(p.Abstract)) {
				t.Fatalf("title %q or abstract %q not in the input", p.Title, p.Abstract)
			}
			if strings.Contains(p.Title, "\n") || strings.Contains(p.Abstract, "\n") {
				t.Fatalf("line break in %+v", p)
			}
			if utf8.RuneCountInString(p.Title) > maxTitleRunes {
				t.Fatalf("title of %d characters", utf8.RuneCountInString(p.Title))
			}
			if p.ID != SlugID(p.Title) || !IsSlugID(p.ID) {
				t.Fatalf("id %q for title %q", p.ID, p.Title)
			}
			if dateRE.MatchString(p.Title) || authorsRE.MatchString(p.Title) || p.Title == "·" {
				t.Fatalf("metadata line %q taken as a title", p.Title)
			}
		}
	})
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"x","title":"T","abstract":"A","published":"2020-01-02","authors":["a"]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		papers := fuzzRead(t, data, FormatJSONL)
		for _, p := range papers {
			q := p
			if why := CleanPaper(&q); why != "" || !reflect.DeepEqual(p, q) {
				t.Fatalf("CleanPaper not idempotent on %+v: %q, %+v", p, why, q)
			}
		}
		// What was read writes out and reads back the same.
		var buf bytes.Buffer
		if err := WriteJSONL(&buf, papers); err != nil {
			t.Fatal(err)
		}
		back := fuzzRead(t, buf.Bytes(), FormatJSONL)
		if len(back) != len(papers) || (len(papers) > 0 && !reflect.DeepEqual(back, papers)) {
			t.Fatalf("round trip changed papers:\n%+v\n%+v", papers, back)
		}
	})
}

func FuzzArxiv(f *testing.F) {
	f.Add([]byte(arxivLine0704 + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range fuzzRead(t, data, FormatArxiv) {
			if strings.Contains(p.Title, "  ") || strings.ContainsAny(p.Title+p.Abstract, "\n\r\t") {
				t.Fatalf("white space not collapsed in %+v", p)
			}
			if strings.HasPrefix(p.ID, "arxiv:") {
				if id, ok := ArxivID(p.ID); !ok || id != p.ID {
					t.Fatalf("id %q does not round-trip through ArxivID: %q, %v", p.ID, id, ok)
				}
			} else if !IsSlugID(p.ID) {
				t.Fatalf("id %q is neither arXiv nor a slug", p.ID)
			}
		}
	})
}

// FuzzReader feeds anything to NewReader with format detection.
func FuzzReader(f *testing.F) {
	f.Add([]byte(arxivLine0704))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got := Detect(data); got == FormatAuto {
			t.Fatal("Detect returned FormatAuto")
		}
		r, err := NewReader(bytes.NewReader(data), "fuzz", WithMaxLineBytes(1024))
		if err != nil {
			return // a bad gzip header
		}
		defer r.Close()
		for p, err := range r.All() {
			var rej *RejectError
			if err != nil && !errors.As(err, &rej) {
				if r.Format() == FormatAuto || !strings.Contains(err.Error(), "fuzz") {
					t.Fatalf("error %v", err)
				}
				return // a corrupt gzip stream
			}
			if err == nil {
				checkPaper(t, p)
			}
		}
	})
}

func FuzzTitleKey(f *testing.F) {
	for _, s := range []string{"Bose--Einstein", "Padé", "量子计算", "???", "ﬁ", strings.Repeat("ab ", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		if !utf8.ValidString(title) {
			return // readers reject invalid UTF-8 before titles get here
		}
		if got, want := collapseSpace(title), strings.Join(strings.Fields(title), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", title, got, want)
		}
		key := TitleKey(title)
		if strings.TrimSpace(title) != "" && key == "" {
			t.Fatalf("empty key for %q", title)
		}
		if again := TitleKey(key); again != key {
			t.Fatalf("TitleKey not idempotent: %q -> %q -> %q", title, key, again)
		}
		slug := SlugID(title)
		if !IsSlugID(slug) || len(slug) > MaxSlugLen+1+8 || validID(slug) != "" {
			t.Fatalf("SlugID(%q) = %q", title, slug)
		}
		if SlugID(key) != slug {
			t.Fatalf("SlugID(%q) = %q but SlugID(its key %q) = %q", title, slug, key, SlugID(key))
		}
		if c := ClashID(title, 8); c == slug || !IsSlugID(c) {
			t.Fatalf("ClashID(%q) = %q, slug %q", title, c, slug)
		}
	})
}

func FuzzArxivID(f *testing.F) {
	for _, s := range []string{"2401.01234v2", "hep-th/9901001", "math.GT/0309136", "arXiv:0704.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ArxivID(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(id, "arxiv:") || validID(id) != "" {
			t.Fatalf("ArxivID(%q) = %q", s, id)
		}
		if again, ok := ArxivID(id); !ok || again != id {
			t.Fatalf("ArxivID(%q) = %q, %v; not stable", id, again, ok)
		}
	})
}
