package corpus

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

func TestJSONLRoundTrip(t *testing.T) {
	papers := []paper.Paper{
		{ID: "arxiv:2401.01234", Title: "A <b>bold</b> & title", Abstract: "Line one.\nLine two.", Authors: []string{"A. B", "C. D"}, AuthorCount: 2, Organization: "Org", Published: "2024-01-02", Categories: []string{"cs.LG"}, URL: "https://arxiv.org/abs/2401.01234", DOI: "10.1/x"},
		{ID: "arxiv:hep-th/9901001", Title: "Old", Abstract: "Old paper."},
		{ID: "a-slug", Title: "A slug", Abstract: "Üñíçødé abstract ✓", AuthorCount: 7},
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, papers); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `\u003c`) {
		t.Errorf("output escapes HTML: %s", buf.String())
	}
	if got, want := strings.Count(buf.String(), "\n"), len(papers); got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	r, err := NewReader(&buf, "test")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Format(); got != FormatJSONL {
		t.Errorf("detected %v, want jsonl", got)
	}
	var got []paper.Paper
	for p, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if !reflect.DeepEqual(got, papers) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, papers)
	}
}

func TestJSONLRecords(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		want   paper.Paper
		reject string
	}{
		{
			name: "minimal: ID from the title",
			line: `{"title":"  Hello, World!  ","abstract":"  Inner  space kept.\n"}`,
			want: paper.Paper{ID: "hello-world", Title: "Hello, World!", Abstract: "Inner  space kept."},
		},
		{
			name: "unknown fields ignored, lists cleaned, author count raised",
			line: `{"id":"x1","title":"T","abstract":"A","score":0.5,"authors":[" A ","","B"],"author_count":1,"categories":["", "cs.AI"]}`,
			want: paper.Paper{ID: "x1", Title: "T", Abstract: "A", Authors: []string{"A", "B"}, AuthorCount: 2, Categories: []string{"cs.AI"}},
		},
		{name: "missing title", line: `{"abstract":"A"}`, reject: "missing title"},
		{name: "blank title", line: `{"title":" \t ","abstract":"A"}`, reject: "missing title"},
		{name: "empty abstract", line: `{"title":"T","abstract":""}`, reject: "empty abstract"},
		{name: "null", line: `null`, reject: "missing title"},
		{name: "array", line: `[1,2]`, reject: "invalid JSON: json: cannot unmarshal array"},
		{name: "wrong type", line: `{"id":5,"title":"T","abstract":"A"}`, reject: "invalid JSON: json: cannot unmarshal number into Go struct field Paper.id of type string"},
		{name: "trailing garbage", line: `{"title":"T","abstract":"A"} x`, reject: "invalid JSON: invalid character 'x' after top-level value"},
		{name: "id with a space", line: `{"id":"a b","title":"T","abstract":"A"}`, reject: `id "a b" may hold only ASCII letters, digits and -._~:/`},
		{name: "id with a query", line: `{"id":"a?b=1","title":"T","abstract":"A"}`, reject: "may hold only"},
		{name: "id too long", line: `{"id":"` + strings.Repeat("a", 257) + `","title":"T","abstract":"A"}`, reject: "longer than 256 bytes"},
		{name: "bad date", line: `{"title":"T","abstract":"A","published":"2023-13-01"}`, reject: `published "2023-13-01" is not a date in the form 2006-01-02`},
		{name: "date without day", line: `{"title":"T","abstract":"A","published":"2023-01"}`, reject: "is not a date"},
		{name: "negative author count", line: `{"title":"T","abstract":"A","author_count":-1}`, reject: "author_count is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rejects := readAll(t, tt.line+"\n", WithFormat(FormatJSONL))
			if tt.reject != "" {
				checkRejects(t, rejects, []wantReject{{1, tt.reject}})
				if len(got) != 0 {
					t.Errorf("got papers %+v, want none", got)
				}
				return
			}
			checkRejects(t, rejects, nil)
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestJSONLBadLines(t *testing.T) {
	good := func(n int) string {
		return `{"id":"good-` + itoa(n) + `","title":"Good ` + itoa(n) + `","abstract":"Fine abstract.","published":"2020-01-02"}`
	}
	huge := `{"title":"Huge","abstract":"` + strings.Repeat("a", 10<<20-30) + `"}`
	if len(huge) != 10<<20 {
		t.Fatalf("huge line is %d bytes", len(huge))
	}
	input, want := badLines(good,
		`{"id":"x","abstract":"No title.","url":"u"}`,
		`{"title":"Empty","abstract":"   ","url":"u"}`,
		huge)
	r, err := NewReader(strings.NewReader(input), "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatJSONL {
		t.Fatalf("detected %v, want jsonl", r.Format())
	}
	var ids []string
	var rejects []*RejectError
	for p, err := range r.All() {
		if rej, ok := err.(*RejectError); ok {
			rejects = append(rejects, rej)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if want := []string{"good-1", "good-3"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("loaded %q, want %q", ids, want)
	}
	checkRejects(t, rejects, want)
}
