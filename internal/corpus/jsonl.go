package corpus

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/recommend-dev/recommend/internal/paper"
)

// jsonlReader reads JSON Lines in the project's own format: one
// paper.Paper per line, as the HTTP API sends and receives them. Blank lines
// are skipped; unknown fields are ignored.
type jsonlReader struct {
	src string
	lr  *lineReader
}

func (r *jsonlReader) next() (paper.Paper, error) {
	for {
		line, ok, err := jsonLine(r.src, r.lr)
		if err != nil {
			return paper.Paper{}, err
		}
		if !ok {
			continue
		}
		var p paper.Paper
		if err := json.Unmarshal(line, &p); err != nil {
			return paper.Paper{}, reject(r.src, r.lr.no, "invalid JSON: %v", err)
		}
		if reason := CleanPaper(&p); reason != "" {
			return paper.Paper{}, reject(r.src, r.lr.no, "%s", reason)
		}
		return p, nil
	}
}

// jsonLine reads the next line of a JSON Lines input. ok is false for a
// blank line. err is a *RejectError for a line that is too long or not
// UTF-8, io.EOF at the end, or a read error.
func jsonLine(src string, lr *lineReader) (line []byte, ok bool, err error) {
	line, size, long, err := lr.next()
	if err != nil {
		return nil, false, err
	}
	if long {
		return nil, false, reject(src, lr.no, "line is %d bytes, over the %d-byte limit", size, lr.max)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, false, nil
	}
	if !utf8.Valid(line) {
		return nil, false, reject(src, lr.no, "line is not valid UTF-8 (byte %d)", invalidUTF8At(line))
	}
	return line, true, nil
}

// CleanPaper checks and tidies a paper that came from outside (a JSON
// Lines file in the project's format, or the HTTP API) and returns why it
// cannot be used, or "" when it can. It trims surrounding white space from
// every string (and nothing else from title and abstract), requires a
// title and an abstract, gives a paper without an ID its SlugID, requires
// any other ID to be URL-safe (ASCII letters, digits and -._~:/, at most
// 256 bytes), requires Published to be empty or a date "2006-01-02", drops
// empty authors and categories, and raises AuthorCount to the number of
// authors listed.
func CleanPaper(p *paper.Paper) string {
	p.Title = trimSpace(p.Title)
	p.Abstract = trimSpace(p.Abstract)
	p.ID = trimSpace(p.ID)
	p.Organization = collapseSpace(p.Organization)
	p.Published = trimSpace(p.Published)
	p.URL = trimSpace(p.URL)
	p.DOI = trimSpace(p.DOI)
	p.Authors = cleanList(p.Authors)
	p.Categories = cleanList(p.Categories)
	switch {
	case p.Title == "":
		return "missing title"
	case p.Abstract == "":
		return "empty abstract"
	case p.AuthorCount < 0:
		return "author_count is negative"
	}
	if p.ID == "" {
		p.ID = SlugID(p.Title)
	} else if why := validID(p.ID); why != "" {
		return "id " + quote(p.ID) + " " + why
	}
	if p.Published != "" {
		if _, err := time.Parse(time.DateOnly, p.Published); err != nil {
			return "published " + quote(p.Published) + " is not a date in the form 2006-01-02"
		}
	}
	p.AuthorCount = max(p.AuthorCount, len(p.Authors))
	return ""
}

// quote quotes s, shortened, for a message.
func quote(s string) string { return strconv.Quote(truncate(s, 80)) }
