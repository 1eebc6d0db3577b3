package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/recommend-dev/recommend/internal/paper"
)

// On-disk record formats. Every record starts with a one-byte format version
// followed by a CRC-32C (Castagnoli, little-endian) of everything after the
// checksum, so that a flipped bit inside a value (which bbolt itself does not
// checksum) is reported as corruption instead of being served.
//
// paper, version 1 (the ID is the bbolt key and is not repeated):
//
//	[0]     version = 1
//	[1:5]   CRC-32C of [5:]
//	[5:]    title, abstract, organization, published, url, doi as strings;
//	        author_count as a signed varint;
//	        authors and categories as lists
//
// where a string is a uvarint byte length followed by the bytes and a list is
// a uvarint element count followed by that many strings.
//
// vector, version 1 (key = paper ID, bucket = vectors/<model>):
//
//	[0]     version = 1
//	[1:5]   CRC-32C of [5:]
//	[5:]    dims x float32, little-endian
//
// model info, version 1 (key = model name, bucket = models):
//
//	[0]     version = 1
//	[1:]    uvarint dimensions, uvarint vector count
const (
	paperFormatV1  = 1
	vectorFormatV1 = 1
	modelFormatV1  = 1

	recordHeaderLen = 5 // version byte + CRC-32C
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadRecord marks a stored record that cannot be decoded; callers wrap it
// with ErrCorrupt and the file, bucket and key.
var errBadRecord = errors.New("bad record")

func badRecord(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRecord, fmt.Sprintf(format, args...))
}

// appendString appends a uvarint length and the bytes of s.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendList(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

func stringsLen(l []string) int {
	n := binary.MaxVarintLen64
	for _, s := range l {
		n += binary.MaxVarintLen64 + len(s)
	}
	return n
}

// encodePaper returns the version-1 encoding of p without its ID.
func encodePaper(p *paper.Paper) []byte {
	n := recordHeaderLen + 7*binary.MaxVarintLen64 +
		len(p.Title) + len(p.Abstract) + len(p.Organization) + len(p.Published) +
		len(p.URL) + len(p.DOI) + stringsLen(p.Authors) + stringsLen(p.Categories)
	b := make([]byte, recordHeaderLen, n)
	b[0] = paperFormatV1
	b = appendString(b, p.Title)
	b = appendString(b, p.Abstract)
	b = appendString(b, p.Organization)
	b = appendString(b, p.Published)
	b = appendString(b, p.URL)
	b = appendString(b, p.DOI)
	b = binary.AppendVarint(b, int64(p.AuthorCount))
	b = appendList(b, p.Authors)
	b = appendList(b, p.Categories)
	binary.LittleEndian.PutUint32(b[1:5], crc32.Checksum(b[recordHeaderLen:], castagnoli))
	return b
}

// reader decodes the body of a record held in a string; the first error
// sticks. Strings it returns are substrings of that one string, so decoding a
// paper costs one string allocation however many fields it has.
type reader struct {
	s   string
	err error
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // overflows 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.s = r.s[i+1:]
			return v
		}
	}
	r.err = badRecord("%s: bad varint", what)
	return 0
}

func (r *reader) varint(what string) int64 {
	u := r.uvarint(what)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *reader) string(what string) string {
	n := r.uvarint(what)
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)) {
		r.err = badRecord("%s: length %d exceeds the %d bytes left", what, n, len(r.s))
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *reader) list(what string) []string {
	n := r.uvarint(what)
	if r.err != nil || n == 0 {
		return nil
	}
	// Every element takes at least one byte (its length), which bounds the
	// allocation by the record size.
	if n > uint64(len(r.s)) {
		r.err = badRecord("%s: %d elements in %d bytes", what, n, len(r.s))
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.string(what)
	}
	if r.err != nil {
		return nil
	}
	return l
}

// checkHeader verifies the version byte and checksum of a record and returns
// its body.
func checkHeader(kind string, b []byte, version byte) ([]byte, error) {
	if len(b) < recordHeaderLen {
		return nil, badRecord("%s record is %d bytes, shorter than its %d-byte header", kind, len(b), recordHeaderLen)
	}
	if b[0] != version {
		return nil, badRecord("%s record has format version %d; this build reads version %d (was it written by a newer recommend?)", kind, b[0], version)
	}
	body := b[recordHeaderLen:]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[1:5]); got != want {
		return nil, badRecord("%s record checksum mismatch (stored %08x, computed %08x)", kind, want, got)
	}
	return body, nil
}

// decodePaper decodes the paper record b stored under key. The result does
// not alias b or key (which belong to bbolt's memory map): the ID and every
// field are substrings of one new string.
func decodePaper(key, b []byte) (paper.Paper, error) {
	body, err := checkHeader("paper", b, paperFormatV1)
	if err != nil {
		return paper.Paper{}, err
	}
	var sb strings.Builder
	sb.Grow(len(key) + len(body))
	sb.Write(key)
	sb.Write(body)
	all := sb.String()
	r := reader{s: all[len(key):]}
	p := paper.Paper{ID: all[:len(key)]}
	p.Title = r.string("title")
	p.Abstract = r.string("abstract")
	p.Organization = r.string("organization")
	p.Published = r.string("published")
	p.URL = r.string("url")
	p.DOI = r.string("doi")
	ac := r.varint("author_count")
	p.Authors = r.list("authors")
	p.Categories = r.list("categories")
	if r.err != nil {
		return paper.Paper{}, r.err
	}
	if ac < math.MinInt32 || ac > math.MaxInt32 {
		return paper.Paper{}, badRecord("author_count %d out of range", ac)
	}
	p.AuthorCount = int(ac)
	if len(r.s) != 0 {
		return paper.Paper{}, badRecord("paper record has %d trailing bytes", len(r.s))
	}
	return p, nil
}

// paperText returns the title and abstract of an encoded paper without
// decoding (or allocating) the other fields. The returned slices alias b.
func paperText(b []byte) (title, abstract []byte, err error) {
	body, err := checkHeader("paper", b, paperFormatV1)
	if err != nil {
		return nil, nil, err
	}
	next := func(what string) []byte {
		if err != nil {
			return nil
		}
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			err = badRecord("%s: bad length", what)
			return nil
		}
		s := body[k : k+int(n)]
		body = body[k+int(n):]
		return s
	}
	title = next("title")
	abstract = next("abstract")
	return title, abstract, err
}

// encodeVector returns the version-1 encoding of v.
func encodeVector(v []float32) []byte {
	b := make([]byte, recordHeaderLen+4*len(v))
	b[0] = vectorFormatV1
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[recordHeaderLen+4*i:], math.Float32bits(f))
	}
	binary.LittleEndian.PutUint32(b[1:5], crc32.Checksum(b[recordHeaderLen:], castagnoli))
	return b
}

// decodeVector decodes a vector record and checks it has dims elements. The
// result is a copy.
func decodeVector(b []byte, dims int) ([]float32, error) {
	body, err := checkHeader("vector", b, vectorFormatV1)
	if err != nil {
		return nil, err
	}
	if len(body)%4 != 0 {
		return nil, badRecord("vector record body is %d bytes, not a multiple of 4", len(body))
	}
	if n := len(body) / 4; n != dims {
		return nil, badRecord("vector has %d dimensions, the model has %d", n, dims)
	}
	v := make([]float32, dims)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return v, nil
}

// modelInfo is what the models bucket records about one embedding model.
type modelInfo struct {
	dims  int
	count int
}

func encodeModelInfo(m modelInfo) []byte {
	b := []byte{modelFormatV1}
	b = binary.AppendUvarint(b, uint64(m.dims))
	return binary.AppendUvarint(b, uint64(m.count))
}

func decodeModelInfo(b []byte) (modelInfo, error) {
	if len(b) < 1 {
		return modelInfo{}, badRecord("empty model record")
	}
	if b[0] != modelFormatV1 {
		return modelInfo{}, badRecord("model record has format version %d; this build reads version %d", b[0], modelFormatV1)
	}
	r := reader{s: string(b[1:])}
	dims := r.uvarint("dimensions")
	count := r.uvarint("count")
	if r.err != nil {
		return modelInfo{}, r.err
	}
	if len(r.s) != 0 {
		return modelInfo{}, badRecord("model record has %d trailing bytes", len(r.s))
	}
	if dims == 0 || dims > MaxDimensions {
		return modelInfo{}, badRecord("model dimensions %d out of range 1..%d", dims, MaxDimensions)
	}
	if count > math.MaxInt32*16 {
		return modelInfo{}, badRecord("model vector count %d out of range", count)
	}
	return modelInfo{dims: int(dims), count: int(count)}, nil
}

func encodeCount(n int) []byte { return binary.AppendUvarint(nil, uint64(n)) }

func decodeCount(b []byte) (int, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) || v > math.MaxInt32*16 {
		return 0, badRecord("bad counter %x", b)
	}
	return int(v), nil
}

// validString reports whether s is usable as an ID, model name or meta key.
func validString(s string, maxLen int) error {
	switch {
	case s == "":
		return errors.New("is empty")
	case len(s) > maxLen:
		return fmt.Errorf("is %d bytes, longer than the limit of %d", len(s), maxLen)
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	}
	return nil
}
