package lexical

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTokenBytes is the longest token kept; longer runs (hashes, base64,
// squashed URLs) are dropped.
const maxTokenBytes = 64

// analysis is the result of analysing one text.
type analysis struct {
	// words are the kept words in text order, stemmed. Bigrams join
	// neighbours.
	words []string
	// brk[i] reports a phrase break (punctuation, a dropped word) between
	// words[i-1] and words[i]; no bigram spans a break.
	brk []bool
	// extra holds whole hyphenated words ("bio-inspired"): unigrams that
	// take no part in bigrams, since their parts are in words.
	extra []string
}

func (a *analysis) reset() {
	a.words = a.words[:0]
	a.brk = a.brk[:0]
	a.extra = a.extra[:0]
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
	a.reset()
	s := scanner{a: a}
	s.run(text)
}

type scanner struct {
	a     *analysis
	buf   []byte   // the part being built, lower-cased and folded
	parts []string // finished parts of the current (hyphenated) word
	// brk is set when a break (punctuation, dropped word) happened since
	// the last kept word.
	brk bool
	// hasDigit reports whether the current word has a digit (no stemming).
	hasDigit bool
}

func (s *scanner) run(text string) {
	i := 0
	for i < len(text) {
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
	s.parts = append(s.parts, string(s.buf))
	s.buf = s.buf[:0]
}

func (s *scanner) endWord() {
	s.endPart()
	switch len(s.parts) {
	case 0:
		return
	case 1:
		s.emit(s.parts[0])
	default:
		for _, p := range s.parts {
			s.emit(p)
		}
		last := len(s.parts) - 1
		if !s.hasDigit {
			s.parts[last] = stem(s.parts[last])
		}
		if whole := strings.Join(s.parts, "-"); len(whole) <= maxTokenBytes {
			s.a.extra = append(s.a.extra, whole)
		}
	}
	s.parts = s.parts[:0]
	s.hasDigit = false
}

// emit adds one word (a whole word or a part of a hyphenated one).
func (s *scanner) emit(w string) {
	if len(w) > maxTokenBytes || utf8.RuneCountInString(w) < 2 || isStopWord(w) {
		s.brk = true
		return
	}
	if !hasDigit(w) {
		if w = stem(w); isStopWord(w) {
			s.brk = true
			return
		}
	}
	s.a.words = append(s.a.words, w)
	s.a.brk = append(s.a.brk, s.brk || len(s.a.words) == 1)
	s.brk = false
}

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			return true
		}
	}
	return false
}

// stem is a light plural stemmer (Harman's S-stemmer with Porter's "sses"
// rule): sses → ss; ches, shes, xes → ch, sh, x; ies → y; s → "" except
// after s, u or i. Words of three letters or fewer are left alone ("gas",
// "bus"), and so are "series" and "species".
func stem(w string) string {
	n := len(w)
	if n <= 3 || w[n-1] != 's' || utf8.RuneCountInString(w) <= 3 || w == "series" || w == "species" {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes"):
		return w[:n-2]
	case strings.HasSuffix(w, "ies") && n > 4 && w[n-4] != 'e' && w[n-4] != 'a':
		return w[:n-3] + "y"
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
