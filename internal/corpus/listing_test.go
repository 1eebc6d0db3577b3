package corpus

import (
	"reflect"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

// wantReject is an expected reject: its line and a piece of its reason.
type wantReject struct {
	line   int
	reason string
}

// readAll reads input with the given options and returns papers and
// rejects, failing on any other error.
func readAll(tb testing.TB, input string, opts ...Option) ([]paper.Paper, []*RejectError) {
	tb.Helper()
	papers, rejects, err := ReadAll(strings.NewReader(input), "test", opts...)
	if err != nil {
		tb.Fatalf("ReadAll: %v", err)
	}
	return papers, rejects
}

// checkRejects compares rejects with want, line by line.
func checkRejects(tb testing.TB, got []*RejectError, want []wantReject) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Errorf("got %d rejects, want %d:", len(got), len(want))
		for _, r := range got {
			tb.Errorf("  got %v", r)
		}
		return
	}
	for i, r := range got {
		if r.Source != "test" || r.Line != want[i].line || !strings.Contains(r.Reason, want[i].reason) {
			tb.Errorf("reject %d = %v, want test:%d: ...%s...", i, r, want[i].line, want[i].reason)
		}
	}
}

// lp is a listing paper with a slug ID.
func lp(title, abstract string, authors int, org, published string) paper.Paper {
	return paper.Paper{ID: SlugID(title), Title: title, Abstract: abstract, AuthorCount: authors, Organization: org, Published: published}
}

var longAbstract = strings.Repeat("We study a thing at length. ", 20) + "The end."

func TestListingVariants(t *testing.T) {
	abs := longAbstract
	tests := []struct {
		name    string
		input   string
		want    []paper.Paper
		rejects []wantReject
	}{
		{
			name:  "full page header and metadata",
			input: "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\nApr 15\n\nA Title\n\n" + abs + "\n\n  • 3 authors\n·\nAug 18, 2023\n\nB Title\n\n" + abs + "B\n",
			want:  []paper.Paper{lp("A Title", abs, 3, "", "2023-08-18"), lp("B Title", abs+"B", 0, "", "")},
		},
		{
			name:  "subscribe glued to first title, no blank lines, no metadata",
			input: "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\nSubscribeThe boundary is fractal\n" + abs + "\nSecond\n" + abs + "2\n",
			want:  []paper.Paper{lp("The boundary is fractal", abs, 0, "", ""), lp("Second", abs+"2", 0, "", "")},
		},
		{
			name:  "subscriber is a word, not glue",
			input: "Subscribe\nSubscriber churn models\n" + abs + "\n",
			want:  []paper.Paper{lp("Subscriber churn models", abs, 0, "", "")},
		},
		{
			name:  "subscribe prefix kept away from the header",
			input: "First\n" + abs + "\nSubscribeNet: a network\n" + abs + "\n",
			want:  []paper.Paper{lp("First", abs, 0, "", ""), lp("SubscribeNet: a network", abs, 0, "", "")},
		},
		{
			name:  "organisation line, date with a count",
			input: "T1\n\n" + abs + "\n\nopenbmb OpenBMB\n·\nSep 4, 2024 2\n\nT2\n\n" + abs + "\n\nUCSC-VLAA UCSC-VLAA\n·\nApr 16 2\n",
			want:  []paper.Paper{lp("T1", abs, 0, "OpenBMB", "2024-09-04"), lp("T2", abs, 0, "UCSC-VLAA", "")},
		},
		{
			name:  "one-word organisation, authors and organisation",
			input: "T1\n" + abs + "\n  • 2 authors\nDeepMind\n·\nJan 2, 2020\n",
			want:  []paper.Paper{lp("T1", abs, 2, "DeepMind", "2020-01-02")},
		},
		{
			name:  "dates without a year and invalid dates leave Published empty",
			input: "T1\n" + abs + "\n• 1 author\n·\nMar 15\nT2\n" + abs + "\n• 4 authors\n·\nFeb 30, 2023\nT3\n" + abs + "\n·\nDec 31, 1999 17\n",
			want:  []paper.Paper{lp("T1", abs, 1, "", ""), lp("T2", abs, 4, "", ""), lp("T3", abs, 0, "", "1999-12-31")},
		},
		{
			name:  "missing metadata between papers with metadata",
			input: "T1\n\n" + abs + "\n\nT2\n\n" + abs + "\n\n  • 3 authors\n·\nNov 18, 2024\n\nT3\n\n" + abs + "\n",
			want:  []paper.Paper{lp("T1", abs, 0, "", ""), lp("T2", abs, 3, "", "2024-11-18"), lp("T3", abs, 0, "", "")},
		},
		{
			name:  "short abstract",
			input: "T1\nA short abstract.\nT2\n" + abs + "\n",
			want:  []paper.Paper{lp("T1", "A short abstract.", 0, "", ""), lp("T2", abs, 0, "", "")},
		},
		{
			name:    "title without abstract before a title with one",
			input:   "Lonely title\nT2\n" + abs + "\n",
			want:    []paper.Paper{lp("T2", abs, 0, "", "")},
			rejects: []wantReject{{1, `"Lonely title" has no abstract`}},
		},
		{
			name:    "title followed by metadata",
			input:   "T1\n\n  • 3 authors\n·\nAug 18, 2023\n\nT2\n\n" + abs + "\n",
			want:    []paper.Paper{lp("T2", abs, 0, "", "")},
			rejects: []wantReject{{1, `"T1" has no abstract`}},
		},
		{
			name:    "title at the end of the input",
			input:   "T1\n" + abs + "\nT2\n",
			want:    []paper.Paper{lp("T1", abs, 0, "", "")},
			rejects: []wantReject{{3, `"T2" has no abstract`}},
		},
		{
			name:    "abstract without a title",
			input:   "T1\n" + abs + "\n" + abs + "\nT2\n" + abs + "\n",
			want:    []paper.Paper{lp("T1", abs, 0, "", ""), lp("T2", abs, 0, "", "")},
			rejects: []wantReject{{3, "expected a paper title, found a"}},
		},
		{
			name:    "stray author count",
			input:   "• 3 authors\nT1\n" + abs + "\n",
			want:    []paper.Paper{lp("T1", abs, 0, "", "")},
			rejects: []wantReject{{1, "author count"}},
		},
		{
			name:    "invalid UTF-8 in an abstract",
			input:   "T1\n" + abs + "\xff\n• 2 authors\n·\nJan 1, 2020\nT2\n" + abs + "\n",
			want:    []paper.Paper{lp("T2", abs, 0, "", "")},
			rejects: []wantReject{{2, "abstract is not valid UTF-8 (byte 568)"}},
		},
		{
			name:    "invalid UTF-8 in a title",
			input:   "T\xc3\x281\n" + abs + "\nT2\n" + abs + "\n",
			want:    []paper.Paper{lp("T2", abs, 0, "", "")},
			rejects: []wantReject{{1, "title is not valid UTF-8 (byte 1)"}},
		},
		{
			name:  "CRLF line ends and a byte order mark",
			input: "\xef\xbb\xbfT1\r\n\r\n" + abs + "\r\n\r\n  • 3 authors\r\n·\r\nAug 18, 2023\r\n",
			want:  []paper.Paper{lp("T1", abs, 3, "", "2023-08-18")},
		},
		{
			name:  "concatenated pages",
			input: "new\nSubscribe\nApr 15\nT1\n" + abs + "\n• 3 authors\n·\nAug 18, 2023\nnew\nGet trending papers in your email inbox!\nSubscribeT2\n" + abs + "\n",
			want:  []paper.Paper{lp("T1", abs, 3, "", "2023-08-18"), lp("T2", abs, 0, "", "")},
		},
		{
			name:  "surrounding white space trimmed, inner kept",
			input: "   Spaced  Title  \n\t" + "An  abstract\twith  inner   space " + abs + "  \n",
			want:  []paper.Paper{lp("Spaced  Title", "An  abstract\twith  inner   space "+abs, 0, "", "")},
		},
		{
			name:  "empty input",
			input: "",
		},
		{
			name:  "only boilerplate",
			input: "new\n\nSubscribe\n\nDaily Papers\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rejects := readAll(t, tt.input, WithFormat(FormatListing))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("papers:\ngot  %+v\nwant %+v", got, tt.want)
			}
			checkRejects(t, rejects, tt.rejects)
		})
	}
}

func TestListingLineTooLong(t *testing.T) {
	abs := longAbstract
	huge := strings.Repeat("x", 5000)
	input := "T1\n" + abs + "\n" + huge + "\nT2\n" + huge + "\nT3\n" + abs + "\n"
	got, rejects := readAll(t, input, WithFormat(FormatListing), WithMaxLineBytes(1024))
	want := []paper.Paper{lp("T1", abs, 0, "", ""), lp("T3", abs, 0, "", "")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("papers:\ngot  %+v\nwant %+v", got, want)
	}
	checkRejects(t, rejects, []wantReject{
		{3, "line is 5000 bytes, over the 1024-byte limit"},
		{5, "line is 5000 bytes, over the 1024-byte limit"},
	})
}
