package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Backuper writes a consistent snapshot of the whole data file to w, and
// returns the bytes written. *store.Store implements it.
type Backuper interface {
	Backup(w io.Writer) (int64, error)
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// handleBackup streams a snapshot of the data file (GET /v1/admin/backup),
// taken in one read transaction while the server keeps serving. The
// snapshot is itself a data file: `recommend restore` puts it in place. If
// the snapshot fails once streaming has begun, the connection is cut, so
// that the client sees a broken transfer rather than a short file.
func handleBackup(b Backuper, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		// A large file takes longer than the server's write timeout.
		if err := http.NewResponseController(c.Response()).SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		start := time.Now()
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "application/octet-stream")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="recommend-`+start.UTC().Format("20060102-150405")+`.db"`)
		h.Set("Cache-Control", "no-store")
		cw := &countingWriter{w: c.Response()}
		n, err := b.Backup(cw)
		if err != nil {
			log.Error("backup failed", "bytes", cw.n, "err", err)
			if c.Response().Committed {
				panic(http.ErrAbortHandler) // cut the connection: the file is incomplete
			}
			return err
		}
		log.Info("backup sent", "bytes", n, "duration", time.Since(start).Round(time.Millisecond), "remote", c.RealIP())
		return nil
	}
}
