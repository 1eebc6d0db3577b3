package uselite

import (
	"fmt"
	"math"
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

// layer holds one transformer layer's weights, arranged for the sgemm calls:
// kernels are row-major in×out, as TensorFlow stores them, for Gemm.
type layer struct {
	in int // input width: 256 for layer 0, 512 for layer 1 (also the attention width)

	attnLNScale, attnLNBias []float32 // in
	qkv                     []float32 // in × 3in; the query third is pre-scaled by 1/sqrt(head width)
	qkvBias                 []float32 // 3in; query third pre-scaled likewise
	out                     []float32 // in × 512
	outBias                 []float32 // 512

	// Layer 0 only: the residual input (width 256) is projected to 512.
	residual     []float32 // 256 × 512, nil in layer 1
	residualBias []float32 // 512

	ffnLNScale, ffnLNBias []float32 // 512
	ffn1                  []float32 // 512 × 1536
	ffn1Bias              []float32 // 1536
	ffn2                  []float32 // 1536 × 512
	ffn2Bias              []float32 // 512
}

// model is the whole network: token embeddings with a sinusoidal timing
// signal, two transformer layers (pre-layer-norm, residual), mean pooling
// over the pieces, a 512→512 tanh layer and L2 normalisation.
type model struct {
	embeddings []float32 // vocabRows × 256
	timing     []float32 // MaxPieces × 256: sin then cos of position × inverse timescale
	layers     [numLayers]layer
	tanh       []float32 // 512 × 512
	tanhBias   []float32 // 512
	lnEpsilon  float32
	empty      []float32 // the (normalised) output for a text with no pieces
}

// newModel picks the weights out of the manifest's tensors, checks their
// shapes and the graph's constants, and arranges them.
func newModel(ws map[string]tensor) (*model, error) {
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
	m.tanh = must("module/Encoder_en/hidden_layers/tanh_layer_0/weights", modelWidth, modelWidth)
	m.tanhBias = must("module/Encoder_en/hidden_layers/tanh_layer_0/bias", modelWidth)
	if err != nil {
		return nil, err
	}
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
		L.qkv = must(fmt.Sprintf("%sLayer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", modulePrefix, l), 1, 1, in, 3*in)
		L.qkvBias = must(layerName(l, "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"), 3*in)
		L.out = must(fmt.Sprintf("%sLayer_%d/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", modulePrefix, l), 1, 1, in, modelWidth)
		L.outBias = must(layerName(l, "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"), modelWidth)
		if l == 0 {
			L.residual = must(layerName(l, "dense/kernel/ConcatPartitions/concat"), embedWidth, modelWidth)
			L.residualBias = must(layerName(l, "dense/bias/ConcatPartitions/concat"), modelWidth)
		}
		L.ffnLNScale = must(layerName(l, "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"), modelWidth)
		L.ffnLNBias = must(layerName(l, "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"), modelWidth)
		L.ffn1 = must(stackName(l, "FFN/conv1/Tensordot/Reshape_1"), modelWidth, ffnWidth)
		L.ffn1Bias = must(layerName(l, "FFN/conv1/bias/ConcatPartitions/concat"), ffnWidth)
		L.ffn2 = must(stackName(l, "FFN/conv2/Tensordot/Reshape_1"), ffnWidth, modelWidth)
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
		// Copy before scaling: the tensors are ours, but keep the
		// manifest's view untouched for clarity.
		qkv := make([]float32, len(L.qkv))
		copy(qkv, L.qkv)
		for r := range in {
			row := qkv[r*3*in : r*3*in+in]
			for j := range row {
				row[j] *= scale
			}
		}
		L.qkv = qkv
		qb := make([]float32, len(L.qkvBias))
		copy(qb, L.qkvBias)
		for j := range in {
			qb[j] *= scale
		}
		L.qkvBias = qb
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
