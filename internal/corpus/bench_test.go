package corpus

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var benchWords = strings.Fields(`neural network spiking plasticity learning representation
	gradient descent transformer attention memory cortex dynamics operator diffusion
	graph molecular benchmark dataset inference sparse recurrent Hebbian synaptic model`)

// writeArxivFile writes n synthetic records shaped like the arXiv metadata
// snapshot's (abstracts of about 1,200 characters with hard line breaks,
// four authors, two versions) to path and returns its size in bytes.
func writeArxivFile(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var abs strings.Builder
	for i := range n {
		abs.Reset()
		abs.WriteString("  ")
		for j := range 170 {
			abs.WriteString(benchWords[(i*7+j*13)%len(benchWords)])
			if j%11 == 10 {
				abs.WriteString(`\n`) // a hard line break, JSON-escaped
			} else {
				abs.WriteByte(' ')
			}
		}
		fmt.Fprintf(w, `{"id":"%04d.%05d","submitter":"Ada Lovelace","authors":"A. Lovelace, C. Babbage, A. Turing and G. Hopper","title":"On %s %s\n  and %s number %d","comments":"12 pages","journal-ref":null,"doi":"10.1000/%d","report-no":null,"categories":"cs.LG cs.NE","license":null,"abstract":"%s","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-13","authors_parsed":[["Lovelace","A.",""],["Babbage","C.",""],["Turing","A.",""],["Hopper","G.",""]]}`+"\n",
			2000+i/100000%100, i%100000, benchWords[i%len(benchWords)], benchWords[(i/3)%len(benchWords)], benchWords[(i/7)%len(benchWords)], i, i, abs.String())
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// readCounting reads every paper of the file at path, calling sample
// every 4,096 papers, and returns the number of papers.
func readCounting(tb testing.TB, path string, sample func(n int)) int {
	tb.Helper()
	r, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	if r.Format() != FormatArxiv {
		tb.Fatalf("detected %v, want arxiv", r.Format())
	}
	n := 0
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if p.Title == "" {
			tb.Fatal("empty title")
		}
		n++
		if n%4096 == 0 && sample != nil {
			sample(n)
		}
	}
	return n
}

// BenchmarkArxivReader parses generated arXiv metadata files of 10,000 and
// 100,000 records and reports papers per second of wall time and of CPU
// time, and the peak heap in use while reading (sampled every 4,096
// papers). A streaming reader's peak
// heap is the same for both sizes. The baseline, measured in the same run,
// only splits the file into lines and json.Unmarshals each into the arXiv
// record struct: the floor that encoding/json sets.
//
//	go test ./internal/corpus -run '^$' -bench ArxivReader -benchtime 3x
func BenchmarkArxivReader(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "arxiv.jsonl")
			size := writeArxivFile(b, path, n)
			b.Run("reader=corpus", func(b *testing.B) {
				benchRead(b, n, size, func(sample func(int)) int { return readCounting(b, path, sample) })
			})
			b.Run("reader=baseline-json", func(b *testing.B) {
				benchRead(b, n, size, func(sample func(int)) int { return unmarshalCounting(b, path, sample) })
			})
		})
	}
}

func benchRead(b *testing.B, n int, size int64, read func(sample func(int)) int) {
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	sample := func(int) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	runtime.GC()
	start, startCPU := time.Now(), cpuTime()
	for b.Loop() {
		if got := read(sample); got != n {
			b.Fatalf("read %d papers, want %d", got, n)
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-startCPU
	papers := float64(n) * float64(b.N)
	b.ReportMetric(papers/elapsed.Seconds(), "papers/s")
	if cpu > 0 {
		// CPU time counts the work of every thread (GC included) and not
		// the time spent waiting for a core on a busy machine.
		b.ReportMetric(papers/cpu.Seconds(), "papers/cpu-s")
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}

// unmarshalCounting is the baseline: lines and json.Unmarshal, nothing else.
func unmarshalCounting(tb testing.TB, path string, sample func(n int)) int {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), DefaultMaxLineBytes)
	n := 0
	for sc.Scan() {
		var rec arxivRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			tb.Fatal(err)
		}
		n++
		if n%4096 == 0 {
			sample(n)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestArxivReaderMemoryIsConstant reads a 16,384-record file (about 32 MB)
// and checks that the live heap after the last paper is no larger than
// after the first 4,096: nothing read is kept. Were the reader to keep the
// papers, the heap would grow by more than 1 KB a paper.
func TestArxivReaderMemoryIsConstant(t *testing.T) {
	n := 16_384
	if testing.Short() || raceEnabled {
		n = 8_192
	}
	path := filepath.Join(t.TempDir(), "arxiv.jsonl")
	size := writeArxivFile(t, path, n)
	live := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var first, last uint64
	got := readCounting(t, path, func(read int) {
		if read == 4096 {
			first = live()
		}
		last = live()
	})
	if got != n {
		t.Fatalf("read %d papers, want %d", got, n)
	}
	const slack = 2 << 20
	if last > first+slack {
		t.Errorf("live heap grew from %d to %d bytes while reading a %d-byte file", first, last, size)
	}
	t.Logf("file %d MB, live heap %d KB after 4096 papers, %d KB after %d", size>>20, first>>10, last>>10, got/4096*4096)
}
