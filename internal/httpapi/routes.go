package httpapi

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/recommend-dev/recommend/internal/web"
)

// routes registers every route of the API: the one place to read them all.
func routes(e *echo.Echo, cfg Config) {
	eng := countStored(cfg.Engine, cfg.Metrics)
	e.Use(observe(cfg.Metrics)) // outermost: sees the final status of every request
	e.Use(middleware.Recover())
	e.Use(requestLogger(cfg.Logger))
	e.Use(retryAfterWhenBusy)
	e.Use(rateLimit(cfg.RateLimit, cfg.RateBurst))
	e.Use(requireKey(cfg.APIKeys, cfg.AuthReads))
	e.Use(middleware.BodyLimit(cfg.BodyLimit))

	e.GET("/healthz", handleHealth())
	e.GET("/readyz", handleReady(eng))
	if cfg.Metrics != nil {
		e.GET("/metrics", handleMetrics(cfg.Metrics))
	}

	v1 := e.Group("/v1")
	v1.GET("/papers", handleListPapers(eng))
	v1.POST("/papers", handlePutPapers(eng))
	v1.GET("/papers/:id", handleGetPaper(eng))
	v1.DELETE("/papers/:id", handleDeletePaper(eng))
	v1.GET("/papers/:id/related", handleRelated(eng))
	v1.GET("/search", handleSearch(eng))
	v1.POST("/recommend", handleRecommend(eng))
	v1.POST("/embeddings", handleEmbeddings(eng))
	v1.GET("/models", handleListModels(eng))
	v1.GET("/models/:model", handleGetModel(eng))
	v1.GET("/map", handleMap(eng))
	if cfg.Backup != nil {
		v1.GET("/admin/backup", handleBackup(cfg.Backup, cfg.Logger))
	}

	web.Register(e) // the page at / and its assets under /static/
}

// requestLogger logs one line per request.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:   true,
		LogURIPath:  true,
		LogStatus:   true,
		LogLatency:  true,
		LogRemoteIP: true,
		LogError:    true,
		HandleError: true, // let the error handler set the status before logging
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency.Round(time.Microsecond)),
				slog.String("remote", v.RemoteIP),
			)
			return nil
		},
	})
}
