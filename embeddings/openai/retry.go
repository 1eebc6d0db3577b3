package openai

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	goopenai "github.com/sashabaranov/go-openai"
)

// failure is why one attempt failed and what to do about it.
type failure struct {
	err    error
	status int  // HTTP status, 0 without a response
	retry  bool // the failure may pass; try again
	// retryAfter is the server's Retry-After, when hasRetryAfter.
	retryAfter    time.Duration
	hasRetryAfter bool
	// auth is set when the key was refused.
	auth *AuthError
}

// response records the status and header of the last HTTP response of an
// attempt. go-openai does not expose the header of an error response, and
// Retry-After lives there.
type response struct {
	status int
	header http.Header
}

type responseKey struct{}

// recordingDoer sends requests with an http.Client and notes each response
// in the *response found in the request's context.
type recordingDoer struct{ c *http.Client }

// Do implements go-openai's HTTPDoer.
func (d recordingDoer) Do(req *http.Request) (*http.Response, error) {
	res, err := d.c.Do(req)
	if res != nil {
		if rec, ok := req.Context().Value(responseKey{}).(*response); ok {
			rec.status = res.StatusCode
			rec.header = res.Header
		}
	}
	return res, err
}

// classify says why an attempt failed and whether to try again.
func (c *Client) classify(err error, rec *response, timedOut bool) *failure {
	endpoint := c.cfg.BaseURL + "/embeddings"
	f := &failure{status: rec.status}
	switch s := rec.status; {
	case s >= 400:
		msg := serverMessage(err)
		said := ""
		if msg != "" {
			said = "; the server said: " + msg
		}
		switch {
		case s == http.StatusUnauthorized || s == http.StatusForbidden:
			f.auth = &AuthError{StatusCode: s, BaseURL: c.cfg.BaseURL, Model: c.cfg.Model, KeyEmpty: c.cfg.APIKey == "", Message: msg}
			f.err = f.auth
		case s == http.StatusTooManyRequests:
			f.err, f.retry = fmt.Errorf("rate limited (429)%s", said), true
		case s == http.StatusRequestTimeout || s == http.StatusTooEarly:
			f.err, f.retry = fmt.Errorf("HTTP %d from %s%s", s, endpoint, said), true
		case s >= 500:
			f.err, f.retry = fmt.Errorf("server error (%d) from %s%s", s, endpoint, said), true
		case s == http.StatusNotFound:
			f.err = fmt.Errorf("not found (404) at %s: check OPENAI_BASE_URL (it usually ends in /v1) and that the server has model %q%s", endpoint, c.cfg.Model, said)
		default:
			f.err = fmt.Errorf("request rejected (%d) by %s%s", s, endpoint, said)
		}
		if f.retry && rec.header != nil {
			f.retryAfter, f.hasRetryAfter = retryAfter(rec.header, c.now())
		}
	case timedOut:
		f.err, f.retry = fmt.Errorf("no complete response from %s within %v", endpoint, c.cfg.Timeout), true
	case s != 0:
		// A response came but its body could not be read or decoded.
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) {
			f.err = fmt.Errorf("%w: response from %s (HTTP %d) is not embeddings JSON: %v", ErrBadResponse, endpoint, s, err)
		} else {
			f.err, f.retry = fmt.Errorf("reading the response from %s (HTTP %d): %w", endpoint, s, err), true
		}
	default:
		f.err = fmt.Errorf("cannot reach %s: %w", endpoint, err)
		f.retry = transient(err)
	}
	return f
}

// transient says whether a transport error (no HTTP response) may pass:
// refused or reset connections and timeouts do, certificate errors and
// unknown host names do not.
func transient(err error) bool {
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verify    *tls.CertificateVerificationError
		recordHdr tls.RecordHeaderError
		dnsErr    *net.DNSError
		addrErr   *net.AddrError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &invalid),
		errors.As(err, &hostname), errors.As(err, &verify), errors.As(err, &recordHdr), errors.As(err, &addrErr):
		return false
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	}
	return true
}

// serverMessage is what the server said in an error response, shortened.
func serverMessage(err error) string {
	// A body that is not OpenAI's error shape (TEI's {"error": "..."}, an
	// HTML page) comes as a RequestError holding the raw body.
	var re *goopenai.RequestError
	if errors.As(err, &re) {
		if len(re.Body) > 0 {
			return shorten(string(re.Body))
		}
		if re.Err != nil {
			return shorten(re.Err.Error())
		}
		return ""
	}
	var ae *goopenai.APIError
	if errors.As(err, &ae) {
		return shorten(ae.Message)
	}
	return shorten(err.Error())
}

// shorten collapses white space and cuts s to at most 300 bytes of valid
// UTF-8, so that an HTML error page does not flood a log line.
func shorten(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	const max = 300
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// backoffBound is the wait bound before retry number retry+1: initial
// doubled retry times, at most max.
func backoffBound(initial, max time.Duration, retry int) time.Duration {
	d := initial
	for range retry {
		if d >= max/2 {
			return max
		}
		d *= 2
	}
	return min(d, max)
}

// fullJitter returns a uniformly random duration in [0, d].
func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// sleepCtx waits for d, or returns ctx.Err() as soon as ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxRetryAfter bounds parsed waits, so that no arithmetic overflows.
const maxRetryAfter = 1000 * 24 * time.Hour

// retryAfter reads how long the server asks the client to wait from h:
// the non-standard "retry-after-ms" header (milliseconds, as OpenAI sends)
// if valid, else the standard Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, ok := parseNonNegative(v); ok {
			return durationOf(ms, time.Millisecond), true
		}
	}
	return parseRetryAfter(h.Get("Retry-After"), now)
}

// parseRetryAfter parses a Retry-After value: a number of seconds (RFC 9110
// says a non-negative integer; fractions are accepted too) or an HTTP date,
// which gives the wait from now (zero if past). Waits are capped at 1000
// days. It reports false for anything else.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, ok := parseNonNegative(v); ok {
		return durationOf(s, time.Second), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return min(d, maxRetryAfter), true
}

// parseNonNegative parses a plain decimal number >= 0 (digits with at most
// one dot; no sign, exponent, hex, inf or NaN).
func parseNonNegative(v string) (float64, bool) {
	dot := false
	digits := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if math.IsNaN(f) || f < 0 {
		return 0, false
	}
	return f, true // +Inf on overflow; durationOf caps it
}

// durationOf is n units, capped at maxRetryAfter.
func durationOf(n float64, unit time.Duration) time.Duration {
	if n*float64(unit) >= float64(maxRetryAfter) {
		return maxRetryAfter
	}
	return time.Duration(n * float64(unit))
}
