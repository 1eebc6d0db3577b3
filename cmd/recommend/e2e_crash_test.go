package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
)

// A 500-paper import over HTTP is cut short by kill -9; after a restart
// every paper whose batch was acknowledged is there, and no batch is there
// in part.
func TestE2EKill9DuringImport(t *testing.T) {
	dir := t.TempDir()
	s := startService(t, dir, "--bundled=false")
	const total, batch = 500, 10
	topics := []string{"spiking neurons", "graph networks", "protein folding", "galaxy spectra", "language models"}
	papers := make([]paper.Paper, total)
	for i := range papers {
		papers[i] = paper.Paper{
			ID:       fmt.Sprintf("crash:%03d", i),
			Title:    fmt.Sprintf("Study %d of %s", i, topics[i%len(topics)]),
			Abstract: fmt.Sprintf("We report experiment %d on %s and compare it with earlier work.", i, topics[i%len(topics)]),
		}
	}

	var (
		mu    sync.Mutex
		acked []int // batch numbers whose POST returned 200
	)
	killAfter := time.Duration(300+rand.IntN(1200)) * time.Millisecond
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := 0; b*batch < total; b++ {
			body := map[string]any{"papers": papers[b*batch : (b+1)*batch]}
			code, err := postJSON(s.URL+"/v1/papers", body)
			if err != nil {
				return // the service died under us
			}
			if code != http.StatusOK {
				t.Errorf("batch %d: status %d", b, code)
				return
			}
			mu.Lock()
			acked = append(acked, b)
			mu.Unlock()
		}
	}()
	time.Sleep(killAfter)
	s.kill()
	<-done
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	t.Logf("killed after %v with %d of %d batches acknowledged", killAfter, n, total/batch)

	s2 := startService(t, dir, "--bundled=false")
	present := 0
	for b := 0; b*batch < total; b++ {
		inBatch := 0
		for _, p := range papers[b*batch : (b+1)*batch] {
			if s2.do("GET", "/v1/papers/"+url.PathEscape(p.ID), nil, nil) == http.StatusOK {
				inBatch++
			}
		}
		if inBatch != 0 && inBatch != batch {
			t.Errorf("batch %d is there in part: %d of %d papers", b, inBatch, batch)
		}
		if b < n && inBatch != batch {
			t.Errorf("batch %d was acknowledged but %d of its %d papers are missing", b, batch-inBatch, batch)
		}
		present += inBatch
	}
	t.Logf("after restart: %d papers present, %d acknowledged", present, n*batch)
	// Related works on what survived.
	if present > 1 {
		if code := s2.do("GET", "/v1/papers/"+url.PathEscape(papers[0].ID)+"/related?limit=5", nil, nil); code != http.StatusOK {
			t.Errorf("related after restart: status %d", code)
		}
	}
}

func postJSON(u string, body any) (int, error) {
	buf, err := jsonMarshal(body)
	if err != nil {
		return 0, err
	}
	resp, err := http.Post(u, "application/json", buf)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
