// Package corpus reads research papers from files into paper.Paper values.
//
// It understands three formats, told apart by content (see Detect):
//
//   - listing-page dumps: the text of paper listing pages (title, abstract,
//     then optional "• N authors", organisation, "·" and date lines), as in
//     testdata/seeds;
//   - JSON Lines in the project's own format, one paper.Paper per line (the
//     shape the HTTP API uses);
//   - the arXiv metadata snapshot, JSON Lines with the fields id, title,
//     abstract, authors, authors_parsed, categories, versions, update_date
//     and doi.
//
// Every reader streams: memory is bounded by the longest line it accepts
// (MaxLineBytes), not by the size of the file, and gzip-compressed input is
// decompressed on the fly. A record that cannot be used is reported as a
// *RejectError naming the source and line, and reading goes on with the
// next record.
//
// IDs are stable across runs, machines and re-imports: the source's own ID
// where it has one ("arxiv:2401.01234", "arxiv:hep-th/9901001"), otherwise
// SlugID of the title. Two records with the same normalised title (TitleKey)
// are one paper; Merger merges them, keeping the richest metadata, and
// gives a different paper whose slug is already taken a deterministic
// suffix (ClashID).
package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/recommend-dev/recommend/internal/paper"
)

// DefaultMaxLineBytes is the longest line a reader accepts unless
// WithMaxLineBytes says otherwise. The largest arXiv metadata records (papers
// with thousands of authors) are a few hundred kilobytes.
const DefaultMaxLineBytes = 4 << 20

// sniffBytes is how much of the input Detect looks at.
const sniffBytes = 64 << 10

// RejectError reports a record that was skipped: where it is and why.
// Readers return it from Next and carry on; callers log it and continue.
type RejectError struct {
	// Source names the input, as given to NewReader (a path for Open).
	Source string
	// Line is the 1-based line of the input where the problem is.
	Line int
	// Reason says what is wrong with the record.
	Reason string
}

// Error formats the reject as "source:line: reason".
func (e *RejectError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Reason)
}

// Option configures a Reader.
type Option func(*config)

type config struct {
	format  Format
	maxLine int
}

// WithFormat reads the input as format f instead of detecting it.
// FormatAuto (the default) detects it.
func WithFormat(f Format) Option {
	return func(c *config) { c.format = f }
}

// WithMaxLineBytes sets the longest line the reader accepts; a longer line
// is rejected without being held in memory. n <= 0 means
// DefaultMaxLineBytes.
func WithMaxLineBytes(n int) Option {
	return func(c *config) {
		if n <= 0 {
			n = DefaultMaxLineBytes
		}
		c.maxLine = n
	}
}

// decoder is one format's record reader. next returns a paper, a
// *RejectError, io.EOF at the end, or another error that ends reading.
type decoder interface {
	next() (paper.Paper, error)
}

// Reader reads papers from one input, one at a time, in constant memory.
// It is not safe for concurrent use.
type Reader struct {
	name     string
	format   Format
	dec      decoder
	closers  []io.Closer
	err      error // sticky error that ended reading (io.EOF at the end)
	read     int
	rejected int
}

// Open opens the file at path and returns a Reader for it; the format is
// detected from its content unless WithFormat is given. Rejects name the
// path as their Source. The caller must Close the Reader.
func Open(path string, opts ...Option) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	r, err := NewReader(f, path, opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closers = append(r.closers, f)
	return r, nil
}

// NewReader returns a Reader for r; name identifies r in rejects and
// errors. Unless WithFormat is given, it reads up to 64 KiB ahead to detect
// the format (see Detect). Gzip-compressed input is decompressed. The error
// is non-nil only if that first read fails or the gzip header is invalid.
func NewReader(r io.Reader, name string, opts ...Option) (*Reader, error) {
	c := config{maxLine: DefaultMaxLineBytes}
	for _, o := range opts {
		o(&c)
	}
	br := bufio.NewReaderSize(r, sniffBytes)
	rd := &Reader{name: name}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: %w", name, err)
		}
		rd.closers = append(rd.closers, gz)
		br = bufio.NewReaderSize(gz, sniffBytes)
	}
	f := c.format
	if f == FormatAuto {
		prefix, err := br.Peek(sniffBytes)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("corpus: reading %s: %w", name, err)
		}
		f = Detect(prefix)
	}
	lr := newLineReader(br, c.maxLine)
	switch f {
	case FormatListing:
		rd.dec = newListingReader(lr, name)
	case FormatJSONL:
		rd.dec = &jsonlReader{src: name, lr: lr}
	case FormatArxiv:
		rd.dec = &arxivReader{src: name, lr: lr}
	default:
		return nil, fmt.Errorf("corpus: %s: unknown format %v", name, f)
	}
	rd.format = f
	return rd, nil
}

// Format is the format the Reader reads, detected or given.
func (r *Reader) Format() Format { return r.format }

// Name is the name the Reader was created with.
func (r *Reader) Name() string { return r.name }

// PapersRead is the number of papers returned so far.
func (r *Reader) PapersRead() int { return r.read }

// Rejected is the number of records rejected so far.
func (r *Reader) Rejected() int { return r.rejected }

// Next returns the next paper. A record that cannot be used comes back as
// a *RejectError; the caller may log it and call Next again. At the end of
// the input Next returns io.EOF; any other error (a failed read, say) ends
// reading and is returned again by every later call.
func (r *Reader) Next() (paper.Paper, error) {
	if r.err != nil {
		return paper.Paper{}, r.err
	}
	p, err := r.dec.next()
	if err != nil {
		var rej *RejectError
		if errors.As(err, &rej) {
			r.rejected++
			return paper.Paper{}, err
		}
		if !errors.Is(err, io.EOF) {
			err = fmt.Errorf("corpus: reading %s: %w", r.name, err)
		}
		r.err = err
		return paper.Paper{}, err
	}
	r.read++
	return p, nil
}

// All iterates over the remaining papers. Rejected records are yielded as
// (zero Paper, *RejectError) and iteration goes on; any other error is
// yielded once and ends it. The end of the input is not an error.
func (r *Reader) All() iter.Seq2[paper.Paper, error] {
	return func(yield func(paper.Paper, error) bool) {
		for {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(p, err) {
				return
			}
			if err != nil {
				var rej *RejectError
				if !errors.As(err, &rej) {
					return
				}
			}
		}
	}
}

// Close releases the file opened by Open and the gzip stream, if any. It
// does not close a reader passed to NewReader.
func (r *Reader) Close() error {
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	r.closers = nil
	return errors.Join(errs...)
}

// ReadAll reads every paper from r. It returns the papers in input order
// and the rejects; err is non-nil only when reading fails outright.
func ReadAll(r io.Reader, name string, opts ...Option) (papers []paper.Paper, rejects []*RejectError, err error) {
	rd, err := NewReader(r, name, opts...)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	for p, err := range rd.All() {
		if err != nil {
			var rej *RejectError
			if errors.As(err, &rej) {
				rejects = append(rejects, rej)
				continue
			}
			return papers, rejects, err
		}
		papers = append(papers, p)
	}
	return papers, rejects, nil
}

// Batches groups the papers of seq into slices of at most size papers, for
// storing in batches. Rejects are passed to onReject (when it is not nil)
// and skipped. Any other error is yielded after the papers read before it,
// and ends iteration. Each yielded slice is freshly allocated, so the
// caller may keep it.
func Batches(seq iter.Seq2[paper.Paper, error], size int, onReject func(*RejectError)) iter.Seq2[[]paper.Paper, error] {
	if size < 1 {
		size = 1
	}
	return func(yield func([]paper.Paper, error) bool) {
		batch := make([]paper.Paper, 0, size)
		for p, err := range seq {
			if err != nil {
				var rej *RejectError
				if errors.As(err, &rej) {
					if onReject != nil {
						onReject(rej)
					}
					continue
				}
				if len(batch) > 0 && !yield(batch, nil) {
					return
				}
				yield(nil, err)
				return
			}
			batch = append(batch, p)
			if len(batch) == size {
				if !yield(batch, nil) {
					return
				}
				batch = make([]paper.Paper, 0, size)
			}
		}
		if len(batch) > 0 {
			yield(batch, nil)
		}
	}
}

// reject is shorthand for a *RejectError.
func reject(src string, line int, format string, args ...any) *RejectError {
	return &RejectError{Source: src, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// bom is the UTF-8 byte order mark, dropped from the start of the input.
var bom = []byte("\xef\xbb\xbf")

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bom) }
