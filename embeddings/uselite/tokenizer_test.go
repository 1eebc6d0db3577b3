package uselite

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestTokenizerMatchesJS compares with the ids that the package's own
// JavaScript tokenizer gives 250 texts: hand-picked edge cases (empty,
// whitespace only, NFKC compatibility forms, emoji and other unknown
// characters, CJK, null-scored and duplicate pieces) and random mixes of
// vocabulary pieces, ASCII, assorted Unicode blocks and whitespace.
// testdata/jsref/gen.sh regenerates the file.
func TestTokenizerMatchesJS(t *testing.T) {
	raw, err := os.ReadFile("testdata/tokenizer-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 200 {
		t.Fatalf("only %d cases in tokenizer-cases.json", len(cases))
	}
	e := encoder(t)
	for i, c := range cases {
		got := e.Tokenize(c.Text)
		if !slices.Equal(got, c.IDs) && !(len(got) == 0 && len(c.IDs) == 0) {
			t.Errorf("case %d Tokenize(%q) =\n%v\nwant (JS)\n%v\npieces %q", i, c.Text, got, c.IDs, e.Pieces(c.Text))
		}
	}
}

func TestTokenizeEdgeCases(t *testing.T) {
	e := encoder(t)
	for _, tc := range []struct {
		name   string
		text   string
		pieces []string
	}{
		{"empty", "", []string{}},
		{"one space", " ", []string{"▁", "▁"}},
		{"spaces only", "   ", []string{"▁", "▁", "▁", "▁"}},
		{"tab is unknown", "\t", []string{"▁", "\t"}},
		{"whitespace mix", " \t\n ", []string{"▁", "▁", "\t\n", "▁"}},
		{"no-break space is a space after NFKC", "a\u00a0b", []string{"▁a", "▁b"}},
		{"ligature expands", "ﬁle", []string{"▁file"}},
		{"fullwidth folds", "ＡＢＣ", []string{"▁A", "BC"}},
		{"combining accent composes", "e\u0301", []string{"▁", "é"}},
		{"unknown run merges", "🚀🚀🚀", []string{"▁", "🚀🚀🚀"}},
		{"CJK unknown", "東京", []string{"▁", "東京"}},
		{"invalid UTF-8 is U+FFFD", "a\xffb", []string{"▁a", "\uFFFD", "b"}},
		{"words", "neural networks", []string{"▁ne", "ural", "▁network", "s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.Pieces(tc.text)
			if !slices.Equal(got, tc.pieces) {
				t.Errorf("Pieces(%q) = %q, want %q", tc.text, got, tc.pieces)
			}
			if n := e.CountTokens(tc.text); n != len(tc.pieces) {
				t.Errorf("CountTokens(%q) = %d, want %d", tc.text, n, len(tc.pieces))
			}
		})
	}
}

// TestTokenizeNFKC checks that a text and its NFKC form tokenise alike.
func TestTokenizeNFKC(t *testing.T) {
	e := encoder(t)
	for _, text := range []string{
		"ﬁnancial ﬂow", "Ｆｕｌｌｗｉｄｔｈ １２３", "① ② ③", "x² ½", "㎞/h", "café vs cafe\u0301", "ǅungla", "\u3000idea\u00a0space",
	} {
		want := e.Tokenize(norm.NFKC.String(text))
		if got := e.Tokenize(text); !slices.Equal(got, want) {
			t.Errorf("Tokenize(%q) = %v, but its NFKC form %q gives %v", text, got, norm.NFKC.String(text), want)
		}
	}
}

// TestTokenizeVeryLong checks a long input: every piece is counted (no
// clipping at MaxPieces), and the pieces tile the text.
func TestTokenizeVeryLong(t *testing.T) {
	e := encoder(t)
	const n = 20000
	text := strings.Repeat("word ", n-1) + "word"
	ids := e.Tokenize(text)
	if len(ids) != n {
		t.Fatalf("Tokenize of %d words gave %d pieces, want %d", n, len(ids), n)
	}
	want := e.Tokenize("word")[0]
	for i, id := range ids {
		if id != want {
			t.Fatalf("piece %d = %d, want %d (▁word)", i, id, want)
		}
	}
	// A long run of characters outside the vocabulary is one unknown piece.
	unk := strings.Repeat("東", 50000)
	if got := e.Tokenize(unk); !slices.Equal(got, []int{30, 0}) {
		t.Errorf("Tokenize(50000 × 東) = %v, want [30 0] (▁, unknown)", got[:min(len(got), 10)])
	}
}

// checkTokenization checks the invariants of Tokenize and Pieces for any
// text: ids in range, no two unknowns in a row, the pieces spell out the
// processed text, and repeat calls agree.
func checkTokenization(t *testing.T, e *Encoder, text string) {
	t.Helper()
	ids := e.Tokenize(text)
	pieces := e.Pieces(text)
	if len(ids) != len(pieces) {
		t.Fatalf("Tokenize gave %d ids but Pieces %d pieces", len(ids), len(pieces))
	}
	for i, id := range ids {
		if id < 0 || id >= len(e.tok.pieces) || (id > 0 && id < reservedPieces) {
			t.Fatalf("id %d at %d is out of range", id, i)
		}
		if id == unknownID && i > 0 && ids[i-1] == unknownID {
			t.Fatalf("two unknown pieces in a row at %d", i)
		}
		if id != unknownID && pieces[i] != e.tok.pieces[id] {
			t.Fatalf("piece %d is %q but id %d is %q", i, pieces[i], id, e.tok.pieces[id])
		}
		if pieces[i] == "" {
			t.Fatalf("piece %d is empty", i)
		}
	}
	processed := norm.NFKC.String(strings.ToValidUTF8(text, "\uFFFD"))
	if processed != "" {
		processed = "▁" + strings.ReplaceAll(processed, " ", "▁")
	}
	if got := strings.Join(pieces, ""); got != processed {
		t.Fatalf("pieces join to %q, want the processed text %q", got, processed)
	}
	if again := e.Tokenize(text); !slices.Equal(again, ids) {
		t.Fatalf("second Tokenize gave %v, first %v", again, ids)
	}
	if n := e.CountTokens(text); n != len(ids) {
		t.Fatalf("CountTokens = %d, len(Tokenize) = %d", n, len(ids))
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", " ", "hello world", "ﬁ ① ＡＢＣ", "🚀 東京", "a\xffb", "e\u0301", "\t\n", ":30 :) ”5"} {
		f.Add(s)
	}
	e := encoder(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkTokenization(t, e, text)
		ps, sym := e.tok.tokenize(text)
		checkWindows(t, ps, sym)
	})
}

// FuzzWindows checks the window invariants on long texts made by repeating
// a fuzzed text.
func FuzzWindows(f *testing.F) {
	f.Add("Sentence one. Sentence two! ", uint8(40))
	f.Add("no punctuation at all ", uint8(100))
	f.Add("東京🚀", uint8(200))
	f.Add("Line\nbreak. ", uint8(60))
	e := encoder(f)
	f.Fuzz(func(t *testing.T, text string, reps uint8) {
		long := strings.Repeat(text, int(reps))
		ps, sym := e.tok.tokenize(long)
		checkWindows(t, ps, sym)
	})
}
