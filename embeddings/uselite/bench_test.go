package uselite

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/embeddings/internal/sgemm/sgemmtest"
)

// inputsOf128 returns n texts of exactly MaxPieces pieces each, cut from the
// reference's long abstracts.
func inputsOf128(tb testing.TB, e *Encoder, n int) []string {
	tb.Helper()
	var long []string
	for _, c := range loadReference(tb).Cases {
		if len(c.Tokens) > 2*MaxPieces {
			long = append(long, c.Text)
		}
	}
	var out []string
	for i := 0; len(out) < n && i < 100*n; i++ {
		text := long[i%len(long)]
		words := strings.Fields(text)
		// Start at a different word each time so inputs differ.
		words = words[(i/len(long))%16:]
		// Grow word by word to exactly MaxPieces pieces.
		var b strings.Builder
		for _, w := range words {
			cand := b.String()
			if cand != "" {
				cand += " "
			}
			cand += w
			c := e.CountTokens(cand)
			if c > MaxPieces {
				break
			}
			b.Reset()
			b.WriteString(cand)
			if c == MaxPieces {
				out = append(out, cand)
				break
			}
		}
	}
	if len(out) < n {
		tb.Fatalf("could build only %d texts of %d pieces", len(out), MaxPieces)
	}
	return out
}

// longAbstract returns the longest abstract of the reference (over 400
// pieces).
func longAbstracts(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, c := range loadReference(tb).Cases {
		if len(c.Tokens) >= 380 {
			out = append(out, c.Text)
		}
	}
	return out
}

// benchBatch is how many 128-piece inputs one Embed call gets in the
// throughput benchmarks.
const benchBatch = 16

// reportPerInput reports wall time and CPU time per input and pieces per
// second; cpu0 is processCPUTime() at the start of the timed loop.
func reportPerInput(b *testing.B, inputs, pieces int, cpu0 time.Duration) {
	b.Helper()
	cpu := processCPUTime() - cpu0
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(inputs)
	b.ReportMetric(per/1e6, "ms/input")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(inputs)/1e6, "cpu-ms/input")
	b.ReportMetric(float64(pieces)/(per*float64(inputs)/1e9), "pieces/s")
	b.ReportMetric(0, "ns/op")
}

// naiveBackend is the baseline for benchmarks: the same forward pass on one
// goroutine with plain triple-loop matrix products (what a straightforward
// port does). It needs a model loaded with plain weights kept.
var naiveBackend = backend{gemm: sgemmtest.Gemm, gemmBT: sgemmtest.GemmBT, naive: true}

var (
	naiveOnce sync.Once
	naiveEnc  *Encoder
	naiveErr  error
)

// naiveEncoder returns an Encoder on the naive backend (plain weights,
// triple-loop products, one goroutine).
func naiveEncoder(tb testing.TB) *Encoder {
	tb.Helper()
	naiveOnce.Do(func() {
		naiveEnc, naiveErr = load(modelFS, "model", true)
		if naiveErr == nil {
			naiveEnc.be = naiveBackend
		}
	})
	if naiveErr != nil {
		tb.Fatal(naiveErr)
	}
	return naiveEnc
}

// BenchmarkEmbed128 embeds batches of 128-piece inputs with the real
// backend (sgemm, one forward pass per core), the real backend with a single
// forward pass at a time (every pass split over the cores), and the naive
// one (plain loops, one goroutine). Run with -cpu 1,2.
func BenchmarkEmbed128(b *testing.B) {
	e := encoder(b)
	texts := inputsOf128(b, e, benchBatch)
	ctx := context.Background()
	oneStream := *e
	oneStream.streams = 1
	for _, impl := range []struct {
		name string
		enc  *Encoder
	}{{"sgemm", e}, {"sgemm-onestream", &oneStream}, {"naive", naiveEncoder(b)}} {
		b.Run(impl.name, func(b *testing.B) {
			cpu0 := processCPUTime()
			for b.Loop() {
				if _, err := impl.enc.Embed(ctx, texts); err != nil {
					b.Fatal(err)
				}
			}
			reportPerInput(b, len(texts), len(texts)*MaxPieces, cpu0)
		})
	}
}

// BenchmarkSpeedup times the naive and the real backend alternately on the
// same batch, so that both see the same machine load, and reports both (wall
// and process CPU time per input) and the ratio of wall times.
func BenchmarkSpeedup(b *testing.B) {
	e := encoder(b)
	texts := inputsOf128(b, e, benchBatch)
	ctx := context.Background()
	naive := naiveEncoder(b)
	var tFast, tNaive, cFast, cNaive time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), processCPUTime()
		if _, err := naive.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), processCPUTime()
		if _, err := e.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
		tNaive += t1.Sub(t0)
		cNaive += c1 - c0
		tFast += time.Since(t1)
		cFast += processCPUTime() - c1
	}
	n := float64(b.N * len(texts))
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / n / 1e6 }
	b.ReportMetric(ms(tNaive), "naive-ms/input")
	b.ReportMetric(ms(cNaive), "naive-cpu-ms/input")
	b.ReportMetric(ms(tFast), "ms/input")
	b.ReportMetric(ms(cFast), "cpu-ms/input")
	b.ReportMetric(float64(tNaive)/float64(tFast), "speedup")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEmbedConcurrent has GOMAXPROCS goroutines each embedding its own
// batch of 4 inputs, as a busy server would.
func BenchmarkEmbedConcurrent(b *testing.B) {
	e := encoder(b)
	texts := inputsOf128(b, e, 4)
	ctx := context.Background()
	b.SetParallelism(1)
	cpu0 := processCPUTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Embed(ctx, texts); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportPerInput(b, len(texts), len(texts)*MaxPieces, cpu0)
}

// BenchmarkEmbedAbstract embeds single long abstracts (380 to 531 pieces,
// 3 to 5 windows) one call at a time, as importing one paper does.
func BenchmarkEmbedAbstract(b *testing.B) {
	e := encoder(b)
	texts := longAbstracts(b)
	pieces := 0
	for _, t := range texts {
		pieces += e.CountTokens(t)
	}
	ctx := context.Background()
	cpu0 := processCPUTime()
	for b.Loop() {
		for _, t := range texts {
			if _, err := e.Embed(ctx, []string{t}); err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu := processCPUTime() - cpu0
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(len(texts))
	b.ReportMetric(per/1e6, "ms/abstract")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(len(texts))/1e6, "cpu-ms/abstract")
	b.ReportMetric(float64(pieces)/float64(len(texts)), "pieces/abstract")
	b.ReportMetric(float64(pieces)/(per*float64(len(texts))/1e9), "pieces/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTokenize measures the tokenizer alone on long abstracts.
func BenchmarkTokenize(b *testing.B) {
	e := encoder(b)
	texts := longAbstracts(b)
	pieces := 0
	for b.Loop() {
		for _, t := range texts {
			pieces += len(e.Tokenize(t))
		}
	}
	b.ReportMetric(float64(pieces)/b.Elapsed().Seconds(), "pieces/s")
}

// BenchmarkNew measures loading the model from the embedded files, and the
// heap it keeps (HeapInuse after a GC, minus before).
func BenchmarkNew(b *testing.B) {
	var keep *Encoder
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := processCPUTime()
	for b.Loop() {
		var err error
		keep, err = New()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := processCPUTime() - cpu0
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/load")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/load")
	b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "MB-heap")
	runtime.KeepAlive(keep)
}

// BenchmarkEmbedQuery embeds one short search query per call, as a search
// request does.
func BenchmarkEmbedQuery(b *testing.B) {
	e := encoder(b)
	ctx := context.Background()
	q := []string{"spiking neural networks for low-power event cameras"}
	pieces := e.CountTokens(q[0])
	for b.Loop() {
		if _, err := e.Embed(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/query")
	b.ReportMetric(float64(pieces), "pieces/query")
	b.ReportMetric(0, "ns/op")
}
