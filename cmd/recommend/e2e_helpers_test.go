package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the recommend binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recommend-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "recommend")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build recommend:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// service is a running recommend binary.
type service struct {
	t      testing.TB
	cmd    *exec.Cmd
	URL    string
	logs   *lockedBuffer
	ready  time.Duration // start-up to ready, as the service logged it
	exited chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startService starts `recommend serve` on a free port with the given data
// directory and extra flags, and waits until it is ready.
func startService(t testing.TB, dataDir string, args ...string) *service {
	t.Helper()
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--log-format", "json"}, args...)
	cmd := exec.Command(binary, full...)
	cmd.Env = append(os.Environ(), "RECOMMEND_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start recommend: %v", err)
	}
	addr := make(chan string, 1)
	readyc := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.Write([]byte(line + "\n"))
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			switch rec["msg"] {
			case "listening":
				addr <- rec["addr"].(string)
			case "ready":
				d, _ := time.ParseDuration(fmt.Sprint(rec["startup"]))
				readyc <- d
			}
		}
	}()
	go func() { cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.stop() })
	select {
	case s.URL = <-addr:
	case <-s.exited:
		t.Fatalf("recommend exited before listening:\n%s", s.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("recommend did not listen within 60s:\n%s", s.logs)
	}
	select {
	case s.ready = <-readyc:
	case <-s.exited:
		t.Fatalf("recommend exited before it was ready:\n%s", s.logs)
	case <-time.After(5 * time.Minute):
		t.Fatalf("recommend was not ready within 5 minutes:\n%s", s.logs)
	}
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *service) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("recommend did not stop within 30s of SIGINT")
	}
}

// kill stops the service with SIGKILL.
func (s *service) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// do sends a request with an optional JSON body and decodes the JSON answer
// into out (if not nil). It returns the status code.
func (s *service) do(method, path string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		case []byte:
			r = bytes.NewReader(b)
		default:
			buf, err := json.Marshal(body)
			if err != nil {
				s.t.Fatal(err)
			}
			r = bytes.NewReader(buf)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if ct := resp.Header.Get("Content-Type"); method != http.MethodHead && !strings.HasPrefix(ct, "application/json") {
		s.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

func jsonMarshal(v any) (io.Reader, error) {
	buf, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(buf), nil
}
