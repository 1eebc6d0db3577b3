package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/recommend-dev/recommend/internal/engine"
)

// MapResponse is the answer of GET /v1/map: every paper as a point with x
// and y in [-1, 1] and its cluster in [0, clusters).
type MapResponse struct {
	Data     []engine.MapPoint `json:"data"`
	Clusters int               `json:"clusters"`
	Model    string            `json:"model"`
	// Explained is the share of the variance each axis shows.
	Explained [2]float64 `json:"explained"`
}

// handleMap serves the map of the corpus (GET /v1/map).
func handleMap(eng Engine) echo.HandlerFunc {
	return func(c echo.Context) error {
		m, err := eng.Map(c.Request().Context())
		if err != nil {
			return err
		}
		pts := m.Points
		if pts == nil {
			pts = []engine.MapPoint{}
		}
		return c.JSON(http.StatusOK, MapResponse{Data: pts, Clusters: m.Clusters, Model: m.Model, Explained: m.Explained})
	}
}
