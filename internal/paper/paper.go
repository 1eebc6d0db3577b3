// Package paper defines Paper, the unit that recommend stores, embeds, indexes
// and returns. It is deliberately small and has no dependencies so that every
// other package can share it.
package paper

import (
	"errors"
	"strings"
)

// Paper is one research paper. Title and Abstract are required; every other
// field is optional and filled in where a source provides it.
type Paper struct {
	// ID is stable across runs, machines and re-imports: the source's own ID
	// where it has one ("arxiv:2401.01234"), otherwise a slug of the title.
	ID       string `json:"id"`
	Title    string `json:"title"`
	Abstract string `json:"abstract"`
	// Authors lists author names where the source gives them.
	Authors []string `json:"authors,omitempty"`
	// AuthorCount is the number of authors; it is set even where the source
	// gives only a count ("• 3 authors").
	AuthorCount  int    `json:"author_count,omitempty"`
	Organization string `json:"organization,omitempty"`
	// Published is the publication date as "2006-01-02", empty when unknown.
	Published  string   `json:"published,omitempty"`
	Categories []string `json:"categories,omitempty"`
	URL        string   `json:"url,omitempty"`
	DOI        string   `json:"doi,omitempty"`
}

// Text is the text that represents the paper for embedding and lexical
// search: the title and the abstract.
func (p Paper) Text() string {
	return p.Title + "\n" + p.Abstract
}

// Validate reports the first missing required field.
func (p Paper) Validate() error {
	switch {
	case strings.TrimSpace(p.Title) == "":
		return errors.New("title is required")
	case strings.TrimSpace(p.Abstract) == "":
		return errors.New("abstract is required")
	}
	return nil
}
