// Package httpapi serves recommend's HTTP API with echo: papers, related
// papers, search, recommendations and OpenAI-compatible embeddings. Routes
// live in one function (routes); handlers are built by functions that take
// their dependencies; errors use one JSON shape (errors.go). API keys
// (auth.go), the rate limit and server limits (limits.go), request metrics
// (metrics.go) and the backup endpoint (admin.go) are middleware and
// handlers like the rest.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/metrics"
)

// Config holds the server's dependencies and settings.
type Config struct {
	Addr   string // host:port to listen on; port 0 picks a free one
	Engine Engine
	Logger *slog.Logger
	// BodyLimit is the largest request body accepted, e.g. "16M".
	BodyLimit string

	// APIKeys, when not empty, are the keys that writes need (see auth.go);
	// without keys writes are open.
	APIKeys []string
	// AuthReads makes every route but /healthz, /readyz and the web page
	// need a key too. It needs APIKeys.
	AuthReads bool

	// RateLimit is the requests a second each client (IP address) may send
	// on average, with bursts of RateBurst; 0 means no limit.
	RateLimit float64
	RateBurst int
	// TrustProxy takes the client's address from X-Forwarded-For when the
	// connection comes from a loopback or private address (a reverse
	// proxy); otherwise the connection's own address is used.
	TrustProxy bool

	// Timeouts and the header size limit of the HTTP server; zero means
	// the Default value of the same name (limits.go).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int

	// Metrics, if set, records every request and is served at GET /metrics.
	Metrics *metrics.Metrics
	// Backup, if set, serves GET /v1/admin/backup: a snapshot of the data
	// file while serving. It needs a key like every write.
	Backup Backuper
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Server is recommend's HTTP server.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	echo *echo.Echo
	addr string
	log  *slog.Logger
	done chan error
}

// NewServer builds the server and its routes; Open starts it.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = DefaultBodyLimit
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	e.IPExtractor = ipExtractor(cfg.TrustProxy)
	routes(e, cfg)
	s := &Server{
		echo: e,
		addr: cfg.Addr,
		log:  cfg.Logger,
		srv: &http.Server{
			Handler:           e,
			ReadHeaderTimeout: orDefault(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
			ReadTimeout:       orDefault(cfg.ReadTimeout, DefaultReadTimeout),
			WriteTimeout:      orDefault(cfg.WriteTimeout, DefaultWriteTimeout),
			IdleTimeout:       orDefault(cfg.IdleTimeout, DefaultIdleTimeout),
			MaxHeaderBytes:    orDefault(cfg.MaxHeaderBytes, DefaultMaxHeaderBytes),
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
	}
	return s
}

// DefaultBodyLimit is the largest request body accepted by default.
const DefaultBodyLimit = "16M"

// Handler returns the server's HTTP handler, for tests that need no socket.
func (s *Server) Handler() http.Handler { return s.echo }

// Open listens on the configured address and starts serving in the
// background. Listening first means the port is taken (or the error known)
// before Open returns.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	s.ln = ln
	s.done = make(chan error, 1)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return nil
}

// Addr is the address the server listens on, once Open has returned.
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.addr
	}
	return s.ln.Addr().String()
}

// Done yields the error that stopped serving (nil after Close).
func (s *Server) Done() <-chan error { return s.done }

// Close stops accepting connections and waits for requests in flight until
// ctx is done, then closes what is left.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	return err
}
