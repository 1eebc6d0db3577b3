package lexical

import (
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/lexical/ireval"
	"github.com/recommend-dev/recommend/internal/paper"
)

// Floors a little under what the default index measures on the seed
// papers (see TestEvalTitleToAbstract's log), so that a regression in the
// tokenizer or the scoring fails the build.
const (
	floorR1    = 0.94
	floorMRR10 = 0.96
	// Document-to-document: first half of an abstract → its second half.
	floorHalfR1    = 0.76
	floorHalfMRR10 = 0.82
)

// titleEval indexes the abstracts of papers (titles left out) in a new
// index built with opts and returns the title → own-abstract cases.
func titleEval(papers []paper.Paper, opts ...Option) (*Index, []ireval.Case) {
	ix := New(opts...)
	cases := make([]ireval.Case, 0, len(papers))
	for _, p := range papers {
		if err := ix.Add(p.ID, p.Abstract); err != nil {
			panic(err)
		}
		cases = append(cases, ireval.Case{Query: p.Title, Want: p.ID})
	}
	return ix, cases
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func searchRanker(ix *Index) func(string) []string {
	return func(q string) []string { return ids(ix.Search(q, 10, nil)) }
}

// TestEvalTitleToAbstract is the lexical part of the hybrid-retrieval
// evaluation: each seed paper's title is the query, its own abstract the
// only right answer.
func TestEvalTitleToAbstract(t *testing.T) {
	papers := seedPapers(t)
	ix, cases := titleEval(papers)
	res := ireval.Evaluate(cases, searchRanker(ix))
	t.Logf("lexical BM25 title→abstract: %v", res)
	for _, m := range res.Misses {
		t.Logf("  miss rank %d: %q (top: %s)", m.Rank, m.Query, m.Got)
	}
	if res.R1 < floorR1 || res.MRR10 < floorMRR10 {
		t.Errorf("R@1 = %.4f, MRR@10 = %.4f; want at least %.2f and %.2f", res.R1, res.MRR10, floorR1, floorMRR10)
	}
	// The scale of scores, for fusion: the top score over the query's
	// ceiling, and the second score over the top.
	var topCeil, secondTop []float64
	for _, c := range cases {
		hits := ix.Search(c.Query, 2, nil)
		if len(hits) == 2 {
			topCeil = append(topCeil, hits[0].Score/ix.QueryCeiling(c.Query))
			secondTop = append(secondTop, hits[1].Score/hits[0].Score)
		}
	}
	t.Logf("top/ceiling: median %.3f (p10 %.3f, p90 %.3f); second/top: median %.3f (p10 %.3f, p90 %.3f)",
		quantile(topCeil, 0.5), quantile(topCeil, 0.1), quantile(topCeil, 0.9),
		quantile(secondTop, 0.5), quantile(secondTop, 0.1), quantile(secondTop, 0.9))
	for _, v := range topCeil {
		if v <= 0 || v > 1 {
			t.Fatalf("top score / ceiling = %v, want within (0, 1]", v)
		}
	}
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// halves splits text into two halves at the sentence boundary nearest the
// middle.
func halves(text string) (string, string) {
	mid := len(text) / 2
	best := -1
	for i := 0; i+2 < len(text); i++ {
		if text[i] == '.' && text[i+1] == ' ' {
			if best < 0 || abs(i-mid) < abs(best-mid) {
				best = i
			}
		}
	}
	if best < 0 {
		best = mid
	}
	return text[:best+1], text[best+1:]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// halfEval indexes both halves of every abstract as separate documents and
// returns the cases "first half's ID → second half's ID" for Similar.
func halfEval(papers []paper.Paper, opts ...Option) (*Index, []ireval.Case) {
	ix := New(opts...)
	var cases []ireval.Case
	for _, p := range papers {
		a, b := halves(p.Abstract)
		_ = ix.Add(p.ID+"#a", a)
		_ = ix.Add(p.ID+"#b", b)
		cases = append(cases, ireval.Case{Query: p.ID + "#a", Want: p.ID + "#b"})
	}
	return ix, cases
}

func similarRanker(ix *Index) func(string) []string {
	return func(id string) []string {
		hits, _ := ix.Similar(id, 10, nil)
		return ids(hits)
	}
}

// TestEvalSimilarHalves evaluates document-to-document similarity: the
// first half of each abstract (its stored ID) must find the second half.
func TestEvalSimilarHalves(t *testing.T) {
	ix, cases := halfEval(seedPapers(t))
	res := ireval.Evaluate(cases, similarRanker(ix))
	t.Logf("lexical Similar half→half: %v", res)
	if res.R1 < floorHalfR1 || res.MRR10 < floorHalfMRR10 {
		t.Errorf("R@1 = %.4f, MRR@10 = %.4f; want at least %.2f and %.2f", res.R1, res.MRR10, floorHalfR1, floorHalfMRR10)
	}
}

// tfidf is the baseline the issue measured: cosine of sublinear tf·idf
// vectors (smooth idf, L2-normalised).
type tfidf struct {
	ids  []string
	post map[string][]tfidfPosting
	idf  map[string]float64
}

type tfidfPosting struct {
	doc int
	w   float64
}

// plainWord is the usual default of TF-IDF tools (scikit-learn's
// token_pattern): runs of two or more word characters, lower-cased.
var plainWord = regexp.MustCompile(`\b\w\w+\b`)

// plainTerms analyses text the plain way: plainWord tokens, no stop words,
// no stemming, every neighbour pair a bigram.
func plainTerms(text string, bigrams bool) map[string]float64 {
	tf := map[string]float64{}
	words := plainWord.FindAllString(strings.ToLower(text), -1)
	for i, w := range words {
		tf[w]++
		if bigrams && i > 0 {
			tf[words[i-1]+" "+w]++
		}
	}
	return tf
}

// tfidfTerms analyses text as the index does.
func tfidfTerms(text string, bigrams bool) map[string]float64 {
	var a analysis
	analyze(text, &a)
	tf := map[string]float64{}
	for i, w := range a.words {
		tf[w]++
		if bigrams && i > 0 && !a.brk[i] {
			tf[a.words[i-1]+" "+w]++
		}
	}
	for _, w := range a.extra {
		tf[w]++
	}
	return tf
}

func newTFIDF(docs map[string]string, terms func(string) map[string]float64) *tfidf {
	m := &tfidf{idf: map[string]float64{}, post: map[string][]tfidfPosting{}}
	df := map[string]float64{}
	var tfs []map[string]float64
	for id := range docs {
		m.ids = append(m.ids, id)
	}
	sort.Strings(m.ids)
	for _, id := range m.ids {
		tf := terms(docs[id])
		for t := range tf {
			df[t]++
		}
		tfs = append(tfs, tf)
	}
	n := float64(len(docs))
	for t, d := range df {
		m.idf[t] = math.Log((1+n)/(1+d)) + 1
	}
	for doc, tf := range tfs {
		for t, w := range m.weigh(tf) {
			m.post[t] = append(m.post[t], tfidfPosting{doc, w})
		}
	}
	return m
}

// weigh turns term counts into an L2-normalised sublinear tf·idf vector
// over the terms the model knows.
func (m *tfidf) weigh(tf map[string]float64) map[string]float64 {
	v := map[string]float64{}
	norm := 0.0
	for t, c := range tf {
		idf, ok := m.idf[t]
		if !ok {
			continue
		}
		w := (1 + math.Log(c)) * idf
		v[t] = w
		norm += w * w
	}
	norm = math.Sqrt(norm)
	for t := range v {
		v[t] /= norm
	}
	return v
}

// rank returns the 10 documents of highest cosine with q, skipping skip.
func (m *tfidf) rank(q map[string]float64, skip string) []string {
	scores := make([]float64, len(m.ids))
	for t, w := range q {
		for _, p := range m.post[t] {
			scores[p.doc] += w * p.w
		}
	}
	order := make([]int, 0, len(m.ids))
	for d, s := range scores {
		if s > 0 && m.ids[d] != skip {
			order = append(order, d)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if scores[a] != scores[b] {
			return scores[a] > scores[b]
		}
		return m.ids[a] < m.ids[b]
	})
	out := make([]string, 0, 10)
	for i := 0; i < len(order) && i < 10; i++ {
		out = append(out, m.ids[order[i]])
	}
	return out
}

// TestEvalScoringChoice measures BM25 variants against the TF-IDF cosine
// baseline, and checks that the default BM25 is at least as good as the
// baseline on title → abstract (the reason it is the default). With
// LEXICAL_EVAL_GRID=1 it runs the whole parameter grid and the half → half
// (document-to-document) evaluation too; its numbers are in the report of
// the lexical package's first version.
func TestEvalScoringChoice(t *testing.T) {
	// The full grid takes minutes under -race; by default only the
	// variants the choice rests on run.
	grid := os.Getenv("LEXICAL_EVAL_GRID") != ""
	papers := seedPapers(t)
	abstracts := map[string]string{}
	var halvesDocs = map[string]string{}
	for _, p := range papers {
		abstracts[p.ID] = p.Abstract
		a, b := halves(p.Abstract)
		halvesDocs[p.ID+"#a"], halvesDocs[p.ID+"#b"] = a, b
	}
	_, titleCases := titleEval(papers)
	_, halfCases := halfEval(papers)

	var base ireval.Result
	for _, plain := range []bool{true, false} {
		for _, bigrams := range []bool{false, true} {
			if !grid && !bigrams {
				continue
			}
			terms := func(text string) map[string]float64 { return tfidfTerms(text, bigrams) }
			name := "our tokenizer"
			if plain {
				terms = func(text string) map[string]float64 { return plainTerms(text, bigrams) }
				name = "plain \\w\\w+"
			}
			m := newTFIDF(abstracts, terms)
			res := ireval.Evaluate(titleCases, func(q string) []string { return m.rank(m.weigh(terms(q)), "") })
			var hres ireval.Result
			if grid {
				hm := newTFIDF(halvesDocs, terms)
				hres = ireval.Evaluate(halfCases, func(id string) []string {
					return hm.rank(hm.weigh(terms(halvesDocs[id])), id)
				})
			}
			t.Logf("TF-IDF cosine, %s, bigrams=%-5v title→abstract %v%s", name, bigrams, res, halfLog(grid, hres))
			if bigrams && !plain {
				base = res
			}
		}
	}
	type variant = struct {
		name string
		opts []Option
	}
	variants := []variant{
		{"BM25 default (k1=1.2 b=0.75 bigram=0.5 docTerms=32)", nil},
		{"BM25 no bigrams", []Option{WithBigramWeight(0)}},
		{"BM25 bigram=1", []Option{WithBigramWeight(1)}},
	}
	if grid {
		variants = append(variants, moreVariants...)
	}
	var def ireval.Result
	for i, v := range variants {
		ix, cases := titleEval(papers, v.opts...)
		res := ireval.Evaluate(cases, searchRanker(ix))
		var hres ireval.Result
		if grid {
			hix, hcases := halfEval(papers, v.opts...)
			hres = ireval.Evaluate(hcases, similarRanker(hix))
		}
		t.Logf("%-50s title→abstract %v%s", v.name, res, halfLog(grid, hres))
		if i == 0 {
			def = res
		}
	}
	if def.MRR10 < base.MRR10-0.005 || def.R1 < base.R1-0.01 {
		t.Errorf("default BM25 (%v) is worse than the TF-IDF cosine baseline (%v)", def, base)
	}
}

func halfLog(grid bool, r ireval.Result) string {
	if !grid {
		return ""
	}
	return " | half→half " + r.String()
}

// moreVariants are the rest of the parameter grid (LEXICAL_EVAL_GRID=1).
var moreVariants = []struct {
	name string
	opts []Option
}{
	{"BM25 bigram=2", []Option{WithBigramWeight(2)}},
	{"BM25 k1=0.9 b=0.4", []Option{WithBM25(0.9, 0.4)}},
	{"BM25 k1=1.5 b=0.75", []Option{WithBM25(1.5, 0.75)}},
	{"BM25 k1=2.0 b=0.75", []Option{WithBM25(2.0, 0.75)}},
	{"BM25 k1=1.2 b=0.5", []Option{WithBM25(1.2, 0.5)}},
	{"BM25 k1=1.2 b=1.0", []Option{WithBM25(1.2, 1.0)}},
	{"BM25 docTerms=16", []Option{WithDocTerms(16)}},
	{"BM25 docTerms=64", []Option{WithDocTerms(64)}},
	{"BM25 docTerms=128", []Option{WithDocTerms(128)}},
	{"BM25 docTerms=all", []Option{WithDocTerms(1 << 20)}},
}
