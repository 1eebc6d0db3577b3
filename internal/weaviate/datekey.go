package weaviate

// datePattern gives, per position of a "2006-01-02" date, whether a digit
// (true) or a dash (false) belongs there.
var datePattern = [10]bool{true, true, true, true, false, true, true, false, true, true}

// dateKey maps a paper's published string to an integer that compares
// with the key of any date string of the form "dddd-dd-dd" exactly as the
// strings compare (the engine compares dates as strings): such a date d
// maps to 2*dddddddd, and any other string s to 2*v+1, where v is the
// greatest "dddd-dd-dd" string below s (-1 when there is none). Weaviate
// filters an indexed integer range about twice as fast as a text range
// (measured at 20k papers), hence the detour.
func dateKey(s string) int64 {
	if n, ok := dateNumber(s); ok {
		return 2 * n
	}
	v, ok := datePredecessor(s)
	if !ok {
		return -1
	}
	n, _ := dateNumber(v)
	return 2*n + 1
}

// dateNumber returns the digits of a "dddd-dd-dd" string as a number.
func dateNumber(s string) (int64, bool) {
	if len(s) != len(datePattern) {
		return 0, false
	}
	var n int64
	for i, digit := range datePattern {
		c := s[i]
		switch {
		case digit && c >= '0' && c <= '9':
			n = 10*n + int64(c-'0')
		case !digit && c == '-':
		default:
			return 0, false
		}
	}
	return n, true
}

// datePredecessor returns the greatest "dddd-dd-dd" string that is
// byte-wise less than s, which is not of that form.
func datePredecessor(s string) (string, bool) {
	// m: how many leading bytes of s fit the pattern.
	m := 0
	for m < len(datePattern) && m < len(s) && fits(m, s[m]) {
		m++
	}
	if m == len(datePattern) {
		// s is a date followed by more bytes: the date itself.
		return s[:m], true
	}
	// Lower s at the last position i <= m where a smaller byte fits,
	// then fill the rest with the greatest bytes that fit.
	for i := m; i >= 0; i-- {
		if i >= len(s) {
			continue // s ended here: nothing is smaller than the end
		}
		c, ok := largestBelow(i, s[i])
		if !ok {
			continue
		}
		b := []byte(s[:i])
		b = append(b, c)
		for j := i + 1; j < len(datePattern); j++ {
			if datePattern[j] {
				b = append(b, '9')
			} else {
				b = append(b, '-')
			}
		}
		return string(b), true
	}
	return "", false
}

func fits(i int, c byte) bool {
	if datePattern[i] {
		return c >= '0' && c <= '9'
	}
	return c == '-'
}

// largestBelow returns the greatest byte that fits position i and is less
// than c.
func largestBelow(i int, c byte) (byte, bool) {
	if !datePattern[i] {
		return '-', c > '-'
	}
	switch {
	case c > '9':
		return '9', true
	case c > '0':
		return c - 1, true
	}
	return 0, false
}
