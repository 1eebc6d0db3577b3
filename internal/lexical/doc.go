// Package lexical is recommend's lexical (keyword) index: an in-memory
// inverted index over paper text (title + abstract) scored with BM25 over
// unigrams and bigrams, kept in step with adds and deletes, and safe for
// concurrent use (many readers, occasional writers).
//
// It answers three kinds of question, each with raw BM25 scores:
//
//   - Search: free text against every document ("FractalNet", "spiking
//     neural networks on SpiNNaker");
//   - Similar: one stored document against the others, using the whole text
//     of the document (its most characteristic terms) as the query;
//   - Recommend: several stored documents, liked and disliked, combined
//     Rocchio-style into one weighted query.
//
// ScoreQuery, ScoreSimilar and ScoreRecommend score given candidates only, so that a caller
// fusing lexical and semantic results can score documents that only the
// other side found.
//
// # Normalising scores
//
// BM25 scores are unbounded and depend on the query. Every query has a
// finite ceiling, however: a term contributes at most weight·idf·(k1+1), which
// a document only approaches by repeating the term many times. QueryCeiling
// and SimilarCeiling return that ceiling, so score/ceiling lies in [0, 1] and
// is comparable across queries of the same kind. Dividing by the top score of
// the result list (max normalisation) is the other usual choice; it always
// maps the best hit to 1, even when that hit is poor. On the bundled papers,
// with titles as queries, the top score is a median 0.52 of the ceiling
// (p10 0.36, p90 0.66), and the second score a median 0.44 of the top.
//
// # Cost
//
// Unigrams have an inverted index with postings packed four bytes each;
// bigrams, which are fifty times as many and mostly occur once, are kept
// only in each document's forward index, with their document frequencies
// in a compact hash table. Queries take the rare terms from the postings
// and the common ones only for the candidates that can still reach the
// best (max-score pruning), which is exact; bigrams then rescore the best
// max(4k, 100) documents by unigram score, so a bigram can reorder the
// best matches but not lift a document from further down (on the bundled
// papers every result list is the same as scoring every document). With
// WithBigramWeight(0) no bigram is stored and results are exact.
// BenchmarkBuild100k and the other benchmarks measure build rate, memory
// and latency at 100k synthetic documents.
//
// # Bulk loading
//
// AddBatch indexes many documents with the result of Add on each in turn:
// it analyses them on every core, then inserts a chunk of 4096 under one
// write lock, again on every core (postings split by term, bigram counts
// by shard of their table). Grow sizes the per-document tables for a known
// count first. BenchmarkBuildSynth compares it with Add on the texts of
// internal/synth's papers, at 100k and (RECOMMEND_BENCH_1M=1) 1M.
//
// # Text analysis
//
// Tokenize describes the analysis: lower case, Unicode letters and digits,
// accents folded, hyphenated words indexed whole and by their parts, LaTeX
// sub- and superscripts joined (CO$_2$ → co2), English stop words dropped, a
// light plural stemmer. Bigrams are formed from adjacent kept words that are
// not separated by punctuation or a stop word.
package lexical
