package main

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

// testBackend is a store the end-to-end tests run the service on.
type testBackend struct {
	name  string
	flags []string // extra flags of serve
}

// start starts the service on the backend.
func (b testBackend) start(t testing.TB, dataDir string, args ...string) *service {
	t.Helper()
	return startService(t, dataDir, append(append([]string{}, b.flags...), args...)...)
}

var collectionSeq atomic.Int64

// forEachBackend runs test once per store: the embedded one, and Weaviate
// on a real node started for the test (weaviatetest skips it when the
// weaviate-server binary is missing, unless RECOMMEND_REQUIRE_WEAVIATE=1,
// as in CI). Both must give the same answers.
func forEachBackend(t *testing.T, test func(t *testing.T, b testBackend)) {
	t.Run("embedded", func(t *testing.T) { test(t, testBackend{name: "embedded"}) })
	t.Run("weaviate", func(t *testing.T) {
		node := weaviatetest.Start(t)
		// A collection of its own, so that a test starts from an empty one.
		collection := fmt.Sprintf("E2E%d_%d", time.Now().UnixNano()%1e9, collectionSeq.Add(1))
		test(t, testBackend{name: "weaviate", flags: []string{
			"--store", "weaviate", "--weaviate-url", node.URL(), "--weaviate-grpc", node.GRPCAddr(), "--weaviate-collection", collection,
		}})
	})
}
