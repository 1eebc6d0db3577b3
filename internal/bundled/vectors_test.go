package bundled

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestVectorsRoundTrip(t *testing.T) {
	vecs := [][]float32{{1, 2, 3}, {-0.5, 0, 1e-7}}
	var buf bytes.Buffer
	if err := writeVectors(&buf, "use-lite/512", "abc", vecs); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{VectorsFile("use-lite/512"): {Data: buf.Bytes()}}
	got, err := readVectors(fsys, "use-lite/512", "abc")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, vecs) {
		t.Errorf("got %v, want %v", got, vecs)
	}
	if VectorsFile("use-lite/512") != "vectors/use-lite_512.vec" {
		t.Errorf("VectorsFile = %q", VectorsFile("use-lite/512"))
	}

	tests := []struct {
		name, model, corpus string
		data                []byte
		noVectors           bool
		errPart             string
	}{
		{"missing file", "other", "abc", nil, true, "no vectors"},
		{"stale corpus", "use-lite/512", "def", buf.Bytes(), true, "was made from corpus abc"},
		{"name clash, other model", "use-lite:512", "abc", buf.Bytes(), true, `holds vectors of model "use-lite/512"`},
		{"truncated", "use-lite/512", "abc", buf.Bytes()[:buf.Len()-3], false, "2×3 vectors"},
		{"trailing data", "use-lite/512", "abc", append(bytes.Clone(buf.Bytes()), 0), false, "data after 2 vectors"},
		{"not a vectors file", "use-lite/512", "abc", []byte("hello"), false, "not a vectors file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			if tt.data != nil {
				fsys[VectorsFile(tt.model)] = &fstest.MapFile{Data: tt.data}
			}
			_, err := readVectors(fsys, tt.model, tt.corpus)
			if err == nil || errors.Is(err, ErrNoVectors) != tt.noVectors || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("err = %v; want ErrNoVectors %v and %q", err, tt.noVectors, tt.errPart)
			}
		})
	}
	if err := writeVectors(&bytes.Buffer{}, "m", "c", [][]float32{{1, 2}, {3}}); err == nil {
		t.Error("ragged vectors written")
	}
}

func TestWriteVectorsChecksCount(t *testing.T) {
	if err := WriteVectors(&bytes.Buffer{}, "m", [][]float32{{1}}); err == nil || !strings.Contains(err.Error(), "1 vectors for 296 papers") {
		t.Errorf("WriteVectors with one vector: %v", err)
	}
}

// TestShippedVectors checks every vectors file in the binary: it must match
// the current corpus and hold one finite, unit-length vector per paper.
func TestShippedVectors(t *testing.T) {
	entries, err := vectorFiles.ReadDir("vectors")
	if err != nil {
		t.Fatal(err)
	}
	papers, err := Papers()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".vec") {
			continue
		}
		data, err := vectorFiles.ReadFile("vectors/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		_, header, _ := bytes.Cut(data, []byte("\n"))
		header, _, _ = bytes.Cut(header, []byte("\n"))
		model := string(header) // reported below if parsing fails
		var h vecHeader
		if err := json.Unmarshal(header, &h); err == nil {
			model = h.Model
		}
		vecs, err := Vectors(model)
		if err != nil {
			t.Errorf("%s: %v (run the vectors generator again after go generate)", e.Name(), err)
			continue
		}
		if len(vecs) != len(papers) {
			t.Errorf("%s: %d vectors for %d papers", e.Name(), len(vecs), len(papers))
		}
		for i, v := range vecs {
			var sum float64
			for _, x := range v {
				sum += float64(x) * float64(x)
			}
			if math.IsNaN(sum) || math.Abs(sum-1) > 1e-3 {
				t.Errorf("%s: vector %d has squared length %v, want 1", e.Name(), i, sum)
				break
			}
		}
	}
	if _, err := Vectors("no-such-model"); !errors.Is(err, ErrNoVectors) {
		t.Errorf("Vectors(no-such-model) = %v, want ErrNoVectors", err)
	}
}
