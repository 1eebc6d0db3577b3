package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/recommend-dev/recommend/internal/paper"
)

func TestDetect(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join(seedDir, "000_40759f9316c523b7.txt"))
	if err != nil {
		t.Fatal(err)
	}
	project := `{"id":"x","title":"T","abstract":"A","published":"2020-01-01"}`
	tests := []struct {
		name  string
		input string
		want  Format
	}{
		{"seed page", string(seed[:4096]), FormatListing},
		{"empty", "", FormatListing},
		{"blank", "\n\n  \n", FormatListing},
		{"arxiv", arxivLine0704 + "\n", FormatArxiv},
		{"arxiv authors string decides", `{"id":"2401.00001","title":"T","authors":"A and B"}`, FormatArxiv},
		{"project", project + "\n", FormatJSONL},
		{"project authors list decides", `{"id":"x","title":"T","authors":["A"]}`, FormatJSONL},
		{"project with only common keys", `{"id":"x","title":"T","abstract":"A"}`, FormatJSONL},
		{"bad first line, arxiv second", "{not json\n" + arxivLine0704, FormatArxiv},
		{"blank lines first", "\n\n" + project, FormatJSONL},
		{"byte order mark", "\xef\xbb\xbf" + arxivLine0704, FormatArxiv},
		{"arxiv record cut short after its decisive key", `{"id":"0704.0001","submitter":"P`, FormatArxiv},
		{"listing title in braces", "{Curly} Title\n" + longAbstract + "\n", FormatListing},
		{"JSON array is not JSON Lines", `[{"title":"T"}]`, FormatListing},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.input)); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{FormatAuto, FormatListing, FormatJSONL, FormatArxiv} {
		got, err := ParseFormat(strings.ToUpper(f.String()))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", f.String(), got, err, f)
		}
	}
	if _, err := ParseFormat("csv"); err == nil || !strings.Contains(err.Error(), `unknown format "csv"`) {
		t.Errorf("ParseFormat(csv) error = %v", err)
	}
}

// TestOpenDetectsByContent writes JSON Lines under a .txt name and a
// listing under a .jsonl name: the content decides.
func TestOpenDetectsByContent(t *testing.T) {
	dir := t.TempDir()
	arxivPath := filepath.Join(dir, "papers.txt")
	listingPath := filepath.Join(dir, "papers.jsonl")
	if err := os.WriteFile(arxivPath, []byte(arxivLine0704+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(listingPath, []byte("A title\n"+longAbstract+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]Format{arxivPath: FormatArxiv, listingPath: FormatListing} {
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Next()
		if r.Format() != want || err != nil || p.Title == "" {
			t.Errorf("%s: format %v, first paper %q, err %v; want %v", path, r.Format(), p.Title, err, want)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.jsonl"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) error = %v, want ErrNotExist", err)
	}
}

func TestGzipInput(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, arxivLine0704+"\n"+strings.Replace(arxivLine0704, "0704.0001", "0704.0002", 1)+"\n")
	zw.Close()
	papers, rejects, err := ReadAll(&buf, "test.gz")
	if err != nil || len(rejects) != 0 {
		t.Fatalf("ReadAll: %v, rejects %v", err, rejects)
	}
	if len(papers) != 2 || papers[1].ID != "arxiv:0704.0002" {
		t.Errorf("got %+v", papers)
	}
	// A corrupt gzip stream is an error, not a silent end.
	_, _, err = ReadAll(bytes.NewReader([]byte{0x1f, 0x8b, 1, 2, 3}), "bad.gz")
	if err == nil {
		t.Error("corrupt gzip header: no error")
	}
}

func newBufReader(r io.Reader, size int) *bufio.Reader { return bufio.NewReaderSize(r, size) }

// TestReadErrorEndsReading checks that a failing reader is an error, not a
// reject, and that Next keeps returning it.
func TestReadErrorEndsReading(t *testing.T) {
	boom := errors.New("disk on fire")
	good := `{"title":"T","abstract":"A","url":"u"}` + "\n"
	src := io.MultiReader(strings.NewReader(good), iotest.ErrReader(boom))
	r, err := NewReader(src, "flaky", WithFormat(FormatJSONL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	for range 2 {
		_, err := r.Next()
		var rej *RejectError
		if !errors.Is(err, boom) || errors.As(err, &rej) || !strings.Contains(err.Error(), "flaky") {
			t.Errorf("Next after failure = %v, want the read error naming the source", err)
		}
	}
	// Detection reads ahead; a failure there is reported by NewReader.
	if _, err := NewReader(iotest.ErrReader(boom), "flaky"); !errors.Is(err, boom) {
		t.Errorf("NewReader on failing reader: %v", err)
	}
}

func TestAllStopsEarly(t *testing.T) {
	input := strings.Repeat(`{"title":"T","abstract":"A","url":"u"}`+"\n", 5)
	r, err := NewReader(strings.NewReader(input), "t")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range r.All() {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 || r.PapersRead() != 2 {
		t.Errorf("read %d, PapersRead() %d after break at 2", n, r.PapersRead())
	}
}

func TestBatches(t *testing.T) {
	var lines []string
	for i := range 7 {
		lines = append(lines, `{"id":"p`+itoa(i)+`","title":"T`+itoa(i)+`","abstract":"A"}`)
	}
	lines[3] = `{"title":"no abstract"}`
	r, err := NewReader(strings.NewReader(strings.Join(lines, "\n")), "t")
	if err != nil {
		t.Fatal(err)
	}
	var rejected []int
	var sizes []int
	var ids []string
	for batch, err := range Batches(r.All(), 3, func(e *RejectError) { rejected = append(rejected, e.Line) }) {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(batch))
		for _, p := range batch {
			ids = append(ids, p.ID)
		}
	}
	if want := []int{3, 3}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("batch sizes %v, want %v", sizes, want)
	}
	if want := []string{"p0", "p1", "p2", "p4", "p5", "p6"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if want := []int{4}; !reflect.DeepEqual(rejected, want) {
		t.Errorf("rejected lines %v, want %v", rejected, want)
	}

	// A fatal error comes after the papers read before it.
	boom := errors.New("boom")
	seq := func(yield func(paper.Paper, error) bool) {
		_ = yield(paper.Paper{ID: "a"}, nil) && yield(paper.Paper{}, boom) && yield(paper.Paper{ID: "never"}, nil)
	}
	var got []string
	var gotErr error
	for batch, err := range Batches(seq, 10, nil) {
		if err != nil {
			gotErr = err
			continue
		}
		for _, p := range batch {
			got = append(got, p.ID)
		}
	}
	if !reflect.DeepEqual(got, []string{"a"}) || !errors.Is(gotErr, boom) {
		t.Errorf("got %v and %v, want [a] and boom", got, gotErr)
	}
}

func TestRejectErrorFormat(t *testing.T) {
	e := &RejectError{Source: "f.jsonl", Line: 7, Reason: "missing title"}
	if got, want := e.Error(), "f.jsonl:7: missing title"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		max   int
		want  []string // "LONG:n" for a line over the limit
	}{
		{"plain", "a\nbb\n", 10, []string{"a", "bb"}},
		{"no final newline", "a\nbb", 10, []string{"a", "bb"}},
		{"CRLF", "a\r\nbb\r\n", 10, []string{"a", "bb"}},
		{"empty lines", "\n\n", 10, []string{"", ""}},
		{"exactly max", "abcd\n", 4, []string{"abcd"}},
		{"exactly max with CRLF", "abcd\r\n", 4, []string{"abcd"}},
		{"one over", "abcde\nx\n", 4, []string{"LONG:5", "x"}},
		{"long without newline", "abcdefgh", 4, []string{"LONG:8"}},
		{"longer than the buffer", strings.Repeat("z", 100) + "\nok\n", 20, []string{"LONG:100", "ok"}},
		{"byte order mark on line 1 only", "\xef\xbb\xbfa\n\xef\xbb\xbfb\n", 10, []string{"a", "\xef\xbb\xbfb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A 16-byte buffer makes long lines span several reads.
			lr := newLineReader(newBufReader(strings.NewReader(tt.input), 16), tt.max)
			var got []string
			for {
				line, size, long, err := lr.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if long {
					got = append(got, "LONG:"+itoa(size))
				} else {
					got = append(got, string(line))
				}
				if lr.no != len(got) {
					t.Errorf("line number %d after %d lines", lr.no, len(got))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
