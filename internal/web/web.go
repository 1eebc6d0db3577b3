// Package web serves recommend's web page: one static HTML page with a
// little plain JavaScript and CSS, embedded in the binary (no CDN, no build
// step), that searches papers, shows a paper with its related papers, keeps
// liked and disliked papers in the browser session to get recommendations,
// and draws the map of the corpus. It talks to the service only through the
// public HTTP API (/v1/...).
//
// The page is served at / and its assets under /static/; everything else
// (/v1, /healthz, /readyz) is left to the API.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/errs"
)

//go:embed static
var files embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	name  string
	body  []byte
	etag  string
	ctype string
}

// assets holds every file under static/, by its path below static/.
var assets = mustLoad()

func mustLoad() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[name] = asset{name: name, body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		// The files are compiled in: failing to read them is a build bug.
		panic("web: read embedded files: " + err.Error())
	}
	return out
}

// contentSecurityPolicy allows nothing but the page's own files and API:
// no inline script, no third-party host.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Register adds the page (GET and HEAD /) and its assets (/static/*) to e.
func Register(e *echo.Echo) {
	methods := []string{http.MethodGet, http.MethodHead}
	e.Match(methods, "/", handlePage)
	e.Match(methods, "/static/*", handleAsset)
}

func handlePage(c echo.Context) error {
	return serve(c, assets["index.html"])
}

func handleAsset(c echo.Context) error {
	name := c.Param("*")
	a, ok := assets[name]
	if !ok || name == "index.html" {
		return errs.Errorf(errs.NotFoundRoute, "no such file: /static/%s", name)
	}
	return serve(c, a)
}

// serve writes an embedded file. Browsers revalidate every time (no-cache)
// and get a 304 while the binary has not changed, so a new release never
// runs with stale JavaScript.
func serve(c echo.Context, a asset) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(a.ctype, "text/html") {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(c.Response(), c.Request(), a.name, time.Time{}, bytes.NewReader(a.body))
	return nil
}
