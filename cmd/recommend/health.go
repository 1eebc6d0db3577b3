package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealth checks a running service, for container health checks (the
// distroless image has no curl): exit status 0 when it answers 200.
func runHealth(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("health", e)
	u := fs.String("url", "http://127.0.0.1:8080/readyz", "URL to check")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args, e.getenv, nil); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		return usageError{fmt.Sprintf("--url %q: %v", *u, err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %d: %s", *u, resp.StatusCode, body)
	}
	fmt.Fprintf(e.stdout, "%s\n", body)
	return nil
}
