package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// soakDuration is how long TestSoak loads the server: 10 s by default (a
// short run for every `go test`), RECOMMEND_SOAK=60s (or any duration) for
// the full run:
//
//	RECOMMEND_SOAK=60s go test -run Soak -v ./cmd/recommend
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("RECOMMEND_SOAK")
	if v == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("RECOMMEND_SOAK=%q: want a duration such as 60s", v)
	}
	return d
}

// procStatus reads fields of /proc/PID/status in bytes (VmRSS, RssAnon,
// VmHWM, ...).
func procStatus(t *testing.T, pid int) map[string]float64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] = n * 1024
		}
	}
	return out
}

// memory is a snapshot of the server's memory.
type memory struct {
	rss, rssAnon, heapInuse, heapLive, goroutines float64
}

func (m memory) String() string {
	return fmt.Sprintf("RSS %.1f MiB (anonymous %.1f MiB), heap in use %.1f MiB, live heap %.1f MiB, %v goroutines",
		m.rss/(1<<20), m.rssAnon/(1<<20), m.heapInuse/(1<<20), m.heapLive/(1<<20), m.goroutines)
}

// settle lets the server collect the garbage of what came before: light
// reads (which allocate) until two garbage collections have completed,
// then a pause; it returns the memory then.
func settle(t *testing.T, s *service) memory {
	t.Helper()
	start := scrape(t, s.URL, nil)["go_gc_cycles_total_gc_cycles_total"]
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		m := scrape(t, s.URL, nil)
		if m["go_gc_cycles_total_gc_cycles_total"] >= start+2 {
			break
		}
		for j := range 20 {
			request(t, "GET", s.URL+fmt.Sprintf("/v1/papers?limit=100&offset=%d", (i*20+j)%200), nil, nil)
		}
	}
	time.Sleep(500 * time.Millisecond)
	m := scrape(t, s.URL, nil)
	ps := procStatus(t, s.cmd.Process.Pid)
	return memory{rss: ps["VmRSS"], rssAnon: ps["RssAnon"], heapInuse: m["go_memstats_heap_inuse_bytes"], heapLive: m["go_gc_heap_live_bytes"], goroutines: m["go_goroutines"]}
}

// TestSoak runs concurrent readers and writers against the real binary for
// soakDuration (loopback only) while the fake upstream injects faults:
// slow answers past the time limit, 500s, 429s, dropped connections and
// truncated bodies. The retries are set to absorb them. Afterwards every
// acknowledged paper is there as last written, the server answered no
// 5xx, and its memory is back near where it started.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	dur := soakDuration(t)
	up := newUpstream(t, 64)
	up.slow = 1500 * time.Millisecond // past the 1 s attempt limit
	s := startService(t, t.TempDir(), up.openaiFlags(
		"--bundled=false", "--batch-size", "16",
		"--openai-max-retries", "8", "--openai-backoff", "2ms", "--openai-max-backoff", "50ms", "--openai-timeout", "1s",
		"--max-embed-concurrency", "8", "--embed-queue", "512", "--embed-queue-timeout", "2m",
	)...)

	// A corpus to read, then a warm-up so that the baseline includes the
	// server's steady working set.
	seed := testPapersN("seed", 200)
	if a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": seed}); a.status != 200 {
		t.Fatalf("seed: %d %s", a.status, a.body)
	}
	// Each writer's own papers, stored before the baseline.
	const writers, perWriter = 4, 250
	owned := make([][]string, writers)
	acked := map[string]string{} // id -> title last acknowledged
	for w := range writers {
		for i := 0; i < perWriter; i += 50 {
			batch := testPapersN(fmt.Sprintf("own%d-%d", w, i), 50)
			if a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": batch}); a.status != 200 {
				t.Fatalf("writer %d's papers: %d %s", w, a.status, a.body)
			}
			for _, p := range batch {
				owned[w] = append(owned[w], p["id"])
				acked[p["id"]] = p["title"]
			}
		}
	}
	for i := range 50 {
		request(t, "GET", s.URL+"/v1/search?q="+url.QueryEscape(fmt.Sprintf("warm up %d", i)), nil, nil)
		request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(seed[i]["id"])+"/related", nil, nil)
	}
	base := settle(t, s)

	// Faults: 4% each of 500, 429, a dropped connection, a truncated body
	// and an answer slower than the time limit: a fifth of all requests.
	var rmu sync.Mutex
	rnd := rand.New(rand.NewPCG(1, 2))
	up.setPolicy(func(int64) fault {
		rmu.Lock()
		x := rnd.Float64()
		rmu.Unlock()
		switch {
		case x < 0.04:
			return fault500
		case x < 0.08:
			return fault429
		case x < 0.12:
			return faultClose
		case x < 0.16:
			return faultTruncated
		case x < 0.20:
			return faultSlow
		}
		return faultNone
	})
	upReq0 := up.requests.Load()
	var faults0 [faultWrongDims + 1]int64
	for i := range faults0 {
		faults0[i] = up.faults[i].Load()
	}

	var (
		stop      atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		deleted   = map[string]bool{}
		statuses  = map[int]int{}
		transport atomic.Int64
		peak      memory
	)
	count := func(status int) {
		mu.Lock()
		statuses[status]++
		mu.Unlock()
	}
	words := strings.Fields("neural networks protein folding galaxy spectra sea ice quantum dots language models graph learning spiking neurons climate turbulence genome")
	phrase := func(r *rand.Rand) string {
		n := 2 + r.IntN(4)
		w := make([]string, n)
		for i := range w {
			w[i] = words[r.IntN(len(words))]
		}
		return strings.Join(w, " ") + " " + strconv.Itoa(r.IntN(1000))
	}
	// Writers: each keeps about perWriter papers of its own, adding
	// batches of new ones, updating and deleting them, so that the corpus
	// has the same size before and after the load and memory can be
	// compared.
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			mine := append([]string(nil), owned[w]...)
			for n := 0; !stop.Load(); n++ {
				switch x := r.IntN(2); {
				case len(mine) < perWriter: // add 1-8 papers
					k := 1 + r.IntN(8)
					batch := make([]map[string]string, k)
					for i := range batch {
						id := fmt.Sprintf("soak-%d-%05d-%d", w, n, i)
						batch[i] = map[string]string{"id": id, "title": "Soak " + phrase(r), "abstract": "We study " + phrase(r) + " and " + phrase(r) + "."}
					}
					a, err := tryRequest("POST", s.URL+"/v1/papers", nil, map[string]any{"papers": batch})
					if err != nil {
						transport.Add(1)
						continue
					}
					count(a.status)
					if a.status == 200 {
						mu.Lock()
						for _, p := range batch {
							acked[p["id"]] = p["title"]
							mine = append(mine, p["id"])
						}
						mu.Unlock()
					}
				case x == 0: // update one
					id := mine[r.IntN(len(mine))]
					p := map[string]string{"id": id, "title": "Soak updated " + phrase(r), "abstract": "Revised: " + phrase(r) + "."}
					a, err := tryRequest("POST", s.URL+"/v1/papers", nil, p)
					if err != nil {
						transport.Add(1)
						continue
					}
					count(a.status)
					if a.status == 200 {
						mu.Lock()
						acked[id] = p["title"]
						mu.Unlock()
					}
				default: // delete one
					i := r.IntN(len(mine))
					id := mine[i]
					mine = append(mine[:i], mine[i+1:]...)
					a, err := tryRequest("DELETE", s.URL+"/v1/papers/"+url.PathEscape(id), nil, nil)
					if err != nil {
						transport.Add(1)
						continue
					}
					count(a.status)
					if a.status == 200 {
						mu.Lock()
						delete(acked, id)
						deleted[id] = true
						mu.Unlock()
					}
				}
			}
		})
	}
	// Readers: every read endpoint, searches with new text (cache misses).
	for rd := range 6 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(rd), 11))
			for !stop.Load() {
				id := url.PathEscape(seed[r.IntN(len(seed))]["id"])
				var a answer
				var err error
				switch r.IntN(6) {
				case 0:
					a, err = tryRequest("GET", s.URL+"/v1/papers/"+id, nil, nil)
				case 1:
					a, err = tryRequest("GET", s.URL+"/v1/papers/"+id+"/related?limit=10", nil, nil)
				case 2, 3:
					a, err = tryRequest("GET", s.URL+"/v1/search?q="+url.QueryEscape(phrase(r)), nil, nil)
				case 4:
					a, err = tryRequest("POST", s.URL+"/v1/recommend", nil, map[string]any{"positive": []string{seed[r.IntN(200)]["id"], seed[r.IntN(200)]["id"]}, "limit": 10})
				case 5:
					a, err = tryRequest("POST", s.URL+"/v1/embeddings", nil, map[string]any{"model": "fake-embed", "input": []string{phrase(r), phrase(r)}})
				}
				if err != nil {
					transport.Add(1)
					continue
				}
				count(a.status)
			}
		})
	}
	// Watch memory under load.
	wg.Go(func() {
		for !stop.Load() {
			time.Sleep(time.Second)
			ps := procStatus(t, s.cmd.Process.Pid)
			mu.Lock()
			peak.rss = max(peak.rss, ps["VmRSS"])
			peak.rssAnon = max(peak.rssAnon, ps["RssAnon"])
			mu.Unlock()
		}
	})
	start := time.Now()
	time.Sleep(dur)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	up.setPolicy(nil)

	after := settle(t, s)
	m := scrape(t, s.URL, nil)

	// Every acknowledged paper is there, as last acknowledged; deleted
	// ones are gone.
	missing := 0
	for id, title := range acked {
		a := request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(id), nil, nil)
		if a.status != 200 || !strings.Contains(string(a.body), strconvQuote(title)) {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged paper %s: status %d, body %.200s; want title %q", id, a.status, a.body, title)
			}
		}
	}
	for id := range deleted {
		if a := request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(id), nil, nil); a.status != 404 {
			t.Errorf("deleted paper %s: status %d, want 404", id, a.status)
		}
	}

	total := 0
	var codes []string
	for code, n := range statuses {
		total += n
		codes = append(codes, fmt.Sprintf("%d: %d", code, n))
	}
	injected := map[string]int64{}
	for f := fault500; f <= faultWrongDims; f++ {
		if n := up.faults[f].Load() - faults0[f]; n > 0 {
			injected[f.String()] = n
		}
	}
	retries := sumSeries(m, "recommend_upstream_retries_total")
	upErrors := sumSeries(m, "recommend_upstream_errors_total")
	t.Logf("soak %v: %d requests (%.0f/s), statuses {%s}, %d transport errors", elapsed.Round(time.Second), total, float64(total)/elapsed.Seconds(), strings.Join(codes, ", "), transport.Load())
	t.Logf("papers: %d acknowledged and present (%d missing), %d deleted; index holds %v", len(acked), missing, len(deleted), m[`recommend_index_papers{model="fake-embed"}`])
	t.Logf("upstream: %d requests, faults injected %v, %v retries, %v batches failed for good", up.requests.Load()-upReq0, injected, retries, upErrors)
	t.Logf("memory before: %v", base)
	t.Logf("memory peak:   RSS %.1f MiB (anonymous %.1f MiB)", peak.rss/(1<<20), peak.rssAnon/(1<<20))
	t.Logf("memory after:  %v", after)
	t.Logf("server-side 5xx: %v", count5xx(m))

	if transport.Load() > 0 {
		t.Errorf("%d requests failed without an answer", transport.Load())
	}
	if n := count5xx(m); n != 0 {
		t.Errorf("the server's metrics count %v 5xx answers, want 0", n)
	}
	for code, n := range statuses {
		if code >= 500 {
			t.Errorf("clients saw %d answers with status %d", n, code)
		}
	}
	if retries == 0 {
		t.Error("no retries: the faults did not reach the server")
	}
	// Memory: the corpus is about as large as before the load, so the
	// live heap, the heap in use and the anonymous RSS come back near
	// their start; goroutines come back.
	for _, c := range []struct {
		name          string
		before, after float64
	}{
		{"live heap", base.heapLive, after.heapLive},
		{"heap in use", base.heapInuse, after.heapInuse},
		{"anonymous RSS", base.rssAnon, after.rssAnon},
	} {
		if limit := 1.5*c.before + 8<<20; c.after > limit {
			t.Errorf("%s %.1f MiB after the load, %.1f MiB before: want at most %.1f MiB", c.name, c.after/(1<<20), c.before/(1<<20), limit/(1<<20))
		}
	}
	if after.goroutines > base.goroutines+10 {
		t.Errorf("%v goroutines after the load, %v before: a leak", after.goroutines, base.goroutines)
	}
}

// strconvQuote is s as it appears in JSON (the titles here need no
// escaping beyond quotes).
func strconvQuote(s string) string { return strconv.Quote(s) }
