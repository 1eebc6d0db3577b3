package corpus

import (
	"reflect"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

// arxivLine0704 is a record shaped like the arXiv metadata snapshot's,
// with the snapshot's hard line breaks and indentation.
const arxivLine0704 = `{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan","title":"Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies","comments":"37 pages, 15 figures; published version","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","report-no":"ANL-HEP-PR-07-12","categories":"hep-ph","license":null,"abstract":"  A fully differential calculation in perturbative quantum chromodynamics is\npresented for the production of massive photon pairs at hadron colliders.  All\nnext-to-leading order perturbative contributions are included.\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-13","authors_parsed":[["Balázs","C.",""],["Berger","E. L.",""],["Nadolsky","P. M.",""],["Yuan","C. -P.",""]]}`

func TestArxivRecords(t *testing.T) {
	tests := []struct {
		name string
		line string
		want paper.Paper
	}{
		{
			name: "new-style id, authors_parsed, first version's date",
			line: arxivLine0704,
			want: paper.Paper{
				ID:          "arxiv:0704.0001",
				Title:       "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
				Abstract:    "A fully differential calculation in perturbative quantum chromodynamics is presented for the production of massive photon pairs at hadron colliders. All next-to-leading order perturbative contributions are included.",
				Authors:     []string{"C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"},
				AuthorCount: 4,
				Published:   "2007-04-02",
				Categories:  []string{"hep-ph"},
				URL:         "https://arxiv.org/abs/0704.0001",
				DOI:         "10.1103/PhysRevD.76.013009",
			},
		},
		{
			name: "old-style id, authors split from the authors field, suffix",
			line: `{"id":"hep-th/9901001","submitter":"A. Writer","authors":"A. One, B. Two and C. Three","title":"Old style\n title","abstract":"Text\twith   tabs\n and breaks.","categories":"hep-th gr-qc","doi":null,"versions":[{"version":"v1","created":"Fri, 1 Jan 1999 10:00:00 GMT"}],"update_date":"2009-10-31"}`,
			want: paper.Paper{
				ID:          "arxiv:hep-th/9901001",
				Title:       "Old style title",
				Abstract:    "Text with tabs and breaks.",
				Authors:     []string{"A. One", "B. Two", "C. Three"},
				AuthorCount: 3,
				Published:   "1999-01-01",
				Categories:  []string{"hep-th", "gr-qc"},
				URL:         "https://arxiv.org/abs/hep-th/9901001",
			},
		},
		{
			name: "versioned id, no versions, several DOIs, name suffix",
			line: `{"id":"2401.01234v3","title":"T","abstract":"A.","authors":"X","authors_parsed":[["King","Martin Luther","Jr."],["Solo"]],"categories":"cs.LG  stat.ML","doi":"10.1/a 10.2/b","update_date":"2024-01-05"}`,
			want: paper.Paper{
				ID:          "arxiv:2401.01234",
				Title:       "T",
				Abstract:    "A.",
				Authors:     []string{"Martin Luther King Jr.", "Solo"},
				AuthorCount: 2,
				Published:   "2024-01-05",
				Categories:  []string{"cs.LG", "stat.ML"},
				URL:         "https://arxiv.org/abs/2401.01234",
				DOI:         "10.1/a",
			},
		},
		{
			name: "old style with subject class, no id prefix confusion",
			line: `{"id":"math.GT/0309136","title":"Knots","abstract":"About knots.","submitter":"x"}`,
			want: paper.Paper{ID: "arxiv:math.GT/0309136", Title: "Knots", Abstract: "About knots.", URL: "https://arxiv.org/abs/math.GT/0309136"},
		},
		{
			name: "no id: slug of the title",
			line: `{"title":"No  Id Here","abstract":"Still a paper.","submitter":"x"}`,
			want: paper.Paper{ID: "no-id-here", Title: "No Id Here", Abstract: "Still a paper."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rejects := readAll(t, tt.line+"\n", WithFormat(FormatArxiv))
			checkRejects(t, rejects, nil)
			if len(got) != 1 {
				t.Fatalf("got %d papers, want 1", len(got))
			}
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got  %+v\nwant %+v", got[0], tt.want)
			}
		})
	}
}

// badLines builds an input of good and bad records in one of the JSON Lines
// formats: good(n) makes good record n, and the bad ones are an invalid
// JSON line, a record with no title, one with an empty abstract, a 10 MB
// line and a line of invalid UTF-8. It returns the input and the expected
// rejects.
func badLines(good func(n int) string, noTitle, emptyAbstract, huge string) (string, []wantReject) {
	lines := []string{
		good(1),
		`{"title": "cut short", "abstract": `,
		noTitle,
		emptyAbstract,
		huge,
		good(2)[:10] + "\xff\xfe" + good(2)[10:],
		"",
		"   ",
		good(3),
	}
	return strings.Join(lines, "\n") + "\n", []wantReject{
		{2, "invalid JSON: unexpected end of JSON input"},
		{3, "missing title"},
		{4, "empty abstract"},
		{5, "line is 10485760 bytes, over the 4194304-byte limit"},
		{6, "line is not valid UTF-8 (byte 10)"},
	}
}

func TestArxivBadLines(t *testing.T) {
	good := func(n int) string {
		return `{"id":"2401.0000` + itoa(n) + `","submitter":"s","title":"Good ` + itoa(n) + `","abstract":"Fine abstract.","authors":"A"}`
	}
	huge := `{"id":"2401.99999","submitter":"s","title":"Huge","abstract":"` + strings.Repeat("a", 10<<20-64) + `"}`
	if len(huge) != 10<<20 {
		t.Fatalf("huge line is %d bytes", len(huge))
	}
	input, want := badLines(good,
		`{"id":"2401.00010","submitter":"s","abstract":"No title."}`,
		`{"id":"2401.00011","submitter":"s","title":"Empty","abstract":"  \n  "}`,
		huge)
	input += `{"id":"not an id","submitter":"s","title":"T","abstract":"A."}` + "\n"
	want = append(want, wantReject{10, `id "not an id" is not an arXiv identifier`})
	r, err := NewReader(strings.NewReader(input), "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatArxiv {
		t.Fatalf("detected %v, want arxiv", r.Format())
	}
	var titles []string
	var rejects []*RejectError
	for p, err := range r.All() {
		if rej, ok := err.(*RejectError); ok {
			rejects = append(rejects, rej)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, p.Title)
	}
	if want := []string{"Good 1", "Good 3"}; !reflect.DeepEqual(titles, want) {
		t.Errorf("loaded %q, want %q", titles, want)
	}
	checkRejects(t, rejects, want)
	if r.PapersRead() != 2 || r.Rejected() != len(want) {
		t.Errorf("PapersRead() = %d, Rejected() = %d, want 2 and %d", r.PapersRead(), r.Rejected(), len(want))
	}
}

func TestArxivID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2401.01234", "arxiv:2401.01234", true},
		{"2401.01234v12", "arxiv:2401.01234", true},
		{"arXiv:0704.0001", "arxiv:0704.0001", true},
		{" 1501.0001 ", "arxiv:1501.0001", true},
		{"hep-th/9901001", "arxiv:hep-th/9901001", true},
		{"hep-th/9901001v2", "arxiv:hep-th/9901001", true},
		{"math.GT/0309136", "arxiv:math.GT/0309136", true},
		{"solv-int/9901001", "arxiv:solv-int/9901001", true},
		{"2401.123", "", false},
		{"2401.123456", "", false},
		{"24011.2345", "", false},
		{"hep-th/990100", "", false},
		{"HEP-TH/9901001", "", false},
		{"math.gt/0309136", "", false},
		{"-th/9901001", "", false},
		{"abcdefghijklmnopq/9901001", "", false},
		{"../etc/passwd", "", false},
		{"2401.01234v", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ArxivID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ArxivID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
