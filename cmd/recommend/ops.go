package main

import (
	"flag"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/limit"
	"github.com/recommend-dev/recommend/internal/metrics"
)

// opsFlags are serve's flags for running on a network: API keys, limits,
// timeouts and metrics.
type opsFlags struct {
	apiKeysList string
	apiKeysFile string
	authReads   bool

	rateLimit  float64
	rateBurst  int
	trustProxy bool

	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	maxHeaderBytes    int

	maxEmbed     int
	embedQueue   int
	embedTimeout time.Duration

	metrics bool
}

// defaultMaxEmbed is the default bound on concurrent embedding calls.
func defaultMaxEmbed() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

func (o *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.apiKeysList, "api-keys", "", "comma-separated API keys; writes (POST/DELETE /v1/papers, /v1/admin) then need one as \"Authorization: Bearer KEY\" or \"X-API-Key: KEY\" (prefer --api-keys-file or the environment to the command line)")
	fs.StringVar(&o.apiKeysFile, "api-keys-file", "", "`file` of API keys, one per line; blank lines and lines starting with # are ignored")
	fs.BoolVar(&o.authReads, "auth-reads", false, "require an API key for every route but /healthz, /readyz and the web page (needs keys)")
	fs.Float64Var(&o.rateLimit, "rate-limit", 0, "requests a second each client IP may send on average (429 beyond); 0: no limit")
	fs.IntVar(&o.rateBurst, "rate-burst", 0, "requests a client may send at once before --rate-limit applies (0: the rate, at least 1)")
	fs.BoolVar(&o.trustProxy, "trust-proxy", false, "take the client's IP from X-Forwarded-For when the connection comes from a loopback or private address (a reverse proxy)")
	fs.DurationVar(&o.readHeaderTimeout, "read-header-timeout", httpapi.DefaultReadHeaderTimeout, "time limit for reading a request's header (cuts off slow clients)")
	fs.DurationVar(&o.readTimeout, "read-timeout", httpapi.DefaultReadTimeout, "time limit for reading a whole request")
	fs.DurationVar(&o.writeTimeout, "write-timeout", httpapi.DefaultWriteTimeout, "time limit for answering a request (backups are exempt)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", httpapi.DefaultIdleTimeout, "how long an idle kept-alive connection stays open")
	fs.IntVar(&o.maxHeaderBytes, "max-header-bytes", httpapi.DefaultMaxHeaderBytes, "largest request header in bytes")
	fs.IntVar(&o.maxEmbed, "max-embed-concurrency", defaultMaxEmbed(), "embedding calls (search, adding papers, /v1/embeddings) that run at once; 0: no limit")
	fs.IntVar(&o.embedQueue, "embed-queue", limit.DefaultMaxQueue, "embedding calls that may wait for a turn; beyond that they get 503 at once (0: none wait)")
	fs.DurationVar(&o.embedTimeout, "embed-queue-timeout", limit.DefaultQueueTimeout, "how long an embedding call waits for its turn before it gets 503")
	fs.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics at /metrics (behind a key with --auth-reads)")
}

// apiKeys loads the configured keys and checks the flags that need them.
func (o *opsFlags) apiKeys() ([]string, error) {
	keys, err := httpapi.LoadAPIKeys(o.apiKeysList, o.apiKeysFile)
	if err != nil {
		return nil, usageError{"serve: " + err.Error()}
	}
	if o.authReads && len(keys) == 0 {
		return nil, usageError{"serve: --auth-reads needs API keys (--api-keys, --api-keys-file or RECOMMEND_API_KEYS)"}
	}
	if o.rateLimit < 0 || o.rateBurst < 0 {
		return nil, usageError{"serve: --rate-limit and --rate-burst must not be negative"}
	}
	return keys, nil
}

// wire sets up what the flags ask of the embedder: metrics and the bound
// on concurrent work.
func (o *opsFlags) wire(f *appFlags) {
	if o.metrics {
		f.metrics = metrics.New()
	}
	queue := o.embedQueue
	if queue <= 0 {
		queue = -1 // limit's "none"; its 0 means the default
	}
	f.limits = limit.Config{
		MaxConcurrent: o.maxEmbed,
		MaxQueue:      queue,
		QueueTimeout:  o.embedTimeout,
		OnReject:      f.metrics.EmbedRejected,
	}
}

// registerMetrics exports the index size, the embedding queue and the
// cache's counts of a.
func (o *opsFlags) registerMetrics(m *metrics.Metrics, a *app) error {
	if m == nil {
		return nil
	}
	if err := m.RegisterIndexSize(a.engine.Model(), a.engine.Len); err != nil {
		return err
	}
	if _, _, ok := a.engine.SearchQueue(); ok {
		scanning := func() int { n, _, _ := a.engine.SearchQueue(); return n }
		waiting := func() int { _, n, _ := a.engine.SearchQueue(); return n }
		if err := m.RegisterSearchQueue(scanning, waiting); err != nil {
			return err
		}
	}
	if c, ok := a.emb.(interface{ Stats() cache.Stats }); ok {
		if err := m.RegisterCache(func() (uint64, uint64) { s := c.Stats(); return s.Hits, s.Misses }); err != nil {
			return err
		}
	}
	// The bounded embedder sits under the cache.
	var inner any = a.emb
	for inner != nil {
		if q, ok := inner.(interface {
			InFlight() int
			Waiting() int
		}); ok {
			return m.RegisterEmbedQueue(q.InFlight, q.Waiting)
		}
		u, ok := inner.(interface{ Unwrap() embeddings.Embedder })
		if !ok {
			break
		}
		inner = u.Unwrap()
	}
	return nil
}

// serverConfig is the part of the server's configuration the flags give.
func (o *opsFlags) serverConfig(keys []string) httpapi.Config {
	return httpapi.Config{
		APIKeys:           keys,
		AuthReads:         o.authReads,
		RateLimit:         o.rateLimit,
		RateBurst:         o.rateBurst,
		TrustProxy:        o.trustProxy,
		ReadHeaderTimeout: o.readHeaderTimeout,
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    o.maxHeaderBytes,
	}
}

// logSecurity logs how the API is guarded, and warns when it listens
// beyond this machine with writes open to all. It never logs the keys.
func (o *opsFlags) logSecurity(log *slog.Logger, addr string, keys int) {
	switch {
	case keys > 0:
		guarded := "writes"
		if o.authReads {
			guarded = "everything but health checks and the web page"
		}
		log.Info("API keys required", "keys", keys, "for", guarded)
	case !isLoopback(addr):
		log.Warn("listening beyond this machine without API keys: anyone who can reach "+addr+" can add, delete and back up papers; set --api-keys-file or RECOMMEND_API_KEYS", "addr", addr)
	}
}

// isLoopback reports whether addr (host:port) only accepts connections
// from this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
