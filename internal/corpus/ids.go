package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxSlugLen bounds the length of the slug part of an ID made from a title.
// A clash suffix (ClashID) adds at most 1+64 bytes.
const MaxSlugLen = 80

// minCut is the shortest a slug may become when a long one is cut back to
// the last whole word.
const minCut = MaxSlugLen / 2

// TitleKey is the normalised title that decides whether two records are the
// same paper. It decomposes the title (NFKD), drops accents, lower-cases
// letters, and turns every run of characters that are neither letters nor
// digits into one space: "Bose--Einstein", "Bose-Einstein" and
// "bose einstein" share a key, and so do "Padé" and "Pade". Letters of other
// scripts are kept. A title with no letter or digit keys on its
// lower-cased, space-collapsed self.
func TitleKey(title string) string {
	var b strings.Builder
	b.Grow(len(title))
	pendingSpace := false
	add := func(r rune) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if pendingSpace && b.Len() > 0 {
				b.WriteByte(' ')
			}
			pendingSpace = false
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
			// An accent left by decomposition: drop it.
		default:
			pendingSpace = true
		}
	}
	if isASCII(title) {
		for i := 0; i < len(title); i++ {
			add(rune(title[i]))
		}
	} else {
		var it norm.Iter
		it.InitString(norm.NFKD, title)
		for !it.Done() {
			seg := it.Next()
			for len(seg) > 0 {
				r, n := utf8.DecodeRune(seg)
				seg = seg[n:]
				add(r)
			}
		}
	}
	if b.Len() == 0 {
		return strings.Join(strings.Fields(strings.ToLower(title)), " ")
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// slugBase is the URL-safe part of a title's slug: the ASCII letters and
// digits of its TitleKey joined by single dashes, cut back to at most
// MaxSlugLen bytes at a word boundary where one is near. It is "" for a
// title with no ASCII letter or digit.
func slugBase(key string) string {
	b := make([]byte, 0, min(len(key), MaxSlugLen+1))
	dash := false
	for i := 0; i < len(key) && len(b) <= MaxSlugLen; i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && len(b) > 0 {
				b = append(b, '-')
			}
			dash = false
			b = append(b, c)
			continue
		}
		dash = true
	}
	if len(b) > MaxSlugLen {
		cut := b[:MaxSlugLen]
		if b[MaxSlugLen] != '-' {
			if i := strings.LastIndexByte(string(cut), '-'); i >= minCut {
				cut = cut[:i]
			}
		}
		b = cut
	}
	return strings.Trim(string(b), "-")
}

// keyHash is the hex SHA-256 of a title key.
func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// SlugID is the ID of a paper whose source has no ID of its own: a
// URL-safe slug of its normalised title (lower-case a-z, 0-9 and single
// dashes, at most MaxSlugLen bytes), such as
// "fan-fourier-analysis-networks". A title with no ASCII letter or digit
// gets "paper-" and the first 8 hex digits of the SHA-256 of its TitleKey.
// The same title gives the same slug on every run and machine.
func SlugID(title string) string {
	key := TitleKey(title)
	if s := slugBase(key); s != "" {
		return s
	}
	return "paper-" + keyHash(key)[:8]
}

// ClashID is the ID given to a paper whose SlugID is already taken by a
// different paper (a different TitleKey, with the same slug because of
// punctuation, other scripts or the length bound): the slug, a dash and the
// first digits hex digits of the SHA-256 of the paper's TitleKey (8, 16 or
// up to 64). The suffix depends only on the title, so it is the same on every
// run and machine; Merger tries 8 digits first and more only if those clash
// too.
func ClashID(title string, digits int) string {
	digits = max(8, min(digits, 64))
	key := TitleKey(title)
	base := slugBase(key)
	if base == "" {
		base = "paper"
		digits = max(16, digits)
	}
	return base + "-" + keyHash(key)[:digits]
}

// IsSlugID reports whether id has the shape SlugID and ClashID produce.
func IsSlugID(id string) bool {
	if id == "" || len(id) > MaxSlugLen+65 || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && id[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// isSourceID reports whether id is a source's own ID ("arxiv:..."), as
// opposed to a slug made from the title. Source IDs have a scheme prefix.
func isSourceID(id string) bool {
	return strings.IndexByte(id, ':') > 0
}

// ArxivID turns an arXiv identifier into a paper ID: "2401.01234v2" and
// "arXiv:2401.01234" become "arxiv:2401.01234", "hep-th/9901001" becomes
// "arxiv:hep-th/9901001". ok is false when s is not an arXiv identifier
// (new style NNNN.NNNNN, or old style archive[.XX]/NNNNNNN).
func ArxivID(s string) (id string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 6 && strings.EqualFold(s[:6], "arxiv:") {
		s = s[6:]
	}
	// Drop a version suffix: v followed by digits.
	if i := strings.LastIndexByte(s, 'v'); i > 0 && i < len(s)-1 && allDigits(s[i+1:]) {
		s = s[:i]
	}
	if archive, num, found := strings.Cut(s, "/"); found {
		if !validArchive(archive) || len(num) != 7 || !allDigits(num) {
			return "", false
		}
		return "arxiv:" + s, true
	}
	yymm, num, found := strings.Cut(s, ".")
	if !found || len(yymm) != 4 || !allDigits(yymm) || len(num) < 4 || len(num) > 5 || !allDigits(num) {
		return "", false
	}
	return "arxiv:" + s, true
}

// validArchive accepts old-style arXiv archive names: up to 16 lower-case
// letters and dashes ("hep-th", "cond-mat"), optionally with a subject
// class (".GT" in "math.GT").
func validArchive(a string) bool {
	name, class, hasClass := strings.Cut(a, ".")
	if hasClass && (len(class) != 2 || !isUpperAlpha(class)) {
		return false
	}
	if name == "" || len(name) > 16 || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

func isUpperAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validID checks an ID given by the input. IDs appear in URLs, so they are
// limited to ASCII letters, digits and "-._~:/" (RFC 3986's unreserved
// characters plus the ":" and "/" of "arxiv:hep-th/9901001"), and to 256
// bytes. It returns why an ID is not valid, or "".
func validID(id string) string {
	if len(id) > 256 {
		return "is longer than 256 bytes"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~:/", c) >= 0:
		default:
			return "may hold only ASCII letters, digits and -._~:/"
		}
	}
	return ""
}
