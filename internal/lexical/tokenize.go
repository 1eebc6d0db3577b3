package lexical

import (
	"bytes"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// maxTokenBytes is the longest token kept; longer runs (hashes, base64,
// squashed URLs) are dropped.
const maxTokenBytes = 64

// analysis is the result of analysing one text.
type analysis struct {
	// words are the kept words in text order, stemmed. Bigrams join
	// neighbours. They and extra are substrings of one string per text,
	// so that analysis allocates once per text, not once per word: clone
	// a word that outlives the text's other words (a new term).
	words []string
	// brk[i] reports a phrase break (punctuation, a dropped word) between
	// words[i-1] and words[i]; no bigram spans a break.
	brk []bool
	// extra holds whole hyphenated words ("bio-inspired"): unigrams that
	// take no part in bigrams, since their parts are in words.
	extra []string

	// buf holds the bytes of every word and extra word; wspan and xspan
	// their offsets, made into words and extra at the end.
	buf          []byte
	wspan, xspan []span
	scan         []byte // the scanner's buffer, kept for the next text
}

// span is a word's offsets in analysis.buf.
type span struct{ lo, hi int32 }

func (a *analysis) reset() {
	a.words = a.words[:0]
	a.brk = a.brk[:0]
	a.extra = a.extra[:0]
	a.buf = a.buf[:0]
	a.wspan = a.wspan[:0]
	a.xspan = a.xspan[:0]
}

// finish makes words and extra from the spans, with one string.
func (a *analysis) finish() {
	a.finishIn(string(a.buf))
}

// finishIn makes words and extra substrings of text, the bytes of a.buf.
func (a *analysis) finishIn(text string) {
	for _, sp := range a.wspan {
		a.words = append(a.words, text[sp.lo:sp.hi])
	}
	for _, sp := range a.xspan {
		a.extra = append(a.extra, text[sp.lo:sp.hi])
	}
}

// Tokenize returns the unigram terms that the index derives from text: the
// kept words in text order, then the whole hyphenated words. The rules:
//
//   - lower case; Unicode letters and digits; Latin accents folded
//     ("Schrödinger" → schrodinger); sub- and superscript digits as digits;
//   - a hyphenated word is kept whole and as its parts ("bio-inspired" →
//     bio, inspired, bio-inspired; "CIFAR-100" → cifar, 100, cifar-100);
//   - LaTeX sub- and superscripts join their base (CO$_2$, CO_2, CO₂ → co2;
//     R^2 → r2); decimal numbers stay whole (0.99);
//   - a possessive 's is dropped; English stop words, single characters and
//     tokens longer than 64 bytes are dropped, as are LaTeX formatting
//     commands (mathcal, textbf, ...);
//   - plurals are stemmed lightly (networks → network, SNNs → snn,
//     studies → study, classes → class); words with digits are not stemmed.
//
// Bigrams, which the index also uses, are not returned.
func Tokenize(text string) []string {
	var a analysis
	analyze(text, &a)
	out := make([]string, 0, len(a.words)+len(a.extra))
	out = append(out, a.words...)
	out = append(out, a.extra...)
	return out
}

// analyze fills a (after resetting it) with the terms of text.
func analyze(text string, a *analysis) {
	scan(text, a)
	a.finish()
}

// analyzeScratch is analyze without the one allocation per text: the
// words and extra words it leaves in a point into a's buffer, which the
// next analysis with a overwrites. A word kept longer must be cloned.
func analyzeScratch(text string, a *analysis) {
	scan(text, a)
	if len(a.buf) > 0 {
		a.finishIn(unsafe.String(&a.buf[0], len(a.buf)))
	}
}

// scan runs the scanner over text, leaving the words' bytes and spans in a.
func scan(text string, a *analysis) {
	a.reset()
	s := scanner{a: a, buf: a.scan[:0]}
	s.run(text)
	a.scan = s.buf[:0]
}

type scanner struct {
	a   *analysis
	buf []byte // the part being built, lower-cased and folded
	// parts holds the finished parts of the current (hyphenated) word,
	// their bytes in partBuf.
	parts   []span
	partBuf []byte
	// brk is set when a break (punctuation, dropped word) happened since
	// the last kept word.
	brk bool
	// hasDigit reports whether the current word has a digit (no stemming).
	hasDigit bool
}

func (s *scanner) run(text string) {
	i := 0
	for i < len(text) {
		// Fast paths for the common bytes: runs of lower-case letters, and
		// a space (which ends a word without a phrase break).
		switch c := text[i]; {
		case c >= 'a' && c <= 'z':
			j := i + 1
			for j < len(text) && text[j] >= 'a' && text[j] <= 'z' {
				j++
			}
			s.buf = append(s.buf, text[i:j]...)
			i = j
			continue
		case c == ' ':
			s.endWord()
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if s.appendWordRune(r) {
			i += size
			continue
		}
		if len(s.buf) > 0 {
			if unicode.Is(unicode.Mn, r) { // combining mark inside a word
				i += size
				continue
			}
			if n := s.joiner(text, i, r, size); n > 0 {
				i += n
				continue
			}
		}
		s.endWord()
		if !unicode.IsSpace(r) {
			s.brk = true
		}
		i += size
	}
	s.endWord()
}

// joiner decides whether the non-word rune r at text[i:] (size bytes) joins
// the word being built to what follows, and returns how many bytes to skip
// (0 if r ends the word).
func (s *scanner) joiner(text string, i int, r rune, size int) int {
	next := func(j int) rune {
		if j >= len(text) {
			return utf8.RuneError
		}
		r, _ := utf8.DecodeRuneInString(text[j:])
		return r
	}
	switch {
	case r == '-' || r == '\u2010' || r == '\u2011':
		if isWordRune(next(i + size)) {
			s.endPart()
			return size
		}
	case r == '$' || r == '_' || r == '^' || r == '{' || r == '}':
		// LaTeX-ish sub/superscripts: CO$_2$, CO_2, R^{2}.
		j, script := i, false
		for j < len(text) && j-i < 8 {
			c := text[j]
			if c != '$' && c != '_' && c != '^' && c != '{' && c != '}' {
				break
			}
			script = script || c == '_' || c == '^'
			j++
		}
		if script && isWordRune(next(j)) {
			return j - i
		}
	case r == '.':
		last := s.buf[len(s.buf)-1]
		if last >= '0' && last <= '9' {
			if n := next(i + 1); n >= '0' && n <= '9' {
				s.buf = append(s.buf, '.')
				return 1
			}
		}
	case r == '\'' || r == '\u2019':
		n := next(i + size)
		if (n == 's' || n == 'S') && !isWordRune(next(i+size+1)) {
			return size + 1 // possessive: drop "'s"
		}
		if unicode.IsLetter(n) {
			return size // don't → dont
		}
	}
	return 0
}

// appendWordRune appends r to the word being built if r is a word rune.
func (s *scanner) appendWordRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z':
		s.buf = append(s.buf, byte(r))
	case r >= 'A' && r <= 'Z':
		s.buf = append(s.buf, byte(r+'a'-'A'))
	case r >= '0' && r <= '9':
		s.buf = append(s.buf, byte(r))
		s.hasDigit = true
	case r < utf8.RuneSelf:
		return false
	default:
		if d, ok := scriptDigit(r); ok {
			s.buf = append(s.buf, d)
			s.hasDigit = true
			return true
		}
		if unicode.IsDigit(r) {
			s.buf = utf8.AppendRune(s.buf, r)
			s.hasDigit = true
			return true
		}
		if !unicode.IsLetter(r) {
			return false
		}
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			s.buf = append(s.buf, f...)
		} else {
			s.buf = utf8.AppendRune(s.buf, r)
		}
	}
	return true
}

// isWordRune reports whether r can be part of a token.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	if _, ok := scriptDigit(r); ok {
		return true
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// scriptDigit maps sub- and superscript digits to ASCII digits.
func scriptDigit(r rune) (byte, bool) {
	switch {
	case r >= '\u2080' && r <= '\u2089':
		return byte('0' + r - '\u2080'), true
	case r >= '\u2074' && r <= '\u2079':
		return byte('0' + r - '\u2070'), true
	case r == '\u2070':
		return '0', true
	case r == '\u00b9':
		return '1', true
	case r == '\u00b2':
		return '2', true
	case r == '\u00b3':
		return '3', true
	}
	return 0, false
}

func (s *scanner) endPart() {
	if len(s.buf) == 0 {
		return
	}
	lo := len(s.partBuf)
	s.partBuf = append(s.partBuf, s.buf...)
	s.parts = append(s.parts, span{int32(lo), int32(len(s.partBuf))})
	s.buf = s.buf[:0]
}

func (s *scanner) part(i int) []byte { return s.partBuf[s.parts[i].lo:s.parts[i].hi] }

func (s *scanner) endWord() {
	if len(s.parts) == 0 {
		// A word without hyphens (most): emit it from buf.
		if len(s.buf) > 0 {
			s.emit(s.buf)
			s.buf = s.buf[:0]
		}
		s.hasDigit = false
		return
	}
	s.endPart()
	switch len(s.parts) {
	case 0:
		return
	case 1:
		s.emit(s.part(0))
	default:
		for i := range s.parts {
			s.emit(s.part(i))
		}
		// The whole word, its last part stemmed, goes to a.buf.
		a := s.a
		lo := len(a.buf)
		last := len(s.parts) - 1
		for i := range last {
			a.buf = append(a.buf, s.part(i)...)
			a.buf = append(a.buf, '-')
		}
		lastLo := len(a.buf)
		a.buf = append(a.buf, s.part(last)...)
		if !s.hasDigit {
			a.buf = a.buf[:lastLo+len(stemBytes(a.buf[lastLo:]))]
		}
		if len(a.buf)-lo <= maxTokenBytes {
			a.xspan = append(a.xspan, span{int32(lo), int32(len(a.buf))})
		} else {
			a.buf = a.buf[:lo]
		}
	}
	s.parts = s.parts[:0]
	s.partBuf = s.partBuf[:0]
	s.hasDigit = false
}

// emit adds one word (a whole word or a part of a hyphenated one).
func (s *scanner) emit(w []byte) {
	if len(w) > maxTokenBytes || len(w) < 8 && utf8.RuneCount(w) < 2 || isStopWordBytes(w) {
		s.brk = true
		return
	}
	a := s.a
	lo := len(a.buf)
	a.buf = append(a.buf, w...)
	if !hasDigit(w) {
		w = stemBytes(a.buf[lo:])
		a.buf = a.buf[:lo+len(w)]
		if isStopWordBytes(w) {
			a.buf = a.buf[:lo]
			s.brk = true
			return
		}
	}
	a.wspan = append(a.wspan, span{int32(lo), int32(len(a.buf))})
	a.brk = append(a.brk, s.brk || len(a.wspan) == 1)
	s.brk = false
}

func hasDigit(w []byte) bool {
	for _, c := range w {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// stem is a light plural stemmer (Harman's S-stemmer with Porter's "sses"
// rule): sses → ss; ches, shes, xes → ch, sh, x; ies → y; s → "" except
// after s, u or i. Words of three letters or fewer are left alone ("gas",
// "bus"), and so are "series" and "species".
func stem(w string) string { return string(stemBytes([]byte(w))) }

// stemBytes is stem on a word's bytes, in place: it returns a prefix of w,
// whose last byte it may have changed (ies → y).
func stemBytes(w []byte) []byte {
	n := len(w)
	if n <= 3 || w[n-1] != 's' || utf8.RuneCount(w) <= 3 || string(w) == "series" || string(w) == "species" {
		return w
	}
	switch {
	case bytes.HasSuffix(w, []byte("sses")):
		return w[:n-2]
	case bytes.HasSuffix(w, []byte("ches")) || bytes.HasSuffix(w, []byte("shes")) || bytes.HasSuffix(w, []byte("xes")):
		return w[:n-2]
	case bytes.HasSuffix(w, []byte("ies")) && n > 4 && w[n-4] != 'e' && w[n-4] != 'a':
		w[n-3] = 'y'
		return w[:n-2]
	}
	switch w[n-2] {
	case 's', 'u', 'i':
		return w
	}
	return w[:n-1]
}

// foldTable folds accented Latin letters (lower case) to ASCII.
var foldTable = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ł': "l", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ð': "d", 'þ': "th"}
	groups := map[string]string{
		"a": "àáâãäåāăąǎ",
		"c": "çćĉċč",
		"d": "ď",
		"e": "èéêëēĕėęě",
		"g": "ĝğġģ",
		"h": "ĥ",
		"i": "ìíîïĩīĭįǐ",
		"j": "ĵ",
		"k": "ķ",
		"l": "ĺļľŀ",
		"n": "ñńņňŉ",
		"o": "òóôõöōŏőǒ",
		"r": "ŕŗř",
		"s": "śŝşšș",
		"t": "ţťț",
		"u": "ùúûüũūŭůűųǔ",
		"w": "ŵ",
		"y": "ýÿŷ",
		"z": "źżž",
	}
	for to, from := range groups {
		for _, r := range from {
			m[r] = to
		}
	}
	return m
}()
