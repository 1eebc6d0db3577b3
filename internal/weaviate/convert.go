package weaviate

import (
	"encoding/hex"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/go-openapi/strfmt"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"
	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"

	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
)

// Property names.
const (
	propID           = "paperId"
	propTitle        = "title"
	propAbstract     = "abstract"
	propAuthors      = "authors"
	propAuthorCount  = "authorCount"
	propOrganization = "organization"
	propPublished    = "published"
	propCategories   = "categories"
	propURL          = "url"
	propDOI          = "doi"
	propModel        = "model"
	propPart         = "part"
	propKey          = "idKey"
	propDateKey      = "publishedKey"
)

// idKey is the sort key of paper id: its bytes in lower-case hex. Weaviate
// sorts text case-insensitively, and its field tokenization trims spaces;
// hex digits have neither problem, and hex strings sort as the bytes they
// encode, so sorting by idKey is sorting by ID byte-wise.
func idKey(id string) string { return hex.EncodeToString([]byte(id)) }

// Limits on input, as in the embedded store.
const (
	// MaxIDLen is the longest paper ID, in bytes.
	MaxIDLen = 1024
	// MaxModelLen is the longest model name, in bytes.
	MaxModelLen = 256
)

// paperProps are the properties read back into a paper.Paper.
var paperProps = []string{propID, propTitle, propAbstract, propAuthors, propAuthorCount, propOrganization, propPublished, propCategories, propURL, propDOI, propModel}

// object is what this package reads back: the paper, its vector's model
// and its vector (nil when not asked for or absent).
type object struct {
	p     paper.Paper
	model string
	vec   []float32
}

// toObject returns the Weaviate object of p with vec (may be nil) of model.
// Empty fields are left out, so that they are absent (null) in Weaviate:
// a paper without a date is then matched by no date filter.
func (s *Store) toObject(p *paper.Paper, model string, vec []float32) *models.Object {
	props := map[string]any{
		propID:       p.ID,
		propTitle:    p.Title,
		propAbstract: p.Abstract,
		propPart:     part(p.ID),
		propKey:      idKey(p.ID),
	}
	set := func(name, v string) {
		if v != "" {
			props[name] = v
		}
	}
	set(propOrganization, p.Organization)
	set(propPublished, p.Published)
	if p.Published != "" {
		props[propDateKey] = dateKey(p.Published)
	}
	set(propURL, p.URL)
	set(propDOI, p.DOI)
	if len(p.Authors) > 0 {
		props[propAuthors] = p.Authors
	}
	if len(p.Categories) > 0 {
		props[propCategories] = p.Categories
	}
	if p.AuthorCount != 0 {
		props[propAuthorCount] = int64(p.AuthorCount)
	}
	o := &models.Object{Class: s.class, ID: strfmt.UUID(ObjectID(p.ID)), Properties: props}
	if vec != nil {
		props[propModel] = model
		o.Vector = vec
	}
	return o
}

// fromResult decodes a gRPC search result.
func fromResult(r graphql.SearchResult) (object, error) {
	var o object
	pr := r.Properties
	str := func(name string) string {
		v, _ := pr[name].(string)
		return v
	}
	list := func(name string) []string {
		if l, ok := pr[name].(*pb.ListValue); ok {
			if v := l.GetTextValues().GetValues(); len(v) > 0 {
				return v
			}
		}
		return nil
	}
	o.p = paper.Paper{
		ID:           str(propID),
		Title:        str(propTitle),
		Abstract:     str(propAbstract),
		Authors:      list(propAuthors),
		Organization: str(propOrganization),
		Published:    str(propPublished),
		Categories:   list(propCategories),
		URL:          str(propURL),
		DOI:          str(propDOI),
	}
	switch n := pr[propAuthorCount].(type) {
	case int64:
		o.p.AuthorCount = int(n)
	case float64:
		o.p.AuthorCount = int(n)
	}
	o.model = str(propModel)
	if len(r.Vector) > 0 {
		o.vec = r.Vector
	}
	if o.p.ID == "" {
		return o, fmt.Errorf("weaviate: object %s has no %s property; was it written by recommend?", r.ID, propID)
	}
	return o, nil
}

// invalid returns an errs.Invalid error wrapping ErrInvalid.
func invalid(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return errs.Wrap(errs.Invalid, fmt.Errorf("%w: %s", ErrInvalid, msg), "%s", msg)
}

// checkID validates a paper ID as the embedded store does.
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("id is empty")
	case len(id) > MaxIDLen:
		return fmt.Errorf("id is %d bytes long, the limit is %d", len(id), MaxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("id is not valid UTF-8")
	}
	return nil
}

// checkText rejects text that Weaviate cannot store (it keeps UTF-8).
func checkText(p *paper.Paper) error {
	for _, f := range []struct{ name, v string }{{"title", p.Title}, {"abstract", p.Abstract}, {"organization", p.Organization}, {"published", p.Published}, {"url", p.URL}, {"doi", p.DOI}} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%s is not valid UTF-8", f.name)
		}
	}
	for _, l := range [][]string{p.Authors, p.Categories} {
		for _, v := range l {
			if !utf8.ValidString(v) {
				return fmt.Errorf("authors or categories are not valid UTF-8")
			}
		}
	}
	return nil
}

// checkVectors validates a batch's model and vectors: n of them, non-empty,
// of one length, finite.
func checkVectors(what, model string, n int, vectors [][]float32) error {
	if model == "" || len(model) > MaxModelLen || !utf8.ValidString(model) {
		return invalid("%s: model name must be 1 to %d bytes of UTF-8", what, MaxModelLen)
	}
	if len(vectors) != n {
		return invalid("%s: %d vectors for %d items", what, len(vectors), n)
	}
	dims := len(vectors[0])
	for i, v := range vectors {
		if len(v) == 0 {
			return invalid("%s: item %d: empty vector", what, i)
		}
		if len(v) != dims {
			return invalid("%s: item %d: vector has %d dimensions, the first vector of the batch has %d", what, i, len(v), dims)
		}
		for j, f := range v {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return invalid("%s: item %d: vector element %d is %v", what, i, j, f)
			}
		}
	}
	return nil
}
