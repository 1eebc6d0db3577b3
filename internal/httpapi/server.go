// Package httpapi serves recommend's HTTP API with echo: papers, related
// papers, search, recommendations and OpenAI-compatible embeddings. Routes
// live in one function (routes); handlers are built by functions that take
// their dependencies; errors use one JSON shape (errors.go).
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
)

// Config holds the server's dependencies and settings.
type Config struct {
	Addr   string // host:port to listen on; port 0 picks a free one
	Engine Engine
	Logger *slog.Logger
	// BodyLimit is the largest request body accepted, e.g. "16M".
	BodyLimit string
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
	routes(e, cfg)
	s := &Server{
		echo: e,
		addr: cfg.Addr,
		log:  cfg.Logger,
		srv: &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      5 * time.Minute, // a large embeddings request takes a while
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
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
