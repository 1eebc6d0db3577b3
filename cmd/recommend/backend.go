package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/weaviate"
)

// backendFlags choose where papers and vectors live: the embedded store
// (bbolt in the data directory, vectors in memory) or a Weaviate cluster.
type backendFlags struct {
	kind       string
	urls       string
	grpc       string
	apiKey     string
	collection string
	replicas   int
	readCL     string
	writeCL    string
	timeout    time.Duration
}

func (b *backendFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.kind, "store", "embedded", "where papers and vectors live: embedded (a file in --data, vectors in memory) or weaviate (a Weaviate cluster, see --weaviate-url)")
	fs.StringVar(&b.urls, "weaviate-url", "", "Weaviate node URLs for --store weaviate, comma-separated (e.g. http://10.0.0.1:8080,http://10.0.0.2:8080); requests fail over between them")
	fs.StringVar(&b.grpc, "weaviate-grpc", "", "the nodes' gRPC addresses (host:port), comma-separated, in the order of --weaviate-url (default: each URL's host with port 50051)")
	fs.StringVar(&b.apiKey, "weaviate-api-key", "", "Weaviate API key (also WEAVIATE_API_KEY); empty for anonymous access")
	fs.StringVar(&b.collection, "weaviate-collection", "Paper", "Weaviate collection holding the papers (created if missing)")
	fs.IntVar(&b.replicas, "weaviate-replicas", 1, "replication factor of a collection recommend creates")
	fs.StringVar(&b.readCL, "weaviate-read-consistency", weaviate.DefaultReadConsistency, "consistency level of reads: ONE (fastest; goes on while any replica is up, may briefly read stale data from a node that just came back), QUORUM or ALL")
	fs.StringVar(&b.writeCL, "weaviate-write-consistency", weaviate.DefaultWriteConsistency, "consistency level of writes: QUORUM (an acknowledged write is on a majority of replicas), ONE or ALL")
	fs.DurationVar(&b.timeout, "weaviate-timeout", 30*time.Second, "time limit of each request to Weaviate")
}

// backendStore is the store of record a command works with.
type backendStore interface {
	engine.Store
	Close() error
}

// backend is an opened store with what the engine and the cache need of it.
type backend struct {
	store    backendStore
	bolt     *store.Store // the embedded store; nil for Weaviate
	index    engine.Index // nil: the engine's in-memory index
	notFound error
	cache    cache.Store
}

// cacheBucket is the bbolt bucket of the embeddings cache, kept in the
// embedded store's own file.
const cacheBucket = "embeddings-cache"

// memoryCacheEntries bounds the embeddings cache when there is no data file
// to keep it in: about 100 MB of 512-float vectors.
const memoryCacheEntries = 50_000

// openBackend opens the store the flags name.
func (f *appFlags) openBackend(ctx context.Context, log *slog.Logger) (*backend, error) {
	switch f.backend.kind {
	case "embedded":
		if f.backend.urls != "" {
			return nil, usageError{"--weaviate-url needs --store weaviate"}
		}
		st, err := store.Open(dataFile(f.data), &store.Options{Logger: log})
		if err != nil {
			return nil, err
		}
		c, err := cache.NewBolt(st.DB(), cacheBucket)
		if err != nil {
			st.Close()
			return nil, err
		}
		return &backend{store: st, bolt: st, notFound: store.ErrNotFound, cache: c}, nil
	case "weaviate":
		ws, err := f.backend.openWeaviate(ctx, log)
		if err != nil {
			return nil, err
		}
		// Vectors live in Weaviate: Weaviate is the index too. The cache is
		// kept in memory: several instances may share one cluster.
		return &backend{store: ws, index: ws.Index(), notFound: weaviate.ErrNotFound, cache: cache.NewMemory(memoryCacheEntries)}, nil
	}
	return nil, usageError{fmt.Sprintf("--store %q: want embedded or weaviate", f.backend.kind)}
}

// openWeaviate connects to the cluster --weaviate-url names.
func (b *backendFlags) openWeaviate(ctx context.Context, log *slog.Logger) (*weaviate.Store, error) {
	urls, grpc := splitList(b.urls), splitList(b.grpc)
	if len(urls) == 0 {
		return nil, usageError{"--store weaviate needs --weaviate-url (or RECOMMEND_WEAVIATE_URL), e.g. http://localhost:8080"}
	}
	if len(grpc) > 0 && len(grpc) != len(urls) {
		return nil, usageError{fmt.Sprintf("--weaviate-grpc lists %d addresses for %d URLs in --weaviate-url", len(grpc), len(urls))}
	}
	if b.replicas < 1 {
		return nil, usageError{fmt.Sprintf("--weaviate-replicas %d: want 1 or more", b.replicas)}
	}
	ws, err := weaviate.Open(ctx, weaviate.Config{
		URLs:             urls,
		GRPCAddrs:        grpc,
		APIKey:           b.apiKey,
		Collection:       b.collection,
		Replicas:         b.replicas,
		ReadConsistency:  strings.ToUpper(b.readCL),
		WriteConsistency: strings.ToUpper(b.writeCL),
		Timeout:          b.timeout,
		Logger:           log,
	})
	if err != nil {
		return nil, fmt.Errorf("weaviate %s: %w", strings.Join(urls, ","), err)
	}
	log.Info("weaviate ready", "urls", urls, "collection", b.collection)
	return ws, nil
}

// storeName names the store the flags point at, for messages.
func (f *appFlags) storeName() string {
	if f.backend.kind == "weaviate" {
		return "weaviate collection " + f.backend.collection
	}
	return f.data
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
