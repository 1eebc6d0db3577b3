package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
)

// Engine is what the API needs from the engine.
type Engine interface {
	Ready() bool
	LexicalReady() bool
	ModeNow(m engine.Mode) engine.Mode
	Model() string
	Dimensions() int
	Len() int
	Get(id string) (paper.Paper, error)
	List(offset, limit int) ([]paper.Paper, int, error)
	Put(ctx context.Context, ps []paper.Paper) error
	Delete(id string) error
	Related(ctx context.Context, id string, q engine.Query) ([]engine.Result, error)
	Search(ctx context.Context, text string, q engine.Query) ([]engine.Result, error)
	Recommend(ctx context.Context, positive, negative []string, q engine.Query) ([]engine.Result, error)
	Embed(ctx context.Context, texts []string) ([][]float32, int, error)
	Map(ctx context.Context) (engine.MapResult, error)
}

// ResultList is the response of related, search and recommend.
type ResultList struct {
	Data  []engine.Result `json:"data"`
	Model string          `json:"model"`
	// Mode is the ranking that ran: the one asked for, except that hybrid
	// runs as semantic while the lexical index is still loading at start-up.
	Mode engine.Mode `json:"mode"`
}

// PaperList is the response of listing and storing papers.
type PaperList struct {
	Data  []paper.Paper `json:"data"`
	Total int           `json:"total"`
}

func handleHealth() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	}
}

func handleReady(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !eng.Ready() {
			return errs.Errorf(errs.Unavailable, "the index is still loading")
		}
		return c.JSON(http.StatusOK, map[string]any{
			"status": "ready", "model": eng.Model(), "papers": eng.Len(),
			"modes": engine.Modes, "default_mode": engine.Hybrid,
			// false while the lexical index is still loading: hybrid
			// queries run as semantic, lexical ones and writes get 503.
			"lexical_ready": eng.LexicalReady(),
		})
	}
}

// paperID returns the :id path parameter, unescaped: IDs such as
// arxiv:hep-th/9901001 contain a slash, which callers send as %2F.
func paperID(c echo.Context) (string, error) {
	raw := c.Param("id")
	id, err := url.PathUnescape(raw)
	if err != nil || id == "" {
		return "", errs.Field("id", "%q is not a valid paper id", raw)
	}
	return id, nil
}

func handleGetPaper(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		p, err := eng.Get(id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	}
}

func handleDeletePaper(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		if err := eng.Delete(id); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"id": id, "deleted": true})
	}
}

func handleListPapers(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit, err := intParam(c, "limit", engine.DefaultLimit, 1, engine.MaxLimit)
		if err != nil {
			return err
		}
		offset, err := intParam(c, "offset", 0, 0, 1<<31-1)
		if err != nil {
			return err
		}
		ps, total, err := eng.List(offset, limit)
		if err != nil {
			return err
		}
		if ps == nil {
			ps = []paper.Paper{}
		}
		return c.JSON(http.StatusOK, PaperList{Data: ps, Total: total})
	}
}

// putPapersRequest is the batch form of POST /v1/papers.
type putPapersRequest struct {
	Papers []paper.Paper `json:"papers"`
}

func handlePutPapers(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		body, err := readBody(c)
		if err != nil {
			return err
		}
		var ps []paper.Paper
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(body, &probe); err != nil {
			return jsonError(err)
		}
		if _, batch := probe["papers"]; batch {
			var req putPapersRequest
			if err := decodeStrict(body, &req); err != nil {
				return err
			}
			if len(req.Papers) == 0 {
				return errs.Field("papers", "papers must list at least one paper")
			}
			ps = req.Papers
		} else {
			var p paper.Paper
			if err := decodeStrict(body, &p); err != nil {
				return err
			}
			ps = []paper.Paper{p}
		}
		if err := eng.Put(c.Request().Context(), ps); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, PaperList{Data: ps, Total: len(ps)})
	}
}

// query reads the parameters every result list shares.
func query(c echo.Context) (engine.Query, error) {
	limit, err := intParam(c, "limit", engine.DefaultLimit, 1, engine.MaxLimit)
	if err != nil {
		return engine.Query{}, err
	}
	exact, err := boolParam(c, "exact")
	if err != nil {
		return engine.Query{}, err
	}
	return engine.Query{
		Limit:           limit,
		PublishedAfter:  c.QueryParam("published_after"),
		PublishedBefore: c.QueryParam("published_before"),
		Exact:           exact,
		Mode:            engine.Mode(c.QueryParam("mode")),
	}, nil
}

func handleRelated(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		q, err := query(c)
		if err != nil {
			return err
		}
		q.Mode = eng.ModeNow(q.Mode)
		rs, err := eng.Related(c.Request().Context(), id, q)
		return results(c, eng, q, rs, err)
	}
}

func handleSearch(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		q, err := query(c)
		if err != nil {
			return err
		}
		q.Mode = eng.ModeNow(q.Mode)
		rs, err := eng.Search(c.Request().Context(), c.QueryParam("q"), q)
		return results(c, eng, q, rs, err)
	}
}

// recommendRequest is the body of POST /v1/recommend.
type recommendRequest struct {
	Positive        []string `json:"positive"`
	Negative        []string `json:"negative"`
	Limit           int      `json:"limit"`
	PublishedAfter  string   `json:"published_after"`
	PublishedBefore string   `json:"published_before"`
	Exact           bool     `json:"exact"`
	Mode            string   `json:"mode"`
}

func handleRecommend(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		body, err := readBody(c)
		if err != nil {
			return err
		}
		var req recommendRequest
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
		q := engine.Query{Limit: req.Limit, PublishedAfter: req.PublishedAfter, PublishedBefore: req.PublishedBefore, Exact: req.Exact, Mode: engine.Mode(req.Mode)}
		q.Mode = eng.ModeNow(q.Mode)
		rs, err := eng.Recommend(c.Request().Context(), req.Positive, req.Negative, q)
		return results(c, eng, q, rs, err)
	}
}

func results(c echo.Context, eng Engine, q engine.Query, rs []engine.Result, err error) error {
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []engine.Result{}
	}
	return c.JSON(http.StatusOK, ResultList{Data: rs, Model: eng.Model(), Mode: q.Mode})
}

// boolParam reads a true/false query parameter; absent is false.
func boolParam(c echo.Context, name string) (bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errs.Field(name, "%s must be true or false, got %q", name, s)
	}
	return b, nil
}

// intParam reads an integer query parameter in [lo, hi], or def when absent.
func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errs.Field(name, "%s must be an integer, got %q", name, s)
	}
	if n < lo || n > hi {
		return 0, errs.Field(name, "%s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return n, nil
}

// readBody reads the request body; the body-limit middleware bounds it.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.Errorf(errs.TooLarge, "the request body is larger than %d bytes", mbe.Limit)
		}
		return nil, errs.Wrap(errs.Invalid, err, "could not read the request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errs.Errorf(errs.Invalid, "the request body is empty; send JSON")
	}
	return body, nil
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields and
// trailing data, with errors that name the field.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errs.Errorf(errs.Invalid, "the request body has data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a 400 that says where the problem is.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errs.Errorf(errs.Invalid, "the request body is not valid JSON (at byte %d): %v", se.Offset, err)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errs.Errorf(errs.Invalid, "the request body must be a JSON object, not %s", te.Value)
		}
		return errs.Field(field, "%s must be %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errs.Errorf(errs.Invalid, "the request body is truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Field(name, "unknown field %q", name)
	}
	return errs.Wrap(errs.Invalid, err, "the request body is not valid: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "int", "int64", "float32", "float64":
		return "a number"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return fmt.Sprintf("a %s", k)
}
