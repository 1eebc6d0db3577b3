package openai

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 12 ", 12 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"99999999999999999999999", maxRetryAfter, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-90 * time.Second).Format(http.TimeFormat), 0, true},
		{now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second, true},
		{now.Add(90 * time.Second).Format(time.ANSIC), 90 * time.Second, true},
		{"", 0, false},
		{"-1", 0, false},
		{"+5", 0, false},
		{"1e3", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"0x10", 0, false},
		{".", 0, false},
		{"1.2.3", 0, false},
		{"soon", 0, false},
		{"Mon, 99 Jan 2026 00:00:00 GMT", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		h      http.Header
		want   time.Duration
		wantOK bool
	}{
		{"none", http.Header{}, 0, false},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second, true},
		{"ms wins", http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"20"}}, 20 * time.Millisecond, true},
		{"bad ms falls back", http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"x"}}, 3 * time.Second, true},
		{"fractional ms", http.Header{"Retry-After-Ms": {"0.5"}}, 500 * time.Microsecond, true},
	} {
		got, ok := retryAfter(tc.h, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: retryAfter = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestBackoffBound(t *testing.T) {
	for _, tc := range []struct {
		retry int
		want  time.Duration
	}{{0, 500 * time.Millisecond}, {1, time.Second}, {2, 2 * time.Second}, {5, 16 * time.Second}, {6, 30 * time.Second}, {100, 30 * time.Second}} {
		if got := backoffBound(500*time.Millisecond, 30*time.Second, tc.retry); got != tc.want {
			t.Errorf("backoffBound(retry %d) = %v, want %v", tc.retry, got, tc.want)
		}
	}
	for range 1000 {
		if d := fullJitter(10 * time.Millisecond); d < 0 || d > 10*time.Millisecond {
			t.Fatalf("fullJitter(10ms) = %v, outside [0, 10ms]", d)
		}
	}
	if d := fullJitter(0); d != 0 {
		t.Errorf("fullJitter(0) = %v", d)
	}
}

func TestShorten(t *testing.T) {
	long := ""
	for range 100 {
		long += "é€ "
	}
	got := shorten(long)
	if len(got) > 300+len("…") {
		t.Errorf("shorten gave %d bytes", len(got))
	}
	if got := shorten("  a \n\t b  "); got != "a b" {
		t.Errorf("shorten = %q, want %q", got, "a b")
	}
	if got := shorten("\xff\xfeabc"); got != "\uFFFDabc" {
		t.Errorf("shorten = %q", got)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"0", "7", "1.5", "-1", "", "Fri, 02 Jan 2026 03:05:05 GMT", "Friday, 02-Jan-26 03:05:05 GMT",
		"Fri Jan  2 03:05:05 2026", "99999999999999999999999999", "1e9", "NaN", " 3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if !ok {
			if d != 0 {
				t.Fatalf("parseRetryAfter(%q) = %v, false; want 0 when not ok", s, d)
			}
			return
		}
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v, outside [0, %v]", s, d, maxRetryAfter)
		}
		// A plain integer means that many seconds, up to the cap.
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			if want := min(time.Duration(n)*time.Second, maxRetryAfter); d != want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", s, d, want)
			}
		}
		// What a date parses to is the same as for the canonical form.
		if tm, err := http.ParseTime(s); err == nil {
			d2, ok2 := parseRetryAfter(tm.Format(http.TimeFormat), now)
			if !ok2 || d2 != d {
				t.Fatalf("parseRetryAfter(%q) = %v but its canonical form gives %v, %v", s, d, d2, ok2)
			}
		}
	})
}
