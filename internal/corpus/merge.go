package corpus

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/recommend-dev/recommend/internal/paper"
)

// Merge combines two records of the same paper, keeping the richest
// metadata: a's title; the longer abstract (a's on a tie); the longer
// author list and the largest author count; a's organisation, URL and DOI
// unless empty; the earlier publication date; the categories of both, a's
// first. The ID is a's unless a has a slug and b a source ID
// ("arxiv:..."), which is preferred.
func Merge(a, b paper.Paper) paper.Paper {
	m := a
	if !isSourceID(a.ID) && isSourceID(b.ID) || a.ID == "" {
		m.ID = b.ID
	}
	if m.Title == "" {
		m.Title = b.Title
	}
	if utf8.RuneCountInString(b.Abstract) > utf8.RuneCountInString(a.Abstract) {
		m.Abstract = b.Abstract
	}
	if len(b.Authors) > len(a.Authors) {
		m.Authors = b.Authors
	}
	m.AuthorCount = max(a.AuthorCount, b.AuthorCount, len(m.Authors))
	m.Organization = firstNonEmpty(a.Organization, b.Organization)
	m.URL = firstNonEmpty(a.URL, b.URL)
	m.DOI = firstNonEmpty(a.DOI, b.DOI)
	if b.Published != "" && (a.Published == "" || b.Published < a.Published) {
		m.Published = b.Published
	}
	m.Categories = union(a.Categories, b.Categories)
	return m
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// union is a followed by the elements of b not in a. It does not modify a.
func union(a, b []string) []string {
	out := a
	for _, s := range b {
		if !slices.Contains(out, s) {
			if len(out) == len(a) {
				out = slices.Clone(a)
			}
			out = append(out, s)
		}
	}
	return out
}

// Merger collects papers, merging records of the same paper and giving
// every distinct paper a unique ID. Two records are the same paper when
// their titles have the same TitleKey, or when they carry the same source
// ID ("arxiv:...": a title revised between versions). A different paper
// whose ID is taken (two titles with one slug) gets ClashID; the paper seen
// first keeps the plain slug, so the IDs depend only on the input and its
// order. A Merger from NewMerger holds every distinct paper in memory; one
// from NewDedup holds only IDs and title hashes (about 200 bytes a paper).
// A Merger is not safe for concurrent use.
type Merger struct {
	byKey  map[titleHash]int
	byID   map[string]int // every ID ever given, including replaced slugs
	papers []paper.Paper
	added  int
	light  bool // keep only IDs
}

// titleHash identifies a TitleKey in memory: the first 16 bytes of its
// SHA-256.
type titleHash [16]byte

func hashKey(key string) titleHash {
	sum := sha256.Sum256([]byte(key))
	return titleHash(sum[:16])
}

// NewMerger returns an empty Merger that keeps the merged papers.
func NewMerger() *Merger {
	return &Merger{byKey: map[titleHash]int{}, byID: map[string]int{}}
}

// NewDedup returns an empty Merger that only tells papers apart and gives
// them IDs, for counting distinct papers in inputs too large to hold:
// Papers and Get return papers with only their ID set.
func NewDedup() *Merger {
	m := NewMerger()
	m.light = true
	return m
}

// Add adds one record. It returns the ID the paper has now and whether the
// record was merged into a paper already added. A paper without an ID gets
// SlugID of its title.
func (m *Merger) Add(p paper.Paper) (id string, merged bool) {
	m.added++
	if p.ID == "" {
		p.ID = SlugID(p.Title)
	}
	key := hashKey(TitleKey(p.Title))
	i, ok := m.byKey[key]
	if !ok && isSourceID(p.ID) {
		if i, ok = m.byID[p.ID]; ok {
			m.byKey[key] = i
		}
	}
	if ok {
		old := m.papers[i]
		np := Merge(old, p)
		if np.ID != old.ID {
			if j, taken := m.byID[np.ID]; taken && j != i {
				np.ID = old.ID
			} else {
				m.byID[np.ID] = i
			}
		}
		if m.light {
			np = paper.Paper{ID: np.ID}
		}
		m.papers[i] = np
		return np.ID, true
	}
	id = p.ID
	if _, taken := m.byID[id]; taken {
		id = m.freeID(p.Title)
	}
	p.ID = id
	if m.light {
		p = paper.Paper{ID: id}
	}
	i = len(m.papers)
	m.byID[id] = i
	m.byKey[key] = i
	m.papers = append(m.papers, p)
	return id, false
}

// freeID finds an unused clash ID for title.
func (m *Merger) freeID(title string) string {
	var id string
	for _, digits := range []int{8, 16, 64} {
		id = ClashID(title, digits)
		if _, taken := m.byID[id]; !taken {
			return id
		}
	}
	// Only reachable when the input itself uses clash IDs as its own IDs.
	for n := 2; ; n++ {
		if c := id + "-" + strconv.Itoa(n); !m.has(c) {
			return c
		}
	}
}

func (m *Merger) has(id string) bool {
	_, ok := m.byID[id]
	return ok
}

// Added is the number of records added.
func (m *Merger) Added() int { return m.added }

// Len is the number of distinct papers.
func (m *Merger) Len() int { return len(m.papers) }

// Get returns the paper with the given ID (or a former slug of it).
func (m *Merger) Get(id string) (paper.Paper, bool) {
	i, ok := m.byID[id]
	if !ok {
		return paper.Paper{}, false
	}
	return m.papers[i], true
}

// Papers returns the distinct papers in the order they were first added.
func (m *Merger) Papers() []paper.Paper {
	return slices.Clone(m.papers)
}
