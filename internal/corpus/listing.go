package corpus

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/recommend-dev/recommend/internal/paper"
)

// A listing dump is the text of paper listing pages, one paper after
// another:
//
//	Title
//	Abstract (one line)
//	  • 3 authors          (optional: author count)
//	openbmb OpenBMB         (optional: organisation, slug then name)
//	·                       (optional separator)
//	Aug 18, 2023            (optional: date; a count may follow it)
//
// Blank lines are optional, any of the metadata lines may be missing, and
// the page boilerplate ("new", "Get trending papers in your email inbox!",
// "Subscribe", "Daily Papers", "byAK and the research community", the
// page's own date) may come before the first paper or, in a concatenation
// of pages, between papers. "Subscribe" may be glued to the first title
// ("SubscribeThe boundary of ..."). A title line is at most maxTitleRunes
// characters; an abstract is the single line after its title.
//
// Dates: "Aug 18, 2023" becomes Published "2023-08-18". A date without a
// year ("Mar 15", recent papers on the page) leaves Published empty: the
// page does not say which year it was captured in (its own date, "Apr 15",
// has no year either), so any year would be a guess.

const (
	// maxTitleRunes is the longest line taken as a title; longer lines are
	// abstracts. Real titles are far shorter (the seeds' longest is under
	// 160 characters) and real abstracts far longer.
	maxTitleRunes = 300
	// maxOrgRunes is the longest line taken as an organisation.
	maxOrgRunes = 120
)

type lineKind int

const (
	kindText    lineKind = iota
	kindBoiler           // page boilerplate
	kindAuthors          // "• 3 authors"
	kindDot              // "·"
	kindDate             // "Aug 18, 2023", "Mar 15", "Aug 25, 2022 1"
)

func (k lineKind) isMeta() bool { return k == kindAuthors || k == kindDot || k == kindDate }

// boilerplate lines of a listing page.
var boilerplate = map[string]bool{
	"new":                             true,
	"Subscribe":                       true,
	"Daily Papers":                    true,
	"byAK and the research community": true,
}

const trendingPrefix = "Get trending papers in your email inbox"

var (
	authorsRE = regexp.MustCompile(`^•\s*([0-9]{1,6})\s+authors?$`)
	dateRE    = regexp.MustCompile(`^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{1,2})(?:, ([0-9]{4}))?(?: [0-9]+)?$`)
)

// listingLine is one non-blank line of a listing dump, classified.
type listingLine struct {
	no        int
	text      string // trimmed; "" when long
	kind      lineKind
	long      bool // over the line limit; text dropped
	size      int  // length in bytes
	badUTF8   int  // byte offset of the first invalid UTF-8, or -1
	authors   int
	published string
}

func (l *listingLine) runes() int {
	if l.long {
		return l.size
	}
	return utf8.RuneCountInString(l.text)
}

// titleLike reports whether l could be a title: text short enough.
func (l *listingLine) titleLike() bool {
	return l != nil && l.kind == kindText && !l.long && l.runes() <= maxTitleRunes
}

// abstractLike reports whether l can only be an abstract: text too long
// for a title.
func (l *listingLine) abstractLike() bool {
	return l != nil && l.kind == kindText && (l.long || l.runes() > maxTitleRunes)
}

type listingState int

const (
	stTitle    listingState = iota // between papers: expecting a title
	stAbstract                     // have a title: expecting its abstract
	stMeta                         // have title and abstract: metadata may follow
)

// listingRecord is the paper being assembled.
type listingRecord struct {
	title, abstract string
	titleLine       int
	authors         int
	org             string
	published       string
	bad             *RejectError // set when the record must be rejected
	dead            bool         // already rejected; drop silently
}

type listingReader struct {
	src       string
	lr        *lineReader
	max       int
	back      []*listingLine // lines read ahead or pushed back, last first
	state     listingState
	headerCtx bool // the last non-blank line was page boilerplate
	rec       listingRecord
}

func newListingReader(lr *lineReader, src string) *listingReader {
	return &listingReader{src: src, lr: lr, max: lr.max}
}

// line returns the next non-blank line.
func (r *listingReader) line() (*listingLine, error) {
	if n := len(r.back); n > 0 {
		l := r.back[n-1]
		r.back = r.back[:n-1]
		return l, nil
	}
	for {
		b, size, long, err := r.lr.next()
		if err != nil {
			return nil, err
		}
		l := &listingLine{no: r.lr.no, size: size, long: long, badUTF8: -1}
		if long {
			return l, nil
		}
		if !utf8.Valid(b) {
			l.badUTF8 = invalidUTF8At(b)
		}
		l.text = strings.TrimSpace(string(b))
		if l.text == "" {
			continue
		}
		l.classify()
		return l, nil
	}
}

func (r *listingReader) unread(l *listingLine) { r.back = append(r.back, l) }

// peek returns the next non-blank line without consuming it; nil at the
// end of the input.
func (r *listingReader) peek() (*listingLine, error) {
	l, err := r.line()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	r.unread(l)
	return l, nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

func (l *listingLine) classify() {
	t := l.text
	switch {
	case boilerplate[t] || strings.HasPrefix(t, trendingPrefix):
		l.kind = kindBoiler
	case t == "·":
		l.kind = kindDot
	case strings.HasPrefix(t, "•"):
		if m := authorsRE.FindStringSubmatch(t); m != nil {
			l.kind = kindAuthors
			l.authors, _ = strconv.Atoi(m[1])
		}
	default:
		// A date line, maybe followed by a count, whatever its length (the
		// fuzzer found "Aug 00 0044…" with a long count taken as a title
		// when only short lines were tried).
		if m := dateRE.FindStringSubmatch(t); m != nil {
			l.kind = kindDate
			if m[3] != "" {
				if d, err := time.Parse("Jan 2 2006", m[1]+" "+m[2]+" "+m[3]); err == nil {
					l.published = d.Format(time.DateOnly)
				}
			}
		}
	}
}

func (r *listingReader) next() (paper.Paper, error) {
	for {
		l, err := r.line()
		if errors.Is(err, io.EOF) {
			switch r.state {
			case stAbstract:
				r.state = stTitle
				return paper.Paper{}, r.noAbstract()
			case stMeta:
				if p, err, ok := r.finish(); ok {
					return p, err
				}
			}
			return paper.Paper{}, io.EOF
		}
		if err != nil {
			return paper.Paper{}, err
		}
		var (
			p    paper.Paper
			done bool
		)
		switch r.state {
		case stTitle:
			p, err, done = r.inTitle(l)
		case stAbstract:
			p, err, done = r.inAbstract(l)
		case stMeta:
			p, err, done = r.inMeta(l)
		}
		if done {
			return p, err
		}
	}
}

// inTitle handles line l between papers.
func (r *listingReader) inTitle(l *listingLine) (paper.Paper, error, bool) {
	switch {
	case l.long:
		return paper.Paper{}, r.tooLong(l), true
	case l.kind == kindBoiler:
		r.headerCtx = true
		return paper.Paper{}, nil, false
	case l.kind == kindDot || l.kind == kindDate:
		// The page's own date, or a separator: nothing to keep.
		return paper.Paper{}, nil, false
	case l.kind == kindAuthors:
		r.headerCtx = false
		return paper.Paper{}, reject(r.src, l.no, "author count %q with no paper before it", l.text), true
	}
	title := l.text
	if r.headerCtx {
		if rest := unglueSubscribe(title); rest != title {
			// Handle what was glued to "Subscribe" as a line of its own.
			r.headerCtx = false
			nl := *l
			nl.text, nl.kind = rest, kindText
			nl.classify()
			return r.inTitle(&nl)
		}
	}
	r.headerCtx = false
	if n := utf8.RuneCountInString(title); n > maxTitleRunes {
		return paper.Paper{}, reject(r.src, l.no, "expected a paper title, found a %d-character line (an abstract without a title?)", n), true
	}
	r.rec = listingRecord{title: title, titleLine: l.no}
	if l.badUTF8 >= 0 {
		r.rec.bad = reject(r.src, l.no, "title is not valid UTF-8 (byte %d)", l.badUTF8)
	}
	r.state = stAbstract
	return paper.Paper{}, nil, false
}

// unglueSubscribe splits "SubscribeThe boundary ..." into its title, when
// the page's "Subscribe" button text ran into the first title.
func unglueSubscribe(t string) string {
	rest, ok := strings.CutPrefix(t, "Subscribe")
	if !ok || rest == "" {
		return t
	}
	if r, _ := utf8.DecodeRuneInString(rest); unicode.IsLower(r) {
		return t // "Subscriber ...": a real word
	}
	if rest = strings.TrimSpace(rest); rest == "" {
		return t
	}
	return rest
}

// inAbstract handles line l after a title.
func (r *listingReader) inAbstract(l *listingLine) (paper.Paper, error, bool) {
	switch {
	case l.kind == kindBoiler:
		r.unread(l)
		r.state = stTitle
		return paper.Paper{}, r.noAbstract(), true
	case l.kind.isMeta():
		// Metadata straight after a title: the paper has no abstract.
		// Consume the metadata with the rejected record.
		err := r.noAbstract()
		r.rec.dead = true
		r.unread(l)
		r.state = stMeta
		return paper.Paper{}, err, true
	case l.long:
		r.rec.bad = r.tooLong(l)
		r.state = stMeta
		return paper.Paper{}, nil, false
	}
	if l.titleLike() {
		// A short line followed by a line too long to be a title is the
		// next paper's title: this paper has no abstract.
		nx, err := r.peek()
		if err != nil {
			return paper.Paper{}, err, true
		}
		if nx.abstractLike() {
			r.unread(l)
			r.state = stTitle
			return paper.Paper{}, r.noAbstract(), true
		}
	}
	r.rec.abstract = l.text
	if l.badUTF8 >= 0 && r.rec.bad == nil {
		r.rec.bad = reject(r.src, l.no, "abstract is not valid UTF-8 (byte %d)", l.badUTF8)
	}
	r.state = stMeta
	return paper.Paper{}, nil, false
}

// inMeta handles line l after an abstract.
func (r *listingReader) inMeta(l *listingLine) (paper.Paper, error, bool) {
	switch l.kind {
	case kindAuthors:
		if r.rec.authors == 0 {
			r.rec.authors = l.authors
		}
		return paper.Paper{}, nil, false
	case kindDot:
		return paper.Paper{}, nil, false
	case kindDate:
		// The date ends the paper's metadata.
		r.rec.published = l.published
		p, err, ok := r.finish()
		return p, err, ok
	case kindText:
		if !l.long && r.rec.org == "" && utf8.RuneCountInString(l.text) <= maxOrgRunes {
			nx, err := r.peek()
			if err != nil {
				return paper.Paper{}, err, true
			}
			if nx != nil && nx.kind.isMeta() {
				// A short line followed by metadata is the organisation.
				r.rec.org = orgName(l.text)
				if l.badUTF8 >= 0 && r.rec.bad == nil {
					r.rec.bad = reject(r.src, l.no, "organisation is not valid UTF-8 (byte %d)", l.badUTF8)
				}
				return paper.Paper{}, nil, false
			}
		}
	}
	// Anything else starts the next paper.
	r.unread(l)
	p, err, ok := r.finish()
	return p, err, ok
}

// orgName takes the organisation's display name from its line, which
// shows the organisation's slug and then its name ("openbmb OpenBMB").
func orgName(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return strings.Join(f[1:], " ")
}

// finish ends the current record. ok is false when there is nothing to
// return (the record was already rejected).
func (r *listingReader) finish() (p paper.Paper, err error, ok bool) {
	r.state = stTitle
	rec := r.rec
	r.rec = listingRecord{}
	switch {
	case rec.dead:
		return paper.Paper{}, nil, false
	case rec.bad != nil:
		return paper.Paper{}, rec.bad, true
	}
	return paper.Paper{
		ID:           SlugID(rec.title),
		Title:        rec.title,
		Abstract:     rec.abstract,
		AuthorCount:  rec.authors,
		Organization: rec.org,
		Published:    rec.published,
	}, nil, true
}

func (r *listingReader) noAbstract() *RejectError {
	return reject(r.src, r.rec.titleLine, "paper %q has no abstract", truncate(r.rec.title, 80))
}

func (r *listingReader) tooLong(l *listingLine) *RejectError {
	return reject(r.src, l.no, "line is %d bytes, over the %d-byte limit", l.size, r.max)
}

// truncate shortens s to at most n runes for messages.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
