package store

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
)

// crashEnv makes the test binary act as the crash test's writer process: it
// holds the data file's path, crashEnv+"_START" the first batch number.
const crashEnv = "RECOMMEND_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		os.Exit(crashChild(path))
	}
	code := m.Run()
	if scanPath != "" { // built by the benchmarks
		_ = os.RemoveAll(filepath.Dir(scanPath))
	}
	os.Exit(code)
}

const (
	crashBatchSize = 40
	crashDims      = 16
)

// crashBatch returns batch b: crashBatchSize papers with IDs b%06d-%03d and
// their vectors, the same for every call with the same b.
func crashBatch(b int) ([]paper.Paper, [][]float32) {
	r := rand.New(rand.NewPCG(uint64(b), 42))
	ps := make([]paper.Paper, crashBatchSize)
	vs := make([][]float32, crashBatchSize)
	for i := range ps {
		ps[i] = makePaper(r, fmt.Sprintf("b%06d-%03d", b, i))
		vs[i] = makeVec(r, crashDims)
	}
	return ps, vs
}

// crashChild writes batches until it is killed, printing "ack <last ID>"
// after each PutPapers returns.
func crashChild(path string) int {
	start, err := strconv.Atoi(os.Getenv(crashEnv + "_START"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad start:", err)
		return 2
	}
	s, err := Open(path, &Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for b := start; ; b++ {
		ps, vs := crashBatch(b)
		if err := s.PutPapers(ps, "m", vs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		// os.Stdout is unbuffered: the line is in the pipe before the
		// next batch starts.
		fmt.Printf("ack %s\n", ps[len(ps)-1].ID)
	}
}

// TestKill9 kills a writer process with SIGKILL at random moments and checks
// that every acknowledged batch survived and no batch is partial.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	next := 0
	totalAcked := 0
	for round := range 4 {
		acked := runAndKill(t, path, next, 2+r.IntN(8), time.Duration(r.IntN(20000))*time.Microsecond)
		totalAcked += len(acked)

		s, err := Open(path, &Options{Logger: quiet, Verify: true})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		batches := map[int]int{} // batch -> papers present
		err = s.Scan("m", func(p paper.Paper, vec []float32) error {
			b, err := strconv.Atoi(strings.TrimPrefix(strings.Split(p.ID, "-")[0], "b"))
			if err != nil {
				return fmt.Errorf("unexpected ID %q", p.ID)
			}
			batches[b]++
			if vec == nil {
				t.Errorf("round %d: paper %s has no vector", round, p.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: Scan: %v", round, err)
		}
		maxBatch := -1
		for b, n := range batches {
			if n != crashBatchSize {
				t.Errorf("round %d: batch %d is partial: %d of %d papers", round, b, n, crashBatchSize)
			}
			maxBatch = max(maxBatch, b)
		}
		for _, id := range acked {
			b, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(id, "-")[0], "b"))
			if batches[b] != crashBatchSize {
				t.Errorf("round %d: acknowledged batch %d (last ID %s) has %d papers after restart", round, b, id, batches[b])
			}
		}
		// Spot-check contents of the last acknowledged batch.
		if len(acked) > 0 {
			id := acked[len(acked)-1]
			b, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(id, "-")[0], "b"))
			ps, vs := crashBatch(b)
			if got := mustGet(t, s, ps[7].ID); !reflect.DeepEqual(got, ps[7]) {
				t.Errorf("round %d: paper %s differs after restart", round, ps[7].ID)
			}
			wantVector(t, s, "m", ps[7].ID, vs[7])
		}
		n, _ := s.Count()
		if n != len(batches)*crashBatchSize {
			t.Errorf("round %d: Count() = %d, want %d", round, n, len(batches)*crashBatchSize)
		}
		t.Logf("round %d: %d batches acknowledged, %d present after kill -9 (a batch may commit before its ack is printed)", round, len(acked), len(batches)-next)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		next = maxBatch + 1
	}
	if totalAcked == 0 {
		t.Fatal("the child never acknowledged a batch")
	}
}

// runAndKill starts the writer at batch start, waits for minAcks
// acknowledgements plus delay, kills it with SIGKILL and returns every
// acknowledged ID it printed.
func runAndKill(t *testing.T, path string, start, minAcks int, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, crashEnv+"_START="+strconv.Itoa(start))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var acked []string
	add := func(line string) {
		id, ok := strings.CutPrefix(line, "ack ")
		if !ok {
			t.Errorf("child printed %q", line)
			return
		}
		acked = append(acked, id)
	}
	timeout := time.After(2 * time.Minute)
	for len(acked) < minAcks {
		select {
		case line, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("child exited early: %s", stderr.String())
			}
			add(line)
		case <-timeout:
			t.Fatalf("child acknowledged %d batches in 2 minutes: %s", len(acked), stderr.String())
		}
	}
	time.Sleep(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	for line := range lines { // what it printed before dying
		add(line)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v; stderr: %s", err, stderr.String())
	}
	return acked
}
