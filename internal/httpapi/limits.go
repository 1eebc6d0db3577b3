package httpapi

import (
	"math"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/recommend-dev/recommend/internal/errs"
)

// Defaults for the server's limits, used where Config leaves them zero.
const (
	// DefaultReadHeaderTimeout bounds reading a request's header: a client
	// that sends it slowly (slowloris) is cut off.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds answering a request, from the end of its
	// header; a large embeddings request takes a while.
	DefaultWriteTimeout = 5 * time.Minute
	// DefaultIdleTimeout is how long a kept-alive connection may idle.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxHeaderBytes bounds a request's header.
	DefaultMaxHeaderBytes = 64 << 10
)

// rateExempt lists routes no client is rate limited on: health checks
// and the metrics scrape.
func rateExempt(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// rateLimit limits each client (by IP address, see Config.TrustProxy) to
// perSecond requests a second on average with bursts of burst, answering
// the excess with 429 and a Retry-After header. perSecond <= 0 turns it
// off.
func rateLimit(perSecond float64, burst int) echo.MiddlewareFunc {
	if perSecond <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate:      rate.Limit(perSecond),
		Burst:     burst,
		ExpiresIn: 3 * time.Minute,
	})
	// The wait for one more request, in whole seconds as Retry-After wants.
	retryAfter := strconv.Itoa(int(math.Ceil(1 / perSecond)))
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Skipper: func(c echo.Context) bool { return rateExempt(c.Path()) },
		IdentifierExtractor: func(c echo.Context) (string, error) {
			return c.RealIP(), nil
		},
		Store: store,
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", retryAfter)
			return errs.Errorf(errs.RateLimited, "too many requests: each client may send %g a second (bursts of %d); retry after %s s", perSecond, burst, retryAfter)
		},
		ErrorHandler: func(c echo.Context, err error) error {
			return errs.Wrap(errs.Invalid, err, "could not tell which client sent the request")
		},
	})
}

// retryAfterWhenBusy adds "Retry-After: 1" to 503 (busy, or still loading)
// and 429 answers that have none, so that clients back off and come back.
func retryAfterWhenBusy(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		switch errs.Code(err) {
		case errs.Unavailable, errs.RateLimited:
			if c.Response().Header().Get("Retry-After") == "" {
				c.Response().Header().Set("Retry-After", "1")
			}
		}
		return err
	}
}

// ipExtractor says how the server finds a client's address (for the rate
// limit and the request log): the connection's peer, or with trustProxy
// the X-Forwarded-For header as set by a proxy on a loopback or private
// address.
func ipExtractor(trustProxy bool) echo.IPExtractor {
	if trustProxy {
		return echo.ExtractIPFromXFFHeader()
	}
	return echo.ExtractIPDirect()
}
