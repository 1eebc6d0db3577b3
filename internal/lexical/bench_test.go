package lexical

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The benchmarks run on a shared index of 100k synthetic documents (see
// synthCorpus), built once. Run them with
//
//	go test -run '^$' -bench . -benchtime 2000x ./internal/lexical/
const benchDocs = 100_000

var bench struct {
	once   sync.Once
	docs   []string
	ix     *Index
	titles []string
}

// reportCPU reports the CPU time per operation since start (see cpuTime),
// which on a busy machine is steadier than ns/op. The benchmarks are
// single-goroutine, so CPU time per op is the op's own cost (plus GC).
func reportCPU(b *testing.B, start time.Duration) {
	b.Helper()
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func benchIndex(b *testing.B) *Index {
	b.Helper()
	bench.once.Do(func() {
		c := newSynthCorpus(1)
		bench.docs = c.docs(benchDocs, 1)
		bench.ix = New()
		for i, d := range bench.docs {
			if err := bench.ix.Add(fmt.Sprintf("doc%06d", i), d); err != nil {
				panic(err)
			}
		}
		bench.titles = synthTitles(bench.docs, 1000, 1)
	})
	return bench.ix
}

// BenchmarkBuild100k builds the whole index per iteration and reports the
// build rate and the heap it holds (live heap after GC, before and after).
func BenchmarkBuild100k(b *testing.B) { benchBuild(b) }

// BenchmarkBuild100kNoBigrams is the same without bigrams.
func BenchmarkBuild100kNoBigrams(b *testing.B) { benchBuild(b, WithBigramWeight(0)) }

func benchBuildWith(b *testing.B, batch bool, opts ...Option) {
	docs := newSynthCorpus(1).docs(benchDocs, 1)
	ids := make([]string, len(docs))
	for i := range ids {
		ids[i] = fmt.Sprintf("doc%06d", i)
	}
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		cpu0 := cpuTime()
		ix := New(opts...)
		if batch {
			if err := ix.AddBatch(ids, docs); err != nil {
				b.Fatal(err)
			}
		} else {
			for i, d := range docs {
				if err := ix.Add(ids[i], d); err != nil {
					b.Fatal(err)
				}
			}
		}
		cpu += cpuTime() - cpu0
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := ix.Stats()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heapMB")
		b.ReportMetric(float64(st.Bytes)/(1<<20), "estMB")
		b.ReportMetric(float64(st.Unigrams), "unigrams")
		b.ReportMetric(float64(st.Bigrams), "bigrams")
		b.ReportMetric(float64(st.Postings), "postings")
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*benchDocs)/b.Elapsed().Seconds(), "docs/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N*benchDocs)/cpu.Seconds(), "docs/cpu-s")
	}
}

// BenchmarkAdd100k replaces documents in a full 100k index: the cost of
// one update (delete + add).
func BenchmarkAdd100k(b *testing.B) {
	ix := benchIndex(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		j := i % benchDocs
		if err := ix.Add(fmt.Sprintf("doc%06d", j), bench.docs[(j+1)%benchDocs]); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.StopTimer()
	// Put the documents back for the other benchmarks.
	for i := range min(b.N, benchDocs) {
		_ = ix.Add(fmt.Sprintf("doc%06d", i), bench.docs[i])
	}
}

func BenchmarkSearch100k(b *testing.B) {
	ix := benchIndex(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		if hits := ix.Search(bench.titles[i%len(bench.titles)], 10, nil); len(hits) == 0 {
			b.Fatal("no hits")
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkSearchCommon100k is a worst case: a query of the most frequent
// words, whose postings cover most documents.
func BenchmarkSearchCommon100k(b *testing.B) {
	ix := benchIndex(b)
	c := newSynthCorpus(1)
	q := fmt.Sprint(c.vocab[0], " ", c.vocab[1], " ", c.vocab[2], " ", c.vocab[3], " ", c.vocab[4], " ", c.vocab[5], " ", c.vocab[6], " ", c.vocab[7])
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if hits := ix.Search(q, 10, nil); len(hits) == 0 {
			b.Fatal("no hits")
		}
	}
	reportCPU(b, cpu0)
}

func BenchmarkSimilar100k(b *testing.B) {
	ix := benchIndex(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		if _, ok := ix.Similar(fmt.Sprintf("doc%06d", (i*7919)%benchDocs), 10, nil); !ok {
			b.Fatal("not found")
		}
	}
	reportCPU(b, cpu0)
}

func BenchmarkRecommend100k(b *testing.B) {
	ix := benchIndex(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		pos := []string{fmt.Sprintf("doc%06d", (i*7919)%benchDocs), fmt.Sprintf("doc%06d", (i*104729)%benchDocs), fmt.Sprintf("doc%06d", (i*1299709)%benchDocs)}
		neg := []string{fmt.Sprintf("doc%06d", (i*15485863)%benchDocs)}
		ix.Recommend(pos, neg, 10, nil)
	}
	reportCPU(b, cpu0)
}

// BenchmarkScoreQuery100k scores 100 candidates (what fusion needs for the
// semantic side's hits).
func BenchmarkScoreQuery100k(b *testing.B) {
	ix := benchIndex(b)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc%06d", i*997)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		ix.ScoreQuery(bench.titles[i%len(bench.titles)], ids)
	}
	reportCPU(b, cpu0)
}

// BenchmarkBuild100kBatch is BenchmarkBuild100k through AddBatch (all the
// documents in one call).
func BenchmarkBuild100kBatch(b *testing.B) { benchBuildWith(b, true) }

func benchBuild(b *testing.B, opts ...Option) { benchBuildWith(b, false, opts...) }
