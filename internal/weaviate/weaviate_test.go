package weaviate_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/weaviate"
	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// TestBackends runs every contract case on both backends side by side
// (TestBackends/<case>/embedded and .../weaviate), then the Weaviate-only
// cases, all on one Weaviate node. Without the weaviate-server binary the
// Weaviate subtests are skipped (failed under RECOMMEND_REQUIRE_WEAVIATE=1).
func TestBackends(t *testing.T) {
	var node *weaviatetest.Node
	if _, err := weaviatetest.Binary(); err == nil || os.Getenv(weaviatetest.EnvRequire) == "1" {
		node = weaviatetest.Start(t)
	} else {
		t.Logf("the weaviate backend is skipped: %v", err)
	}
	runContract(t, embedded(), weaviateBackend(node))
	for _, c := range []struct {
		name string
		run  func(*testing.T, *weaviatetest.Node)
	}{
		{"OpenIsIdempotent", testOpenIdempotent},
		{"ForeignCollection", testForeignCollection},
		{"ListPastMaxResults", testListPastMaxResults},
		{"Unreachable", testUnreachable},
	} {
		t.Run(c.name, func(t *testing.T) {
			if node == nil {
				t.Skip("no weaviate-server")
			}
			c.run(t, node)
		})
	}
}

func testOpenIdempotent(t *testing.T, node *weaviatetest.Node) {
	st := openWeaviate(t, node, "Idem")
	ps, vs := batch(20, "idem:", 5)
	if err := st.PutPapers(ps, model, vs); err != nil {
		t.Fatal(err)
	}
	again := openWeaviate(t, node, "Idem")
	if n, err := again.Count(); err != nil || n != len(ps) {
		t.Errorf("Count() after opening an existing collection again = %d, %v; want %d", n, err, len(ps))
	}
}

func testForeignCollection(t *testing.T, node *weaviatetest.Node) {
	// A collection of another shape: the same name with other properties.
	body := `{"class":"Foreign","vectorizer":"none","properties":[{"name":"paperId","dataType":["int"]}]}`
	resp, err := httpPost(node.URL()+"/v1/schema", body)
	if err != nil {
		t.Fatal(err)
	}
	if resp != 200 {
		t.Fatalf("create foreign collection: status %d", resp)
	}
	_, err = weaviate.Open(context.Background(), weaviate.Config{
		URLs: []string{node.URL()}, GRPCAddrs: []string{node.GRPCAddr()}, Collection: "Foreign", Logger: quietLogger(),
	})
	if errs.Code(err) != errs.Invalid || !strings.Contains(err.Error(), "paperId") {
		t.Errorf("Open(foreign collection): got %v, want an invalid error naming paperId", err)
	}
	for _, name := range []string{"", "lower", "Has-Dash"} {
		if name == "" {
			continue // the default name is valid
		}
		_, err := weaviate.Open(context.Background(), weaviate.Config{URLs: []string{node.URL()}, Collection: name})
		if errs.Code(err) != errs.Invalid {
			t.Errorf("Open(collection %q): got %v, want an invalid error", name, err)
		}
	}
}

func testListPastMaxResults(t *testing.T, node *weaviatetest.Node) {
	// With a result window of 7, List must page past it with the range
	// filter and give the same pages as with the default window.
	small := openWeaviate(t, node, "Window", func(c *weaviate.Config) { c.MaxResults = 7 })
	ps, _ := batch(21, "w:", 40)
	if err := small.PutPapers(ps, "", nil); err != nil {
		t.Fatal(err)
	}
	want := ids(ps) // already in ID order
	for _, tc := range []struct{ offset, limit int }{{0, 40}, {0, 7}, {5, 3}, {6, 2}, {7, 7}, {8, 20}, {20, 6}, {33, 100}, {39, 1}} {
		got, total, err := small.List(tc.offset, tc.limit)
		if err != nil {
			t.Fatalf("List(%d, %d): %v", tc.offset, tc.limit, err)
		}
		hi := min(tc.offset+tc.limit, len(want))
		if total != len(ps) || !slices.Equal(ids(got), want[tc.offset:hi]) {
			t.Errorf("List(%d, %d) = %v (total %d), want %v (total %d)", tc.offset, tc.limit, ids(got), total, want[tc.offset:hi], len(ps))
		}
	}
}

func testUnreachable(t *testing.T, node *weaviatetest.Node) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("http://%s", l.Addr())
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = weaviate.Open(ctx, weaviate.Config{URLs: []string{dead}, Logger: quietLogger()})
	if errs.Code(err) != errs.Unavailable {
		t.Errorf("Open(%s): got %v (code %q), want code %q", dead, err, errs.Code(err), errs.Unavailable)
	}
	// A dead node first in the list: the live one answers.
	st, err := weaviate.Open(ctx, weaviate.Config{
		URLs:       []string{dead, node.URL()},
		GRPCAddrs:  []string{strings.TrimPrefix(dead, "http://"), node.GRPCAddr()},
		Collection: "Failover1",
		Logger:     quietLogger(),
	})
	if err != nil {
		t.Fatalf("Open with a dead node first: %v", err)
	}
	if err := st.PutPapers([]paper.Paper{{ID: "x", Title: "t", Abstract: "a"}}, "", nil); err != nil {
		t.Errorf("PutPapers with a dead node first: %v", err)
	}
	if _, err := st.Get("x"); err != nil {
		t.Errorf("Get with a dead node first: %v", err)
	}
	if _, err := st.Get("y"); !errors.Is(err, weaviate.ErrNotFound) {
		t.Errorf("Get(unknown) with a dead node first: got %v, want not found", err)
	}
}

// httpPost posts a JSON body and returns the status code.
func httpPost(url, body string) (int, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestAPIKey runs against a node that requires an API key: the right key
// works for REST and gRPC calls alike, a wrong one is refused with an
// error saying so.
func TestAPIKey(t *testing.T) {
	node := weaviatetest.Start(t,
		weaviatetest.Env("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
		weaviatetest.Env("AUTHENTICATION_APIKEY_ENABLED", "true"),
		weaviatetest.Env("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "right-key"),
		weaviatetest.Env("AUTHENTICATION_APIKEY_USERS", "recommend"),
	)
	open := func(key string) (*weaviate.Store, error) {
		return weaviate.Open(context.Background(), weaviate.Config{
			URLs: []string{node.URL()}, GRPCAddrs: []string{node.GRPCAddr()}, APIKey: key, Collection: "Keyed", Logger: quietLogger(),
		})
	}
	for _, key := range []string{"", "wrong-key"} {
		_, err := open(key)
		if errs.Code(err) != errs.Unavailable || !strings.Contains(err.Error(), "credentials") {
			t.Errorf("Open with API key %q: got %v, want an %s error about the credentials", key, err, errs.Unavailable)
		}
	}
	st, err := open("right-key")
	if err != nil {
		t.Fatalf("Open with the right API key: %v", err)
	}
	ps, vs := batch(40, "key:", 3)
	if err := st.PutPapers(ps, model, vs); err != nil { // gRPC
		t.Fatal(err)
	}
	if n, err := st.Count(); err != nil || n != 3 { // REST
		t.Errorf("Count() = %d, %v; want 3", n, err)
	}
	if err := st.Delete(ps[0].ID); err != nil { // gRPC, then REST
		t.Error(err)
	}
}
