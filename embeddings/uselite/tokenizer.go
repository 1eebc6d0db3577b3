package uselite

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// wordBoundary is SentencePiece's marker for a space, "▁" (U+2581).
const wordBoundary = '\u2581'

// reservedPieces is how many entries at the start of the vocabulary are
// control symbols that never match text: the unknown piece (id 0), <s>, </s>
// and three extra ids.
const reservedPieces = 6

// unknownID is the id of the unknown piece, which stands for any run of
// characters that no vocabulary piece matches.
const unknownID = 0

// tokenizer is the unigram SentencePiece tokenizer of USE Lite, a faithful
// port of the one in @energetic-ai/embeddings (itself from
// @tensorflow-models/universal-sentence-encoder), quirks included, so that
// it produces the very ids the model was run with:
//
//   - text is NFKC-normalised, every U+0020 space becomes "▁", and a "▁" is
//     put in front (an empty text stays empty and has no pieces);
//   - the best segmentation maximises the sum of piece scores (a null score
//     counts as 0) over a lattice of all vocabulary pieces found at each
//     position; where no piece starts at a position, its single character
//     becomes an unknown piece with score 0;
//   - ties go to the candidate seen last, and a running best of exactly 0 is
//     treated as "not reached yet", as in the JavaScript;
//   - consecutive unknown pieces are merged into one.
type tokenizer struct {
	pieces []string  // piece text by id
	scores []float64 // piece score by id (null read as 0)
	u16len []int     // length of each piece in UTF-16 code units, as JavaScript's String.length

	// The trie of pieces: node 0 is the root; child of node n by rune r is
	// children[n<<21|r]. ends[n] is the id of the piece ending at node n, or
	// -1.
	children map[uint64]int32
	ends     []int32
}

// newTokenizer reads a vocabulary in the format of vocab.json: a JSON array
// of [piece, score] pairs in id order, where score may be null.
func newTokenizer(vocabJSON []byte) (*tokenizer, error) {
	// Decoding into []any is several times faster than into typed
	// values here.
	var raw [][]any
	if err := json.Unmarshal(vocabJSON, &raw); err != nil {
		return nil, fmt.Errorf("uselite: parsing vocab.json: %w", err)
	}
	if len(raw) <= reservedPieces {
		return nil, fmt.Errorf("uselite: vocab.json has %d entries, too few for a vocabulary", len(raw))
	}
	t := &tokenizer{
		pieces:   make([]string, len(raw)),
		scores:   make([]float64, len(raw)),
		u16len:   make([]int, len(raw)),
		children: make(map[uint64]int32, 4*len(raw)),
		ends:     []int32{-1},
	}
	for id, pair := range raw {
		if len(pair) != 2 {
			return nil, fmt.Errorf("uselite: vocab.json entry %d has %d elements, want [piece, score]", id, len(pair))
		}
		piece, ok := pair[0].(string)
		if !ok {
			return nil, fmt.Errorf("uselite: vocab.json entry %d: piece is not a string", id)
		}
		t.pieces[id] = piece
		switch score := pair[1].(type) {
		case float64:
			t.scores[id] = score
		case nil:
			// A null score counts as 0, as in the JavaScript.
		default:
			return nil, fmt.Errorf("uselite: vocab.json entry %d (%q): score is not a number or null", id, piece)
		}
		p := t.pieces[id]
		if !utf8.ValidString(p) {
			return nil, fmt.Errorf("uselite: vocab.json entry %d is not valid UTF-8", id)
		}
		for _, r := range p {
			t.u16len[id] += utf16.RuneLen(r)
		}
		if id < reservedPieces {
			continue
		}
		if p == "" {
			return nil, fmt.Errorf("uselite: vocab.json entry %d is an empty piece", id)
		}
		// Insert into the trie; as in the JavaScript, a later duplicate
		// piece replaces an earlier one.
		node := int32(0)
		for _, r := range p {
			key := uint64(node)<<21 | uint64(r)
			next, ok := t.children[key]
			if !ok {
				next = int32(len(t.ends))
				t.ends = append(t.ends, -1)
				t.children[key] = next
			}
			node = next
		}
		t.ends[node] = int32(id)
	}
	return t, nil
}

// piece is one token of a tokenised text: its id and the span of normalised
// characters (runes of the processed input, "▁" included) it covers.
type piece struct {
	id         int32
	start, end int32
}

// preprocess applies the tokenizer's input processing: invalid UTF-8 becomes
// U+FFFD, then NFKC, then spaces become "▁" with one in front.
func preprocess(text string) []rune {
	text = strings.ToValidUTF8(text, "\uFFFD")
	n := norm.NFKC.String(text)
	if n == "" {
		return nil
	}
	runes := make([]rune, 0, len(n)+1)
	runes = append(runes, wordBoundary)
	for _, r := range n {
		if r == ' ' {
			r = wordBoundary
		}
		runes = append(runes, r)
	}
	return runes
}

// tokenize returns the pieces of text and the processed runes their spans
// refer to.
func (t *tokenizer) tokenize(text string) ([]piece, []rune) {
	sym := preprocess(text)
	n := len(sym)
	if n == 0 {
		return nil, nil
	}
	best := make([]float64, n+1)
	words := make([]int32, n+1)
	// Forward Viterbi. The JavaScript visits, for each end position in
	// order, the pieces ending there by ascending start; visiting starts in
	// ascending order and relaxing each piece's end gives the same sequence
	// of updates per end position, and best[i] is final when start i is
	// visited.
	for i := 0; i < n; i++ {
		base := best[i]
		matched := false
		node := int32(0)
		for j := i; j < n; j++ {
			next, ok := t.children[uint64(node)<<21|uint64(sym[j])]
			if !ok {
				break
			}
			node = next
			if id := t.ends[node]; id >= 0 {
				matched = true
				relax(best, words, j+1, t.scores[id]+base, id)
			}
		}
		if !matched {
			relax(best, words, i+1, 0+base, unknownID)
		}
	}
	// Backtrack from the end, stepping back by each piece's length in UTF-16
	// units as the JavaScript does (the same as its length in runes for every
	// piece of this vocabulary).
	var rev []piece
	for iter := n; iter > 0; {
		id := words[iter]
		step := t.u16len[id]
		rev = append(rev, piece{id: id, start: int32(max(iter-step, 0)), end: int32(iter)})
		iter -= step
	}
	// Reverse, merging runs of unknown pieces into one.
	out := make([]piece, 0, len(rev))
	for k := len(rev) - 1; k >= 0; k-- {
		p := rev[k]
		if p.id == unknownID && len(out) > 0 && out[len(out)-1].id == unknownID {
			out[len(out)-1].end = p.end
			continue
		}
		out = append(out, p)
	}
	return out, sym
}

// relax is the JavaScript's update rule: a best score of exactly 0 counts as
// unset, and ties go to the later candidate.
func relax(best []float64, words []int32, end int, score float64, id int32) {
	if best[end] == 0 || score >= best[end] {
		best[end] = score
		words[end] = id
	}
}

// ids returns the ids of text's pieces.
func (t *tokenizer) ids(text string) []int32 {
	ps, _ := t.tokenize(text)
	out := make([]int32, len(ps))
	for i, p := range ps {
		out[i] = p.id
	}
	return out
}
