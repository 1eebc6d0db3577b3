package httpapi

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/metrics"
	"github.com/recommend-dev/recommend/internal/paper"
)

// unmatchedRoute is the route label of requests no route matched, so that
// scanners probing random paths add one series, not one per path.
const unmatchedRoute = "unmatched"

// observe records every request in m: count and latency by route pattern,
// method and status. It runs outside the panic recovery, so it sees the
// 500 a recovered panic becomes.
func observe(m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if m == nil {
			return next
		}
		return func(c echo.Context) error {
			start := time.Now()
			done := m.RequestStarted()
			defer func() {
				done()
				// Only http.ErrAbortHandler gets past the recovery: the
				// answer was cut off; record it as far as it went.
				if p := recover(); p != nil {
					m.ObserveRequest(routeLabel(c), c.Request().Method, c.Response().Status, time.Since(start))
					panic(p)
				}
			}()
			err := next(c)
			if err != nil && !c.Response().Committed {
				c.Error(err) // the status is known only once the error is written
				err = nil
			}
			m.ObserveRequest(routeLabel(c), c.Request().Method, c.Response().Status, time.Since(start))
			return err
		}
	}
}

// routeLabel is the route pattern echo matched, or unmatchedRoute.
func routeLabel(c echo.Context) string {
	if r := c.Path(); r != "" {
		return r
	}
	return unmatchedRoute
}

// handleMetrics serves the Prometheus metrics (GET /metrics).
func handleMetrics(m *metrics.Metrics) echo.HandlerFunc {
	return echo.WrapHandler(m.Handler())
}

// countingEngine counts the papers stored through the API.
type countingEngine struct {
	Engine
	m *metrics.Metrics
}

// Put stores papers and counts them once stored.
func (e countingEngine) Put(ctx context.Context, ps []paper.Paper) error {
	if err := e.Engine.Put(ctx, ps); err != nil {
		return err
	}
	e.m.PapersStored("api", len(ps))
	return nil
}

// countStored wraps eng so that papers stored through it are counted in m.
func countStored(eng Engine, m *metrics.Metrics) Engine {
	if m == nil || eng == nil {
		return eng
	}
	return countingEngine{Engine: eng, m: m}
}
