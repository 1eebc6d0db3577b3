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
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
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
