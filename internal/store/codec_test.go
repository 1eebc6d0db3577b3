package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

// normalized maps empty lists to nil, as decoding does.
func normalized(p paper.Paper) paper.Paper {
	if len(p.Authors) == 0 {
		p.Authors = nil
	}
	if len(p.Categories) == 0 {
		p.Categories = nil
	}
	return p
}

func TestPaperCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, p := range []paper.Paper{
		{ID: "x", Title: "t", Abstract: "a"},
		{ID: "arxiv:2401.01234", Title: "Ünïcode ✓", Abstract: strings.Repeat("long ", 5000), Authors: []string{"", "b"}, AuthorCount: math.MaxInt32, Categories: []string{"cs.IR"}, Published: "2024-01-02", URL: "u", DOI: "d", Organization: "o"},
		{ID: "neg", Title: "t", Abstract: "a", AuthorCount: math.MinInt32, Authors: []string{}},
		makePaper(r, "random"),
	} {
		enc := encodePaper(&p)
		got, err := decodePaper([]byte(p.ID), enc)
		if err != nil {
			t.Fatalf("decodePaper(encodePaper(%q)): %v", p.ID, err)
		}
		if want := normalized(p); !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %q = %+v, want %+v", p.ID, got, want)
		}
		title, abstract, err := paperText(enc)
		if err != nil || string(title) != p.Title || string(abstract) != p.Abstract {
			t.Errorf("paperText(%q) = %q, %q, %v", p.ID, title, abstract, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	p := paper.Paper{ID: "x", Title: "title", Abstract: "abstract"}
	good := encodePaper(&p)
	vec := encodeVector([]float32{1, 2, 3})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"short paper", func() error { _, err := decodePaper(nil, good[:3]); return err }(), "shorter than its"},
		{"paper version", func() error {
			b := bytes.Clone(good)
			b[0] = 9
			_, err := decodePaper(nil, b)
			return err
		}(), "format version 9"},
		{"paper checksum", func() error {
			b := bytes.Clone(good)
			b[len(b)-1] ^= 1
			_, err := decodePaper(nil, b)
			return err
		}(), "checksum mismatch"},
		{"vector dims", func() error { _, err := decodeVector(vec, 4); return err }(), "3 dimensions, the model has 4"},
		{"vector checksum", func() error {
			b := bytes.Clone(vec)
			b[6] ^= 1
			_, err := decodeVector(b, 3)
			return err
		}(), "checksum mismatch"},
		{"model record", func() error { _, err := decodeModelInfo([]byte{1, 0, 0}); return err }(), "dimensions 0 out of range"},
	} {
		if !errors.Is(tc.err, errBadRecord) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want a bad record error containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func FuzzDecodePaper(f *testing.F) {
	r := rand.New(rand.NewPCG(53, 54))
	p := makePaper(r, "seed")
	p.Authors = []string{"a", "b"}
	f.Add([]byte("seed"), encodePaper(&p))
	f.Add([]byte("x"), encodePaper(&paper.Paper{Title: "t", Abstract: "a"}))
	f.Add([]byte(""), []byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, key, b []byte) {
		p, err := decodePaper(key, b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not a bad record error", err)
			}
			return
		}
		if p.ID != string(key) {
			t.Fatalf("ID = %q, want %q", p.ID, key)
		}
		again, err := decodePaper(key, encodePaper(&p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("re-encoding %+v gives %+v, %v", p, again, err)
		}
		if title, abstract, err := paperText(b); err != nil || string(title) != p.Title || string(abstract) != p.Abstract {
			t.Fatalf("paperText = %q, %q, %v; decodePaper gave %q, %q", title, abstract, err, p.Title, p.Abstract)
		}
	})
}

func FuzzPaperRoundTrip(f *testing.F) {
	f.Add("arxiv:1", "title", "abstract", "org", "2024-01-01", "url", "doi", 3, "a\x00b\x00c", "cs.IR")
	f.Add("", "", "", "", "", "", "", -1, "", "\x00")
	f.Fuzz(func(t *testing.T, id, title, abstract, org, published, url, doi string, ac int, authors, cats string) {
		p := paper.Paper{ID: id, Title: title, Abstract: abstract, Organization: org, Published: published, URL: url, DOI: doi, AuthorCount: int(int32(ac))}
		if authors != "" {
			p.Authors = strings.Split(authors, "\x00")
		}
		if cats != "" {
			p.Categories = strings.Split(cats, "\x00")
		}
		got, err := decodePaper([]byte(id), encodePaper(&p))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip = %+v, want %+v", got, p)
		}
	})
}

func FuzzDecodeVector(f *testing.F) {
	f.Add(encodeVector([]float32{1, -2, 3.5}), 3)
	f.Add(encodeVector(nil), 0)
	f.Add([]byte{1, 0, 0, 0, 0, 1, 2, 3}, 1)
	f.Fuzz(func(t *testing.T, b []byte, dims int) {
		v, err := decodeVector(b, dims)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not a bad record error", err)
			}
			return
		}
		if len(v) != dims {
			t.Fatalf("decoded %d dims, asked for %d", len(v), dims)
		}
		if enc := encodeVector(v); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding gives %x, want %x", enc, b)
		}
	})
}

func FuzzDecodeModelInfo(f *testing.F) {
	f.Add(encodeModelInfo(modelInfo{dims: 512, count: 1000}))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeModelInfo(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not a bad record error", err)
			}
			return
		}
		if again, err := decodeModelInfo(encodeModelInfo(m)); err != nil || again != m {
			t.Fatalf("re-encoding %+v gives %+v, %v", m, again, err)
		}
		if _, err := decodeCount(b); err != nil && !errors.Is(err, errBadRecord) {
			t.Fatalf("decodeCount error %v is not a bad record error", err)
		}
	})
}

// FuzzBoltMeta feeds arbitrary file heads to the pre-open check.
func FuzzBoltMeta(f *testing.F) {
	f.Add(smallGolden(f)[:2*DefaultPageSize], int64(0))
	f.Add([]byte{}, int64(10))
	f.Fuzz(func(t *testing.T, b []byte, extra int64) {
		size := int64(len(b)) + max(0, min(extra, 1<<40))
		readAt := func(p []byte, off int64) (int, error) {
			if off >= int64(len(b)) {
				return 0, io.EOF
			}
			return copy(p, b[off:]), nil
		}
		_ = checkBoltMetas(size, readAt)
	})
}

var (
	smallGoldenOnce  sync.Once
	smallGoldenBytes []byte
)

// smallGolden returns the bytes of a small valid store, built once.
func smallGolden(tb testing.TB) []byte {
	smallGoldenOnce.Do(func() {
		dir, err := os.MkdirTemp("", "store-golden-")
		if err != nil {
			tb.Fatal(err)
		}
		defer os.RemoveAll(dir)
		r := rand.New(rand.NewPCG(55, 56))
		s, err := Open(filepath.Join(dir, "g.db"), &Options{Logger: quiet, PageSize: 1024})
		if err != nil {
			tb.Fatal(err)
		}
		ps, vs := makeBatch(r, "p", 40, 4)
		for i := range ps {
			ps[i].Abstract = ps[i].Abstract[:60]
		}
		if err := s.PutPapers(ps, "m", vs); err != nil {
			tb.Fatal(err)
		}
		if err := s.SetMeta("k", "v"); err != nil {
			tb.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := s.Backup(&buf); err != nil {
			tb.Fatal(err)
		}
		_ = s.Close()
		smallGoldenBytes = buf.Bytes()
	})
	if smallGoldenBytes == nil {
		tb.Fatal("building the small golden store failed")
	}
	return smallGoldenBytes
}

// FuzzOpenDamaged patches bytes of a small valid store and opens, verifies
// and reads it: the result must be success or ErrCorrupt, never a panic or a
// crash inside bbolt.
func FuzzOpenDamaged(f *testing.F) {
	golden := smallGolden(f)
	f.Add(uint32(len(golden)/2), []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(uint32(2*1024+20), []byte{0x7f})
	f.Add(uint32(len(golden)-100), []byte("garbage garbage garbage"))
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		b := bytes.Clone(golden)
		o := int(off % uint32(len(b)))
		copy(b[o:], patch)
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := readAll(path, true); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("damaged store: %v, want nil or ErrCorrupt", err)
		}
	})
}

// BenchmarkPaperCodec compares the binary paper encoding with JSON (the
// obvious alternative) for a typical paper; it reports the encoded size.
func BenchmarkPaperCodec(b *testing.B) {
	r := rand.New(rand.NewPCG(57, 58))
	p := makePaper(r, "arxiv:2401.01234")
	p.Authors = []string{"Ada Lovelace", "Alan Turing", "Grace Hopper"}
	p.AuthorCount, p.Categories, p.Published, p.URL = 3, []string{"cs.IR", "cs.LG"}, "2024-01-02", "https://arxiv.org/abs/2401.01234"
	key := []byte(p.ID)
	b.Run("binary", func(b *testing.B) {
		enc := encodePaper(&p)
		for range b.N {
			enc = encodePaper(&p)
			if _, err := decodePaper(key, enc); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(enc)), "bytes")
	})
	b.Run("json", func(b *testing.B) {
		enc, _ := json.Marshal(p)
		for range b.N {
			enc, _ = json.Marshal(p)
			var q paper.Paper
			if err := json.Unmarshal(enc, &q); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(enc)), "bytes")
	})
}

// The encoded vector is exactly the little-endian float32s after the header.
func TestVectorLayout(t *testing.T) {
	v := []float32{1.5, -2, float32(math.Inf(1))}
	b := encodeVector(v)
	if len(b) != recordHeaderLen+12 || b[0] != vectorFormatV1 {
		t.Fatalf("encoded %x", b)
	}
	for i, f := range v {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(b[recordHeaderLen+4*i:])); got != f {
			t.Errorf("element %d = %v, want %v", i, got, f)
		}
	}
}
