package uselite

import "unicode"

// span is a half-open range [start, end) of piece indexes.
type span struct{ start, end int }

// windows splits a text's pieces into windows of at most MaxPieces pieces
// for embedding. A text of at most MaxPieces pieces is one window. Longer
// texts are cut into sentences (see sentenceStarts), and consecutive
// sentences are packed greedily into windows; a sentence longer than
// MaxPieces is cut at a word start (a piece beginning with "▁") in the second
// half of the window when there is one, else after exactly MaxPieces pieces,
// and its last part may share a window with the sentences after it.
func windows(ps []piece, sym []rune) []span {
	n := len(ps)
	if n == 0 {
		return nil
	}
	if n <= MaxPieces {
		return []span{{0, n}}
	}
	starts := sentenceStarts(ps, sym)
	starts = append(starts, n)
	var out []span
	cur := span{0, 0}
	for s := 0; s+1 < len(starts); s++ {
		a, b := starts[s], starts[s+1]
		if b-cur.start <= MaxPieces {
			cur.end = b
			continue
		}
		if cur.end > cur.start {
			out = append(out, cur)
		}
		cur = span{a, a}
		for b-cur.start > MaxPieces {
			cut := cur.start + MaxPieces
			for c := cut; c > cur.start+MaxPieces/2; c-- {
				if sym[ps[c].start] == wordBoundary {
					cut = c
					break
				}
			}
			out = append(out, span{cur.start, cut})
			cur = span{cut, cut}
		}
		cur.end = b
	}
	if cur.end > cur.start {
		out = append(out, cur)
	}
	return out
}

// sentenceStarts returns the indexes of the pieces that begin a sentence,
// always including 0. A sentence begins
//   - after a piece containing a line break, or
//   - at a piece starting with "▁" (a space) that follows ".", "!", "?", "…"
//     or a CJK full stop, ignoring closing brackets and quotes in between,
//     unless the next letter after the spaces is lower case (so "e.g. the"
//     and "approx. five" stay together).
func sentenceStarts(ps []piece, sym []rune) []int {
	out := []int{0}
	for j := 1; j < len(ps); j++ {
		prev := ps[j-1]
		if containsLineBreak(sym[prev.start:prev.end]) {
			out = append(out, j)
			continue
		}
		q := int(ps[j].start)
		if sym[q] != wordBoundary {
			continue
		}
		k := q - 1
		for k >= 0 && isCloser(sym[k]) {
			k--
		}
		if k < 0 || !isTerminal(sym[k]) {
			continue
		}
		for q < len(sym) && sym[q] == wordBoundary {
			q++
		}
		if q < len(sym) && unicode.IsLower(sym[q]) {
			continue
		}
		out = append(out, j)
	}
	return out
}

func containsLineBreak(rs []rune) bool {
	for _, r := range rs {
		switch r {
		case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
			return true
		}
	}
	return false
}

func isTerminal(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case ')', ']', '}', '"', '\'', '”', '’', '»', '」', '』':
		return true
	}
	return false
}
