package uselite

import (
	"slices"
	"strings"
	"testing"
)

// checkWindows checks the window invariants for a tokenised text: windows
// hold 1 to MaxPieces pieces, follow each other without gap or overlap
// and cover every piece; a text of at most MaxPieces pieces is one window;
// and every cut between windows is at a sentence start unless it falls
// inside a sentence longer than MaxPieces.
func checkWindows(t *testing.T, ps []piece, sym []rune) {
	t.Helper()
	ws := windows(ps, sym)
	if len(ps) == 0 {
		if len(ws) != 0 {
			t.Fatalf("windows of no pieces = %v, want none", ws)
		}
		return
	}
	if len(ps) <= MaxPieces && (len(ws) != 1 || ws[0] != (span{0, len(ps)})) {
		t.Fatalf("%d pieces gave windows %v, want one window", len(ps), ws)
	}
	next := 0
	for _, w := range ws {
		if w.start != next {
			t.Fatalf("window %v starts at %d, want %d (windows %v)", w, w.start, next, ws)
		}
		if n := w.end - w.start; n < 1 || n > MaxPieces {
			t.Fatalf("window %v has %d pieces, want 1 to %d", w, n, MaxPieces)
		}
		next = w.end
	}
	if next != len(ps) {
		t.Fatalf("windows end at %d, want %d", next, len(ps))
	}
	starts := sentenceStarts(ps, sym)
	bounds := append(slices.Clone(starts), len(ps))
	for _, w := range ws[1:] {
		if slices.Contains(starts, w.start) {
			continue
		}
		// The cut is inside sentence [a, b): that sentence must be too
		// long for one window.
		k, _ := slices.BinarySearch(bounds, w.start)
		a, b := bounds[k-1], bounds[k]
		if b-a <= MaxPieces {
			t.Fatalf("window cut at piece %d splits the sentence [%d, %d) of %d pieces", w.start, a, b, b-a)
		}
	}
}

// seedAbstracts returns the long abstracts of the reference file.
func seedAbstracts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range loadReference(t).Cases {
		if len(c.Tokens) > MaxPieces {
			out = append(out, c.Text)
		}
	}
	if len(out) < 5 {
		t.Fatalf("only %d long texts in the reference", len(out))
	}
	return out
}

func TestWindowsOfAbstracts(t *testing.T) {
	e := encoder(t)
	atSentence := 0
	for _, text := range seedAbstracts(t) {
		ps, sym := e.tok.tokenize(text)
		checkWindows(t, ps, sym)
		ws := windows(ps, sym)
		if want := (len(ps) + MaxPieces - 1) / MaxPieces; len(ws) < want {
			t.Errorf("%d pieces in %d windows, want at least %d", len(ps), len(ws), want)
		}
		for _, w := range ws[1:] {
			if slices.Contains(sentenceStarts(ps, sym), w.start) {
				atSentence++
			}
		}
	}
	// checkWindows allows cuts inside over-long sentences; make sure most
	// cuts in real abstracts are at sentence starts.
	if atSentence < 10 {
		t.Errorf("only %d window cuts at sentence starts in the abstracts", atSentence)
	}
}

func TestWindowsOfOverlongSentences(t *testing.T) {
	e := encoder(t)
	for _, tc := range []struct {
		name string
		text string
	}{
		{"one long sentence", strings.Repeat("neural networks learn representations ", 100)},
		{"one long word", strings.Repeat("q", 3000)},
		{"long sentence between short ones", "A short start. " + strings.Repeat("very ", 300) + "long. A short end."},
		{"unknown characters", strings.Repeat("東京 ", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, sym := e.tok.tokenize(tc.text)
			if len(ps) <= MaxPieces {
				t.Fatalf("test text has only %d pieces", len(ps))
			}
			checkWindows(t, ps, sym)
		})
	}
	// Cuts inside a long sentence fall on word starts when there are any.
	ps, sym := e.tok.tokenize(strings.Repeat("neural networks learn representations ", 100))
	for _, w := range windows(ps, sym)[1:] {
		if sym[ps[w.start].start] != wordBoundary {
			t.Errorf("window starts mid-word at piece %d", w.start)
		}
	}
}

func TestSentenceStarts(t *testing.T) {
	e := encoder(t)
	for _, tc := range []struct {
		text string
		want []string // the sentences, as processed text
	}{
		{"One sentence only", []string{"▁One▁sentence▁only"}},
		{"First one. Second one! Third one? Fourth.", []string{"▁First▁one.", "▁Second▁one!", "▁Third▁one?", "▁Fourth."}},
		{"Lower case after a dot, e.g. this, stays together.", []string{"▁Lower▁case▁after▁a▁dot,▁e.g.▁this,▁stays▁together."}},
		{`He said "stop." Then he left.`, []string{`▁He▁said▁"stop."`, "▁Then▁he▁left."}},
		{"See (the figure.) Next one.", []string{"▁See▁(the▁figure.)", "▁Next▁one."}},
		{"Title line\nThe abstract starts here.", []string{"▁Title▁line\n", "The▁abstract▁starts▁here."}},
		{"Two spaces.  Next one.", []string{"▁Two▁spaces.", "▁▁Next▁one."}},
		{"Version 3.14 is a number, not an end.", []string{"▁Version▁3.14▁is▁a▁number,▁not▁an▁end."}},
		{"Numbered: 1. First item", []string{"▁Numbered:▁1.", "▁First▁item"}},
	} {
		ps, sym := e.tok.tokenize(tc.text)
		starts := append(sentenceStarts(ps, sym), len(ps))
		var got []string
		for k := 0; k+1 < len(starts); k++ {
			a, b := ps[starts[k]], ps[starts[k+1]-1]
			got = append(got, string(sym[a.start:b.end]))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("sentences of %q = %q, want %q", tc.text, got, tc.want)
		}
	}
}
