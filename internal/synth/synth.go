// Package synth makes synthetic corpora for tests and benchmarks: papers
// with clustered unit vectors and matching text, deterministic from a seed,
// and a fast fake OpenAI-compatible embeddings server.
//
// The vectors follow a hierarchy like real abstract embeddings: every
// vector shares a common direction (embeddings of one model are never
// spread uniformly), then a field, a topic (a few hundred by default, of
// Zipf-distributed sizes and varied spread) and a sub-topic, plus noise.
// Nearest neighbours are thus meaningful (same sub-topic, then topic) but
// not identical, so recall figures measured on it are neither flattered
// (identical points) nor spoiled (uniform noise, where no neighbour is
// nearer than any other). The text uses a Zipf vocabulary with words per
// field and topic, so lexical and semantic similarity roughly agree.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/recommend-dev/recommend/internal/paper"
)

// Config describes a corpus. Zero fields take the defaults noted.
type Config struct {
	N    int    // papers
	Dims int    // vector dimensions; default 512
	Seed uint64 // everything is a function of Seed

	// Fields is the number of broad fields; default 16.
	Fields int
	// Topics is the number of topic clusters; default min(300, max(8, N/30)).
	Topics int
	// PapersPerSubtopic sets the sub-topics per topic; default 40.
	PapersPerSubtopic int
}

// Corpus generates the papers and vectors of a Config on demand: paper i is
// the same whoever asks and in whatever order.
type Corpus struct {
	cfg        Config
	common     []float32
	fields     [][]float32
	topics     [][]float32
	subs       [][][]float32 // per topic
	lowRank    [][][]float32 // per topic: directions of its correlated noise
	topicField []int
	spread     []float32 // per topic noise scale
	cum        []float64 // cumulative topic weights
	vocab      []string
	zipf       []float64 // cumulative Zipf weights of vocab
	fieldWords [][]int
	topicWords [][]int
}

// Mixing weights (squared norms before noise) of the hierarchy levels; each
// paper varies its topic and sub-topic weights around these, and a share of
// papers mixes in a second topic.
const (
	wCommon    = 0.30
	wField     = 0.35
	wTopic     = 0.50
	wSub       = 0.45
	wLowRank   = 0.30 // noise along a few topic-specific directions
	wNoise     = 0.40 // isotropic noise
	lowRank    = 8
	secondMix  = 0.3 // share of papers with a second topic
	wSecondMax = 0.45
)

// New prepares a corpus: the cluster centres, O(Topics*Dims) work. A vector
// then costs a few tens of microseconds (1M vectors of 512 dimensions take
// about 15 s of CPU, spread over every core by Vectors).
func New(cfg Config) *Corpus {
	if cfg.N < 0 {
		cfg.N = 0
	}
	if cfg.Dims <= 0 {
		cfg.Dims = 512
	}
	if cfg.Fields <= 0 {
		cfg.Fields = 16
	}
	if cfg.Topics <= 0 {
		cfg.Topics = min(300, max(8, cfg.N/30))
	}
	if cfg.PapersPerSubtopic <= 0 {
		cfg.PapersPerSubtopic = 40
	}
	c := &Corpus{cfg: cfg}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	c.common = gaussUnit(r, cfg.Dims)
	c.fields = make([][]float32, cfg.Fields)
	for i := range c.fields {
		c.fields[i] = gaussUnit(r, cfg.Dims)
	}
	// Topic sizes follow a Zipf law of exponent 0.8.
	c.cum = make([]float64, cfg.Topics)
	var total float64
	for t := range c.cum {
		total += 1 / math.Pow(float64(t+1), 0.8)
		c.cum[t] = total
	}
	c.topics = make([][]float32, cfg.Topics)
	c.subs = make([][][]float32, cfg.Topics)
	c.lowRank = make([][][]float32, cfg.Topics)
	c.topicField = make([]int, cfg.Topics)
	c.spread = make([]float32, cfg.Topics)
	for t := range c.topics {
		c.topics[t] = gaussUnit(r, cfg.Dims)
		c.topicField[t] = r.IntN(cfg.Fields)
		c.spread[t] = float32(math.Exp(r.NormFloat64() * 0.25)) // varied spread
		expected := float64(cfg.N) * (1 / math.Pow(float64(t+1), 0.8)) / total
		nsub := max(1, int(expected)/cfg.PapersPerSubtopic)
		// Sub-topics form a random walk, so that neighbouring ones are
		// closer than far ones: similarities fall off gradually, not in
		// one step from "same sub-topic" to "same topic".
		c.subs[t] = make([][]float32, nsub)
		for s := range c.subs[t] {
			v := gaussUnit(r, cfg.Dims)
			if s > 0 {
				prev := c.subs[t][s-1]
				for k := range v {
					v[k] = 0.75*prev[k] + 0.66*v[k]
				}
				normalize(v)
			}
			c.subs[t][s] = v
		}
		c.lowRank[t] = make([][]float32, lowRank)
		for k := range c.lowRank[t] {
			c.lowRank[t][k] = gaussUnit(r, cfg.Dims)
		}
	}
	c.buildText(r)
	return c
}

// Config returns the corpus's configuration with defaults filled in.
func (c *Corpus) Config() Config { return c.cfg }

// Len returns the number of papers.
func (c *Corpus) Len() int { return c.cfg.N }

func gaussUnit(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	normalize(v)
	return v
}

func normalize(v []float32) {
	var ss float64
	for _, f := range v {
		ss += float64(f) * float64(f)
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}

// rng returns paper i's own generator.
func (c *Corpus) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(c.cfg.Seed^0x9e3779b97f4a7c15, uint64(i)))
}

// Topic returns the topic cluster of paper i (also for i >= N, the
// held-out items used as queries).
func (c *Corpus) Topic(i int) int {
	t, _ := c.assign(c.rng(i))
	return t
}

func (c *Corpus) assign(r *rand.Rand) (topic, sub int) {
	u := r.Float64() * c.cum[len(c.cum)-1]
	topic = sort.SearchFloat64s(c.cum, u)
	topic = min(topic, len(c.cum)-1)
	sub = r.IntN(len(c.subs[topic]))
	return topic, sub
}

// Vector writes paper i's unit vector into dst (len Dims) and returns it;
// a nil dst is allocated. Indices at or past N give held-out vectors from
// the same distribution, for queries.
func (c *Corpus) Vector(i int, dst []float32) []float32 {
	if dst == nil {
		dst = make([]float32, c.cfg.Dims)
	}
	r := c.rng(i)
	t, s := c.assign(r)
	c.fill(r, t, s, dst)
	return dst
}

func (c *Corpus) fill(r *rand.Rand, t, s int, dst []float32) {
	f := c.topicField[t]
	a := float32(math.Sqrt(wCommon))
	b := float32(math.Sqrt(wField))
	ct := float32(math.Sqrt(wTopic) * (0.6 + 0.8*r.Float64()))
	d := float32(math.Sqrt(wSub) * (0.3 + 1.4*r.Float64()))
	spread := c.spread[t] * float32(0.7+0.6*r.Float64())
	// Isotropic noise per coordinate: wNoise spread over Dims coordinates.
	e := spread * float32(math.Sqrt(wNoise/float64(len(dst))))
	common, field, topic, sub := c.common, c.fields[f], c.topics[t], c.subs[t][s]
	for k := range dst {
		dst[k] = a*common[k] + b*field[k] + ct*topic[k] + d*sub[k] + e*float32(r.NormFloat64())
	}
	lr := spread * float32(math.Sqrt(wLowRank/lowRank))
	for _, dir := range c.lowRank[t] {
		w := lr * float32(r.NormFloat64())
		for k := range dst {
			dst[k] += w * dir[k]
		}
	}
	if r.Float64() < secondMix {
		t2, s2 := c.assign(r)
		w := float32(math.Sqrt(wTopic) * wSecondMax * r.Float64())
		topic2, sub2 := c.topics[t2], c.subs[t2][s2]
		for k := range dst {
			dst[k] += w * (topic2[k] + sub2[k])
		}
	}
	normalize(dst)
}

// RandomVector returns a uniformly random unit direction, the hardest kind
// of query (no cluster near it), deterministic in j.
func (c *Corpus) RandomVector(j int) []float32 {
	r := rand.New(rand.NewPCG(c.cfg.Seed^0xdeadbeef, uint64(j)))
	return gaussUnit(r, c.cfg.Dims)
}

// Vectors returns the vectors of papers [0, N), generated on all cores,
// each its own allocation (as chromem-go holds them).
func (c *Corpus) Vectors() [][]float32 {
	out := make([][]float32, c.cfg.N)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(out); i += workers {
				out[i] = c.Vector(i, nil)
			}
		})
	}
	wg.Wait()
	return out
}

// ID returns paper i's id.
func (c *Corpus) ID(i int) string { return fmt.Sprintf("synth:%07d", i) }

// Paper returns paper i.
func (c *Corpus) Paper(i int) paper.Paper {
	r := c.rng(i)
	t, _ := c.assign(r)
	// A separate stream for text, so that text and vectors stay
	// independent of each other's use of the generator.
	tr := rand.New(rand.NewPCG(c.cfg.Seed^0x7e77, uint64(i)))
	f := c.topicField[t]
	var title strings.Builder
	nt := 5 + tr.IntN(7)
	for k := range nt {
		var w string
		switch u := tr.Float64(); {
		case u < 0.55:
			w = c.vocab[c.topicWords[t][tr.IntN(len(c.topicWords[t]))]]
		case u < 0.7:
			w = c.vocab[c.fieldWords[f][tr.IntN(len(c.fieldWords[f]))]]
		default:
			w = c.word(tr)
		}
		if k == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			title.WriteByte(' ')
		}
		title.WriteString(w)
	}
	var abs strings.Builder
	na := 60 + tr.IntN(140)
	sentence := 0
	for k := range na {
		var w string
		switch u := tr.Float64(); {
		case u < 0.22:
			w = c.vocab[c.topicWords[t][tr.IntN(len(c.topicWords[t]))]]
		case u < 0.32:
			w = c.vocab[c.fieldWords[f][tr.IntN(len(c.fieldWords[f]))]]
		default:
			w = c.word(tr)
		}
		if sentence == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		if k > 0 {
			abs.WriteByte(' ')
		}
		abs.WriteString(w)
		sentence++
		if sentence > 8 && (tr.IntN(8) == 0 || k == na-1) {
			abs.WriteByte('.')
			sentence = 0
		}
	}
	if sentence != 0 {
		abs.WriteByte('.')
	}
	na2 := 1 + tr.IntN(6)
	authors := make([]string, na2)
	for k := range authors {
		authors[k] = fmt.Sprintf("%c. %s", 'A'+rune(tr.IntN(26)), capitalize(c.vocab[tr.IntN(len(c.vocab))]))
	}
	day := tr.IntN(365 * 10)
	return paper.Paper{
		ID:          c.ID(i),
		Title:       title.String(),
		Abstract:    abs.String(),
		Authors:     authors,
		AuthorCount: len(authors),
		Published:   fmt.Sprintf("%04d-%02d-%02d", 2015+day/365, 1+(day%365)/31%12, 1+day%28),
		Categories:  []string{fmt.Sprintf("field%02d.topic%03d", f, t)},
		URL:         fmt.Sprintf("https://example.org/papers/%07d", i),
	}
}

// Papers returns papers [0, N).
func (c *Corpus) Papers() []paper.Paper {
	out := make([]paper.Paper, c.cfg.N)
	for i := range out {
		out[i] = c.Paper(i)
	}
	return out
}

// Generate returns the N papers and their unit vectors of cfg.
func Generate(cfg Config) ([]paper.Paper, [][]float32) {
	c := New(cfg)
	return c.Papers(), c.Vectors()
}

func capitalize(w string) string { return strings.ToUpper(w[:1]) + w[1:] }

// word draws a general word from the Zipf distribution.
func (c *Corpus) word(r *rand.Rand) string {
	u := r.Float64() * c.zipf[len(c.zipf)-1]
	k := sort.SearchFloat64s(c.zipf, u)
	return c.vocab[min(k, len(c.vocab)-1)]
}

const vocabSize = 8000

var (
	onsets = []string{"b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "tr", "pr", "st", "ch", "th", "gr", "qu", "sp"}
	vowels = []string{"a", "e", "i", "o", "u", "io", "ea", "ou"}
	codas  = []string{"", "", "", "n", "r", "s", "l", "m", "x", "nt", "st"}
)

func (c *Corpus) buildText(r *rand.Rand) {
	seen := make(map[string]bool, vocabSize)
	for len(c.vocab) < vocabSize {
		var b strings.Builder
		syl := 1 + r.IntN(3)
		if len(c.vocab) > 200 {
			syl++ // frequent words are short
		}
		for range syl {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(vowels[r.IntN(len(vowels))])
		}
		b.WriteString(codas[r.IntN(len(codas))])
		if w := b.String(); !seen[w] {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	c.zipf = make([]float64, vocabSize)
	var total float64
	for k := range c.zipf {
		total += 1 / float64(k+1)
		c.zipf[k] = total
	}
	// Field and topic words come from the rarer part of the vocabulary.
	pick := func(n int) []int {
		out := make([]int, n)
		for k := range out {
			out[k] = 500 + r.IntN(vocabSize-500)
		}
		return out
	}
	c.fieldWords = make([][]int, c.cfg.Fields)
	for f := range c.fieldWords {
		c.fieldWords[f] = pick(30)
	}
	c.topicWords = make([][]int, c.cfg.Topics)
	for t := range c.topicWords {
		c.topicWords[t] = pick(20)
	}
}
