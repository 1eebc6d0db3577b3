package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// collapseSpace trims s and replaces every run of white space in it (hard
// line breaks, tabs, runs of spaces) with one space.
func collapseSpace(s string) string {
	// Fast path: nothing to do when s has no leading or trailing space, no
	// white space other than ' ' and no two spaces in a row.
	clean := true
	prevSpace := true // so that leading space is caught
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			clean = false
			break
		}
		sp := c == ' '
		if (sp && prevSpace) || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !prevSpace {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		// Skip a run of white space, then copy the word after it whole.
		for i < len(s) {
			n := spaceAt(s, i)
			if n == 0 {
				break
			}
			i += n
		}
		j := i
		for j < len(s) {
			if c := s[j]; c < utf8.RuneSelf && !asciiSpace[c] {
				j++
				continue
			}
			if spaceAt(s, j) > 0 {
				break
			}
			_, n := utf8.DecodeRuneInString(s[j:])
			j += n
		}
		if j > i {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

// asciiSpace marks the ASCII white space characters.
var asciiSpace = [utf8.RuneSelf]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// spaceAt returns the length of the white space character at s[i], or 0
// when s[i] starts something else.
func spaceAt(s string, i int) int {
	if c := s[i]; c < utf8.RuneSelf {
		if asciiSpace[c] {
			return 1
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return n
	}
	return 0
}

// cleanList trims every string of list, collapses inner white space and
// drops empty ones. It reuses list's storage.
func cleanList(list []string) []string {
	out := list[:0]
	for _, s := range list {
		if s = collapseSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// trimSpace removes surrounding white space, and nothing else.
func trimSpace(s string) string { return strings.TrimSpace(s) }
