package main

import (
	"context"
	"errors"
	"time"

	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/limit"
)

func runServe(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("serve", e)
	var (
		f               appFlags
		o               opsFlags
		addr, bodyLimit string
		shutdown        time.Duration
	)
	f.register(fs)
	o.register(fs)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&bodyLimit, "body-limit", httpapi.DefaultBodyLimit, "largest request body, e.g. 16M")
	fs.DurationVar(&shutdown, "shutdown-timeout", 15*time.Second, "how long to wait for requests in flight when stopping")
	if err := parseFlags(fs, args, e.getenv, envAliases); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"serve takes no arguments"}
	}
	log, err := f.logger(e.stderr)
	if err != nil {
		return err
	}
	keys, err := o.apiKeys()
	if err != nil {
		return err
	}
	start := time.Now()
	o.wire(&f)
	a, err := f.open(ctx, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := o.registerMetrics(f.metrics, a); err != nil {
		return err
	}

	cfg := o.serverConfig(keys)
	cfg.Addr, cfg.Engine, cfg.Logger, cfg.BodyLimit, cfg.Metrics = addr, a.engine, log, bodyLimit, f.metrics
	if a.bolt != nil {
		// Weaviate has its own backups.
		cfg.Backup = a.bolt
	}
	srv := httpapi.NewServer(cfg)
	a.engine.HoldWrites() // until Load, which runs while the server listens
	if err := srv.Open(); err != nil {
		return err
	}
	log.Info("listening", "addr", "http://"+srv.Addr(), "model", a.engine.Model())
	o.logSecurity(log, srv.Addr(), len(keys))

	loaded := make(chan error, 1)
	// Embedding the stored papers at start-up waits for its turn, however
	// long: it is not turned away as a busy request would be.
	go func() { loaded <- a.engine.Load(limit.Patient(ctx)) }()

	var serveErr error
	select {
	case err := <-loaded:
		if err != nil && !errors.Is(err, context.Canceled) {
			serveErr = err
			break
		}
		if err == nil {
			log.Info("ready", "papers", a.engine.Len(), "startup", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
		case serveErr = <-srv.Done():
		}
	case <-ctx.Done():
	case serveErr = <-srv.Done():
	}

	log.Info("shutting down", "timeout", shutdown)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdown)
	defer cancel()
	if err := srv.Close(sctx); err != nil {
		log.Warn("shutdown did not finish in time", "err", err)
	}
	return serveErr
}
