package weaviatetest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFreePorts(t *testing.T) {
	ports, err := freePorts(12, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i, p := range ports {
		use := []int{p}
		if i >= len(ports)-3 {
			use = append(use, p+1)
		}
		for _, q := range use {
			if seen[q] {
				t.Errorf("port %d handed out twice in %v", q, ports)
			}
			seen[q] = true
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", q))
			if err != nil {
				t.Errorf("port %d is not free after freePorts: %v", q, err)
				continue
			}
			l.Close()
		}
	}
}

func TestLogTail(t *testing.T) {
	dir := t.TempDir()
	n := &Node{LogPath: filepath.Join(dir, "log")}
	if got := n.LogTail(3); !strings.Contains(got, "cannot read log") {
		t.Errorf("LogTail of a missing file = %q, want a note that it cannot be read", got)
	}
	for _, tc := range []struct {
		content string
		lines   int
		want    string
	}{
		{"a\nb\nc\nd\n", 2, "c\nd"},
		{"a\nb\nc\nd", 2, "c\nd"},
		{"a\nb\n", 5, "a\nb"},
		{"", 3, ""},
	} {
		if err := os.WriteFile(n.LogPath, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := n.LogTail(tc.lines); got != tc.want {
			t.Errorf("LogTail(%d) of %q = %q, want %q", tc.lines, tc.content, got, tc.want)
		}
	}
}

func TestBinaryFromEnv(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "missing"))
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), EnvBinary) {
		t.Errorf("Binary() with %s naming a missing file: got %v, want an error naming %s", EnvBinary, err, EnvBinary)
	}
	t.Setenv(EnvBinary, "")
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), InstallCommand) {
		t.Errorf("Binary() with nothing installed: got %v, want an error with %q", err, InstallCommand)
	}
}

// TestStopRestart starts a node, creates a collection, stops the node
// gracefully and restarts it: same URL, the collection still there.
func TestStopRestart(t *testing.T) {
	n := Start(t)
	resp, err := http.Post(n.URL()+"/v1/schema", "application/json",
		strings.NewReader(`{"class":"Kept","vectorizer":"none","properties":[{"name":"x","dataType":["text"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("create collection: status %d", resp.StatusCode)
	}
	pid := n.PID()
	n.Stop()
	if n.PID() != 0 {
		t.Errorf("PID() after Stop = %d, want 0", n.PID())
	}
	if _, err := http.Get(n.URL() + "/v1/.well-known/ready"); err == nil {
		t.Errorf("node still answers after Stop")
	}
	n.Restart(t)
	if n.PID() == 0 || n.PID() == pid {
		t.Errorf("PID() after Restart = %d (before: %d), want a new process", n.PID(), pid)
	}
	resp, err = http.Get(n.URL() + "/v1/schema/Kept")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("collection after Restart: status %d, want 200", resp.StatusCode)
	}
	n.Stop()
	n.Stop() // stopping a stopped node does nothing
}
