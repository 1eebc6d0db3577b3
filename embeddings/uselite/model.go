package uselite

import (
	"fmt"
	"math"

	"github.com/recommend-dev/recommend/embeddings/internal/sgemm"
)

// Shapes of the USE Lite graph.
const (
	vocabRows  = 8002 // rows of the token embedding table
	embedWidth = 256  // token embedding and layer 0 input width
	modelWidth = 512  // residual stream width after layer 0, and output width
	ffnWidth   = 1536 // hidden width of the feed-forward blocks
	numHeads   = 4    // attention heads in both layers
	numLayers  = 2
)

// dense is a k×n weight matrix (in × out, row-major, as TensorFlow stores
// it), packed once at load time for sgemm.GemmPacked. The plain matrix is
// kept only for the naive benchmark backend.
type dense struct {
	k, n   int
	w      []float32 // k × n, nil unless kept for the naive backend
	packed *sgemm.PackedB
}

func newDense(k, n int, w []float32, keepPlain bool) *dense {
	d := &dense{k: k, n: n, packed: sgemm.PackB(k, n, w, n)}
	if keepPlain {
		d.w = w
	}
	return d
}

// layer holds one transformer layer's weights.
type layer struct {
	in int // input width: 256 for layer 0, 512 for layer 1 (also the attention width)

	attnLNScale, attnLNBias []float32 // in
	qkv                     *dense    // in × 3in; the query third is pre-scaled by 1/sqrt(head width)
	qkvBias                 []float32 // 3in; query third pre-scaled likewise
	out                     *dense    // in × 512
	outBias                 []float32 // 512

	// Layer 0 only: the residual input (width 256) is projected to 512.
	residual     *dense    // 256 × 512, nil in layer 1
	residualBias []float32 // 512

	ffnLNScale, ffnLNBias []float32 // 512
	ffn1                  *dense    // 512 × 1536
	ffn1Bias              []float32 // 1536
	ffn2                  *dense    // 1536 × 512
	ffn2Bias              []float32 // 512
}

// model is the whole network: token embeddings with a sinusoidal timing
// signal, two transformer layers (pre-layer-norm, residual), mean pooling
// over the pieces, a 512→512 tanh layer and L2 normalisation.
type model struct {
	embeddings []float32 // vocabRows × 256
	timing     []float32 // MaxPieces × 256: sin then cos of position × inverse timescale
	layers     [numLayers]layer
	tanh       *dense    // 512 × 512
	tanhBias   []float32 // 512
	lnEpsilon  float32
	empty      []float32 // the (normalised) output for a text with no pieces
}

// newModel picks the weights out of the manifest's tensors, checks their
// shapes and the graph's constants, and arranges them. keepPlain keeps the
// unpacked matrices for the naive backend.
func newModel(ws map[string]tensor, keepPlain bool) (*model, error) {
	m := &model{}
	var err error
	must := func(name string, shape ...int) []float32 {
		if err != nil {
			return nil
		}
		var d []float32
		d, err = get(ws, name, shape...)
		return d
	}
	m.embeddings = must("module/Embeddings_en", vocabRows, embedWidth)
	invTimescale := must(applyPrefix+"TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", 1, embedWidth/2)
	tanhW := must("module/Encoder_en/hidden_layers/tanh_layer_0/weights", modelWidth, modelWidth)
	m.tanhBias = must("module/Encoder_en/hidden_layers/tanh_layer_0/bias", modelWidth)
	if err != nil {
		return nil, err
	}
	m.tanh = newDense(modelWidth, modelWidth, tanhW, keepPlain)
	eps, err := getScalar(ws, stackName(1, "FFN/layer_prepostprocess/layer_norm/Cast/x"), 1e-6)
	if err != nil {
		return nil, err
	}
	m.lnEpsilon = eps
	if _, err := getScalar(ws, "module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y", MaxPieces); err != nil {
		return nil, err
	}
	if _, err := getScalar(ws, "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y", 1e-12); err != nil {
		return nil, err
	}

	for l := range numLayers {
		in := embedWidth
		if l > 0 {
			in = modelWidth
		}
		L := &m.layers[l]
		L.in = in
		L.attnLNScale = must(layerName(l, "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"), in)
		L.attnLNBias = must(layerName(l, "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"), in)
		qkvW := must(fmt.Sprintf("%sLayer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", modulePrefix, l), 1, 1, in, 3*in)
		L.qkvBias = must(layerName(l, "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"), 3*in)
		outW := must(fmt.Sprintf("%sLayer_%d/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", modulePrefix, l), 1, 1, in, modelWidth)
		L.outBias = must(layerName(l, "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"), modelWidth)
		if l == 0 {
			L.residual = newDense(embedWidth, modelWidth, must(layerName(l, "dense/kernel/ConcatPartitions/concat"), embedWidth, modelWidth), keepPlain)
			L.residualBias = must(layerName(l, "dense/bias/ConcatPartitions/concat"), modelWidth)
		}
		L.ffnLNScale = must(layerName(l, "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"), modelWidth)
		L.ffnLNBias = must(layerName(l, "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"), modelWidth)
		ffn1W := must(stackName(l, "FFN/conv1/Tensordot/Reshape_1"), modelWidth, ffnWidth)
		L.ffn1Bias = must(layerName(l, "FFN/conv1/bias/ConcatPartitions/concat"), ffnWidth)
		ffn2W := must(stackName(l, "FFN/conv2/Tensordot/Reshape_1"), ffnWidth, modelWidth)
		L.ffn2Bias = must(layerName(l, "FFN/conv2/bias/ConcatPartitions/concat"), modelWidth)
		if err != nil {
			return nil, err
		}
		// The graph multiplies the queries by 1/sqrt(head width) before
		// the dot products; fold that into the query weights and bias.
		headWidth := in / numHeads
		scale, err := getScalar(ws, stackName(l, "MultiheadAttention/mul/y"), 1/math.Sqrt(float64(headWidth)))
		if err != nil {
			return nil, err
		}
		split, err := get(ws, stackName(l, "MultiheadAttention/Const"), 3)
		if err != nil {
			return nil, err
		}
		if split[0] != float32(in) || split[1] != float32(in) || split[2] != float32(in) {
			return nil, fmt.Errorf("uselite: layer %d splits qkv as %v, want three parts of %d", l, split, in)
		}
		// The query columns are the first third of each row.
		for r := range in {
			row := qkvW[r*3*in : r*3*in+in]
			for j := range row {
				row[j] *= scale
			}
		}
		for j := range in {
			L.qkvBias[j] *= scale
		}
		L.qkv = newDense(in, 3*in, qkvW, keepPlain)
		L.out = newDense(in, modelWidth, outW, keepPlain)
		L.ffn1 = newDense(modelWidth, ffnWidth, ffn1W, keepPlain)
		L.ffn2 = newDense(ffnWidth, modelWidth, ffn2W, keepPlain)
	}
	if heads, err := getScalar(ws, stackName(1, "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2"), numHeads); err != nil || heads != numHeads {
		return nil, fmt.Errorf("uselite: head count: %w", err)
	}

	// Timing signal, as TensorFlow computes it in float32: position ×
	// inverse timescale, then sin for the first half and cos for the second.
	m.timing = make([]float32, MaxPieces*embedWidth)
	half := embedWidth / 2
	for pos := range MaxPieces {
		row := m.timing[pos*embedWidth : (pos+1)*embedWidth]
		for i := range half {
			a := float32(pos) * invTimescale[i]
			row[i] = float32(math.Sin(float64(a)))
			row[half+i] = float32(math.Cos(float64(a)))
		}
	}

	// A text with no pieces pools to the zero vector (the graph divides the
	// sum by max(count, 1)), so its output is normalise(tanh(bias)).
	m.empty = make([]float32, modelWidth)
	for j, b := range m.tanhBias {
		m.empty[j] = float32(math.Tanh(float64(b)))
	}
	l2normalize(m.empty)
	return m, nil
}

// l2normalize scales v to unit length as the graph does:
// v · rsqrt(max(Σv², 1e-12)).
func l2normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(math.Max(s, 1e-12)))
	for i := range v {
		v[i] *= inv
	}
}
