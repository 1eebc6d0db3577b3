package corpus

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
)

// arxivRecord is one line of the arXiv metadata snapshot
// (arxiv-metadata-oai-snapshot.json). Fields that may be null decode to "".
type arxivRecord struct {
	ID            string         `json:"id"`
	Title         string         `json:"title"`
	Abstract      string         `json:"abstract"`
	Authors       string         `json:"authors"`
	AuthorsParsed [][]string     `json:"authors_parsed"`
	Categories    string         `json:"categories"`
	DOI           string         `json:"doi"`
	UpdateDate    string         `json:"update_date"`
	Versions      []arxivVersion `json:"versions"`
}

type arxivVersion struct {
	Version string `json:"version"`
	Created string `json:"created"` // "Mon, 2 Apr 2007 19:18:42 GMT"
}

// arxivReader reads the arXiv metadata snapshot, one record per line.
//
// Mapping: ID "arxiv:" + id without its version (a record with no id gets
// SlugID of its title; one with an id that is not an arXiv identifier is
// rejected); title and abstract with hard line breaks and runs of white
// space collapsed to single spaces; Authors from authors_parsed ("First
// Last Suffix"), or else from splitting authors on commas and "and";
// Categories from categories split on spaces; Published from the creation
// date of the first version, or else update_date (the date of the latest
// version, the best the record offers); DOI the first of doi's DOIs; URL
// https://arxiv.org/abs/ID.
type arxivReader struct {
	src string
	lr  *lineReader
}

func (r *arxivReader) next() (paper.Paper, error) {
	for {
		line, ok, err := jsonLine(r.src, r.lr)
		if err != nil {
			return paper.Paper{}, err
		}
		if !ok {
			continue
		}
		var rec arxivRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return paper.Paper{}, reject(r.src, r.lr.no, "invalid JSON: %v", err)
		}
		p, reason := rec.paper()
		if reason != "" {
			return paper.Paper{}, reject(r.src, r.lr.no, "%s", reason)
		}
		return p, nil
	}
}

// paper converts the record, or says why it cannot.
func (rec *arxivRecord) paper() (paper.Paper, string) {
	p := paper.Paper{
		Title:    collapseSpace(rec.Title),
		Abstract: collapseSpace(rec.Abstract),
	}
	switch {
	case p.Title == "":
		return p, "missing title"
	case p.Abstract == "":
		return p, "empty abstract"
	}
	if raw := strings.TrimSpace(rec.ID); raw == "" {
		p.ID = SlugID(p.Title)
	} else {
		id, ok := ArxivID(raw)
		if !ok {
			return p, "id " + quote(raw) + " is not an arXiv identifier"
		}
		p.ID = id
		p.URL = "https://arxiv.org/abs/" + strings.TrimPrefix(id, "arxiv:")
	}
	p.Authors = arxivAuthors(rec.AuthorsParsed, rec.Authors)
	p.AuthorCount = len(p.Authors)
	if cats := strings.Fields(rec.Categories); len(cats) > 0 {
		p.Categories = cats
	}
	if dois := strings.Fields(rec.DOI); len(dois) > 0 {
		p.DOI = dois[0]
	}
	p.Published = arxivPublished(rec.Versions, rec.UpdateDate)
	return p, ""
}

// arxivAuthors lists author names, preferring authors_parsed ([last,
// first, suffix] per author) to splitting the free-text authors field.
func arxivAuthors(parsed [][]string, authors string) []string {
	if len(parsed) > 0 {
		names := make([]string, 0, len(parsed))
		var b strings.Builder
		for _, a := range parsed {
			// a is [last, first, suffix]; the name reads first last suffix.
			b.Reset()
			for _, i := range [...]int{1, 0, 2} {
				if i >= len(a) {
					continue
				}
				if part := strings.TrimSpace(a[i]); part != "" {
					if b.Len() > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(part)
				}
			}
			if name := collapseSpace(b.String()); name != "" {
				names = append(names, name)
			}
		}
		if len(names) > 0 {
			return names
		}
	}
	authors = collapseSpace(authors)
	if authors == "" {
		return nil
	}
	authors = strings.ReplaceAll(authors, " and ", ", ")
	return cleanList(strings.Split(authors, ","))
}

// arxivPublished is the date of the first version as "2006-01-02", or
// else update_date, or "".
func arxivPublished(versions []arxivVersion, updated string) string {
	for _, v := range versions {
		if v.Version != "v1" && len(versions) > 1 {
			continue
		}
		for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05 MST", time.RFC1123Z, time.RFC3339} {
			if t, err := time.Parse(layout, strings.TrimSpace(v.Created)); err == nil {
				return t.UTC().Format(time.DateOnly)
			}
		}
		break
	}
	if t, err := time.Parse(time.DateOnly, strings.TrimSpace(updated)); err == nil {
		return t.Format(time.DateOnly)
	}
	return ""
}
