package httpapi

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/errs"
)

// API keys
//
// Writes (POST and DELETE on /v1/papers, and everything under /v1/admin)
// need one of the configured API keys once any key is configured; with
// Config.AuthReads every other route needs one too, except /healthz,
// /readyz and the web page with its static files. A key is sent as
// "Authorization: Bearer KEY" or "X-API-Key: KEY". No key is a 401, a key
// that matches none is a 403, both in the one error shape. Keys are
// compared in constant time over their SHA-256 digests, so neither a key's
// content nor its length leaks through timing, and they are never logged.

// MinAPIKeyLen is the shortest API key accepted.
const MinAPIKeyLen = 8

// keyring holds the SHA-256 digests of the configured API keys.
type keyring struct {
	sums [][sha256.Size]byte
}

func newKeyring(keys []string) *keyring {
	k := &keyring{}
	for _, key := range keys {
		if key != "" {
			k.sums = append(k.sums, sha256.Sum256([]byte(key)))
		}
	}
	return k
}

// enabled reports whether any key is configured.
func (k *keyring) enabled() bool { return len(k.sums) > 0 }

// valid reports whether key is one of the configured keys. It compares the
// key's digest with every configured digest, without stopping at a match,
// so its time depends only on the number of keys.
func (k *keyring) valid(key string) bool {
	sum := sha256.Sum256([]byte(key))
	match := 0
	for i := range k.sums {
		match |= subtle.ConstantTimeCompare(sum[:], k.sums[i][:])
	}
	return match == 1
}

// presentedKey returns the key a request carries: the token of an
// "Authorization: Bearer" header, else the X-API-Key header.
func presentedKey(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			if token = strings.TrimSpace(token); token != "" {
				return token, true
			}
		}
	}
	if key := strings.TrimSpace(r.Header.Get("X-API-Key")); key != "" {
		return key, true
	}
	return "", false
}

// isWrite reports whether a request to the route pattern changes data or
// reads all of it at once: writes to papers and everything under
// /v1/admin.
func isWrite(route, method string) bool {
	if route == "/v1/admin" || strings.HasPrefix(route, "/v1/admin/") {
		return true
	}
	if route != "/v1/papers" && !strings.HasPrefix(route, "/v1/papers/") {
		return false
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// isPublic reports whether a route stays open even with AuthReads: health
// checks and the web page with its static files (the page's own API calls
// still need a key).
func isPublic(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/", "/static/*":
		return true
	}
	return false
}

// requireKey is the middleware that checks API keys as the package doc
// says. It decides by the route pattern echo matched, so that no spelling
// of a path reaches a handler it would not guard. Unknown routes need a
// key with AuthReads, so that they cannot be probed without one.
func requireKey(keys []string, authReads bool) echo.MiddlewareFunc {
	ring := newKeyring(keys)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if !ring.enabled() {
			return next
		}
		return func(c echo.Context) error {
			route, method := c.Path(), c.Request().Method
			if !isWrite(route, method) && (!authReads || isPublic(route)) {
				return next(c)
			}
			key, ok := presentedKey(c.Request())
			if !ok {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="recommend"`)
				return errs.Errorf(errs.Unauthorized, "%s %s needs an API key: send \"Authorization: Bearer KEY\" or \"X-API-Key: KEY\"", method, c.Request().URL.Path)
			}
			if !ring.valid(key) {
				return errs.Errorf(errs.Forbidden, "the API key is not valid for %s %s", method, c.Request().URL.Path)
			}
			return next(c)
		}
	}
}

// LoadAPIKeys returns the API keys of a comma-separated list (the
// --api-keys flag) and of a file with one key per line, where blank lines
// and lines starting with # are ignored (the --api-keys-file flag); either
// may be empty. Keys are trimmed of surrounding white space; a key shorter
// than MinAPIKeyLen, or holding white space or control characters, is an
// error that says where it is without repeating it.
func LoadAPIKeys(list, file string) ([]string, error) {
	var keys []string
	for i, k := range strings.Split(list, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("API key %d of the list: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("API keys file: %w", err)
		}
		defer f.Close()
		fk, err := ParseAPIKeys(f)
		if err != nil {
			return nil, fmt.Errorf("API keys file %s: %w", file, err)
		}
		keys = append(keys, fk...)
	}
	return keys, nil
}

// maxKeyLine bounds a line of an API keys file.
const maxKeyLine = 4096

// ParseAPIKeys reads keys one per line from r, ignoring blank lines and
// lines whose first non-blank character is #. See LoadAPIKeys.
func ParseAPIKeys(r io.Reader) ([]string, error) {
	var keys []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxKeyLine)
	line := 0
	for sc.Scan() {
		line++
		k := strings.TrimSpace(sc.Text())
		if k == "" || strings.HasPrefix(k, "#") {
			continue
		}
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("after line %d: %w", line, err)
	}
	return keys, nil
}

// checkKey says what is wrong with a key, never quoting it.
func checkKey(k string) error {
	if len(k) < MinAPIKeyLen {
		return fmt.Errorf("the key is %d characters long; use at least %d (random, such as from openssl rand -hex 32)", len(k), MinAPIKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("the key holds white space or a control character at byte %d; it could not be sent in a header", i)
		}
	}
	return nil
}
