package bundled

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
)

// ErrNoVectors means the binary carries no vectors of the bundled corpus
// for the model asked for (or only stale ones, made from another version of
// papers.jsonl): the papers must be embedded.
var ErrNoVectors = errors.New("bundled: no vectors for this model")

//go:embed vectors
var vectorFiles embed.FS

// vecMagic starts every vectors file.
const vecMagic = "RVEC1\n"

// vecHeader is the JSON line after the magic.
type vecHeader struct {
	Model  string `json:"model"`
	Dims   int    `json:"dims"`
	Count  int    `json:"count"`
	Corpus string `json:"corpus"`
}

// Vectors returns the shipped vectors of the bundled papers for model, one
// per paper in the order of Papers. It returns an error wrapping
// ErrNoVectors when there are none for this model or version of the corpus.
// The format is described in vectors/README.md.
func Vectors(model string) ([][]float32, error) {
	return readVectors(vectorFiles, model, Version())
}

// VectorsFile is the name under internal/bundled of the file that holds the
// vectors for model.
func VectorsFile(model string) string {
	return "vectors/" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, model) + ".vec"
}

func readVectors(fsys fs.FS, model, corpus string) ([][]float32, error) {
	name := VectorsFile(model)
	f, err := fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoVectors
	}
	if err != nil {
		return nil, fmt.Errorf("bundled: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic := make([]byte, len(vecMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != vecMagic {
		return nil, fmt.Errorf("bundled: %s is not a vectors file", name)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("bundled: %s: reading header: %w", name, err)
	}
	var h vecHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("bundled: %s: header: %w", name, err)
	}
	switch {
	case h.Model != model:
		return nil, fmt.Errorf("%w: %s holds vectors of model %q", ErrNoVectors, name, h.Model)
	case h.Corpus != corpus:
		return nil, fmt.Errorf("%w: %s was made from corpus %.12s, the embedded corpus is %.12s", ErrNoVectors, name, h.Corpus, corpus)
	case h.Dims <= 0 || h.Count < 0 || h.Dims > 1<<16 || h.Count > 1<<24:
		return nil, fmt.Errorf("bundled: %s: bad header %+v", name, h)
	}
	flat := make([]float32, h.Count*h.Dims)
	if err := binary.Read(br, binary.LittleEndian, flat); err != nil {
		return nil, fmt.Errorf("bundled: %s: %d×%d vectors: %w", name, h.Count, h.Dims, err)
	}
	if n, _ := br.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("bundled: %s: data after %d vectors", name, h.Count)
	}
	vecs := make([][]float32, h.Count)
	for i := range vecs {
		vecs[i] = flat[i*h.Dims : (i+1)*h.Dims : (i+1)*h.Dims]
	}
	return vecs, nil
}

// WriteVectors writes vectors of the bundled papers for model in the
// format Vectors reads, stamped with the current corpus Version. Write it
// to VectorsFile(model) under internal/bundled; vecs must hold one vector
// per paper of Papers, in order, all of one length.
func WriteVectors(w io.Writer, model string, vecs [][]float32) error {
	papers, err := Papers()
	if err != nil {
		return err
	}
	if len(vecs) != len(papers) {
		return fmt.Errorf("bundled: %d vectors for %d papers", len(vecs), len(papers))
	}
	return writeVectors(w, model, Version(), vecs)
}

func writeVectors(w io.Writer, model, corpus string, vecs [][]float32) error {
	dims := 0
	if len(vecs) > 0 {
		dims = len(vecs[0])
	}
	if dims == 0 {
		return errors.New("bundled: no vectors to write")
	}
	h, err := json.Marshal(vecHeader{Model: model, Dims: dims, Count: len(vecs), Corpus: corpus})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(vecMagic)
	buf.Write(h)
	buf.WriteByte('\n')
	b := make([]byte, 4)
	for i, v := range vecs {
		if len(v) != dims {
			return fmt.Errorf("bundled: vector %d has %d dimensions, want %d", i, len(v), dims)
		}
		for _, x := range v {
			binary.LittleEndian.PutUint32(b, math.Float32bits(x))
			buf.Write(b)
		}
	}
	_, err = w.Write(buf.Bytes())
	return err
}
