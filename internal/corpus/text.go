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
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		n := 1
		isSpace := false
		if c < utf8.RuneSelf {
			isSpace = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			isSpace = unicode.IsSpace(r)
		}
		if isSpace {
			space = true
		} else {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if n == 1 {
				b.WriteByte(c)
			} else {
				b.WriteString(s[i : i+n])
			}
		}
		i += n
	}
	return b.String()
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
