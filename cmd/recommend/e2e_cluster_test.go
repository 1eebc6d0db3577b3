package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

// A 3-node Weaviate cluster with replication factor 3 behind the service:
// one node is killed in the middle of a read-and-write load. Reads keep
// being answered, and once the node is back every paper whose write was
// acknowledged is there.
func TestE2EWeaviateClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node Weaviate cluster")
	}
	nodes := weaviatetest.StartCluster(t, 3)
	urls, grpc := make([]string, len(nodes)), make([]string, len(nodes))
	for i, n := range nodes {
		urls[i], grpc[i] = n.URL(), n.GRPCAddr()
	}
	s := startService(t, t.TempDir(), "--store", "weaviate", "--weaviate-url", strings.Join(urls, ","), "--weaviate-grpc", strings.Join(grpc, ","),
		"--weaviate-collection", "Failover", "--weaviate-replicas", "3", "--weaviate-timeout", "5s",
		// Reads at QUORUM too, so that the check at the end cannot read a
		// replica that missed writes while it was down.
		"--weaviate-read-consistency", "QUORUM")
	all := allPapers(t, s)
	if len(all) < 250 {
		t.Fatalf("%d papers before the load, want the bundled corpus", len(all))
	}

	var (
		stop              atomic.Bool
		wg                sync.WaitGroup
		mu                sync.Mutex
		acked             []paper.Paper
		phase             atomic.Int32 // 0 before the kill, 1 while the node is down, 2 after it is back
		reads, readErrors [3]atomic.Int64
		writes, writeErrs [3]atomic.Int64
		firstReadErr      atomic.Value
		firstWriteErr     atomic.Value
	)
	client := &http.Client{Timeout: 20 * time.Second}
	reader := func(w int) {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			p := all[(w*97+i*31)%len(all)]
			var path string
			switch i % 3 {
			case 0:
				path = "/v1/papers/" + url.PathEscape(p.ID)
			case 1:
				path = "/v1/papers/" + url.PathEscape(p.ID) + "/related?limit=5"
			default:
				path = "/v1/search?limit=5&q=" + url.QueryEscape(p.Title)
			}
			ph := phase.Load()
			status, body, err := call(client, "GET", s.URL+path, nil)
			reads[ph].Add(1)
			if err != nil || status != http.StatusOK {
				readErrors[ph].Add(1)
				firstReadErr.CompareAndSwap(nil, fmt.Sprintf("GET %s: status %d, %v: %s", path, status, err, body))
			}
		}
	}
	writer := func(w int) {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			p := paper.Paper{
				ID:       fmt.Sprintf("failover:%d-%d", w, i),
				Title:    fmt.Sprintf("Replicated write %d of writer %d", i, w),
				Abstract: "A paper written while a node of the Weaviate cluster may be down. " + all[(w*13+i)%len(all)].Abstract,
			}
			ph := phase.Load()
			status, body, err := call(client, "POST", s.URL+"/v1/papers", p)
			writes[ph].Add(1)
			if err == nil && status == http.StatusOK {
				mu.Lock()
				acked = append(acked, p)
				mu.Unlock()
			} else {
				writeErrs[ph].Add(1)
				firstWriteErr.CompareAndSwap(nil, fmt.Sprintf("phase %d: POST %s: status %d, %v: %s", ph, p.ID, status, err, body))
			}
		}
	}
	for w := range 3 {
		wg.Add(2)
		go reader(w)
		go writer(w)
	}

	time.Sleep(3 * time.Second)
	nodes[0].Kill() // the node the service talks to first
	phase.Store(1)
	time.Sleep(8 * time.Second)
	nodes[0].Restart(t)
	phase.Store(2)
	time.Sleep(3 * time.Second)
	stop.Store(true)
	wg.Wait()

	for ph, name := range []string{"before the kill", "node down", "node back"} {
		t.Logf("%s: %d reads (%d failed), %d writes (%d failed)", name, reads[ph].Load(), readErrors[ph].Load(), writes[ph].Load(), writeErrs[ph].Load())
		if reads[ph].Load() == 0 {
			t.Errorf("%s: no reads were made", name)
		}
		if readErrors[ph].Load() > 0 {
			t.Errorf("%s: %d of %d reads failed; first: %v", name, readErrors[ph].Load(), reads[ph].Load(), firstReadErr.Load())
		}
	}
	if e := firstWriteErr.Load(); e != nil {
		t.Logf("first failed write (not acknowledged, so not checked): %v", e)
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}
	if writes[1].Load()-writeErrs[1].Load() == 0 {
		t.Errorf("no write was acknowledged while the node was down: a write needs only a quorum (2 of 3)")
	}

	// Every acknowledged paper is there after the restart.
	missing := 0
	for _, p := range acked {
		var got paper.Paper
		if code := s.do("GET", "/v1/papers/"+url.PathEscape(p.ID), nil, &got); code != http.StatusOK || got.Title != p.Title {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged paper %s: status %d, title %q", p.ID, code, got.Title)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged papers are missing", missing, len(acked))
	}
	var list httpapi.PaperList
	s.do("GET", "/v1/papers?limit=1", nil, &list)
	if list.Total < len(all)+len(acked) {
		t.Errorf("the service lists %d papers, want at least %d (bundled) + %d (acknowledged)", list.Total, len(all), len(acked))
	}
	t.Logf("%d papers acknowledged, all present after the node came back", len(acked))
}

// call sends one request; unlike service.do it is safe to use from many
// goroutines and reports failures instead of stopping the test.
func call(c *http.Client, method, u string, body any) (int, string, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, "", err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, r)
	if err != nil {
		return 0, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), nil
}
