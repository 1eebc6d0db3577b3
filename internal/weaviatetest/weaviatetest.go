// Package weaviatetest starts real Weaviate servers on loopback for tests:
// one node (Start) or a cluster of several (StartCluster), each on free
// ports with its own temporary data directory, stopped when the test ends.
//
// The server is the weaviate-server binary, found through
// RECOMMEND_WEAVIATE_BIN, then $PATH, then $(go env GOPATH)/bin. Build it
// once with
//
//	go install github.com/weaviate/weaviate/cmd/weaviate-server@v1.35.2
//
// (about three minutes). Without it the tests that need it are skipped,
// unless RECOMMEND_REQUIRE_WEAVIATE=1 (CI sets it), which makes them fail.
//
// Each node logs to weaviate.log in its data directory's parent; when a
// node does not come up, or the test fails, the tail of that log is
// printed.
package weaviatetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables read by this package.
const (
	// EnvBinary names the weaviate-server binary to run.
	EnvBinary = "RECOMMEND_WEAVIATE_BIN"
	// EnvRequire, when "1", turns a missing binary into a test failure
	// instead of a skip.
	EnvRequire = "RECOMMEND_REQUIRE_WEAVIATE"
	// EnvKeep, when "1", keeps the nodes' data directories and logs after
	// the test (their location is logged), for post-mortems.
	EnvKeep = "RECOMMEND_WEAVIATE_KEEP"
)

// InstallCommand is how to build the server binary this package looks for.
const InstallCommand = "go install github.com/weaviate/weaviate/cmd/weaviate-server@v1.35.2"

// Timeouts.
const (
	// ReadyTimeout is how long a node may take to answer ready.
	ReadyTimeout = 90 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout = 20 * time.Second
)

// Node is one running (or stopped) weaviate-server process.
type Node struct {
	// Name is the node's cluster name (CLUSTER_HOSTNAME).
	Name string
	// Ports, all on 127.0.0.1.
	HTTPPort, GRPCPort, GossipPort, DataPort, RaftPort, RaftRPCPort int
	// DataDir is PERSISTENCE_DATA_PATH; it survives Stop and Restart.
	DataDir string
	// LogPath is the file the server's stdout and stderr go to (appended
	// to across restarts).
	LogPath string

	bin    string
	env    []string
	rejoin []string // gossip addresses of the other nodes, for Restart

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Option changes how nodes are started.
type Option func(*options)

type options struct {
	env map[string]string
}

// Env sets an extra environment variable for the server (for example
// QUERY_MAXIMUM_RESULTS); it overrides this package's defaults.
func Env(key, value string) Option {
	return func(o *options) { o.env[key] = value }
}

// Binary returns the path of the weaviate-server binary, or an error that
// says how to get it.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%s=%s: not an executable file", EnvBinary, p)
		}
		return p, nil
	}
	if p, err := exec.LookPath("weaviate-server"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			gopath = strings.TrimSpace(string(bytes.SplitN(out, []byte{os.PathListSeparator}, 2)[0]))
		}
	}
	if gopath != "" {
		p := filepath.Join(gopath, "bin", "weaviate-server")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("weaviate-server not found (not in %s, $PATH or $(go env GOPATH)/bin); build it with: %s", EnvBinary, InstallCommand)
}

// binary returns the server binary, or skips (fails under EnvRequire=1) tb.
func binary(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("%v (%s=1)", err, EnvRequire)
		}
		tb.Skipf("skipping: %v", err)
	}
	return bin
}

// Start starts one node on free loopback ports with a temporary data
// directory, waits until it is ready and stops it when tb ends.
func Start(tb testing.TB, opts ...Option) *Node {
	tb.Helper()
	return StartCluster(tb, 1, opts...)[0]
}

// StartCluster starts n nodes that form one cluster (gossip join to node 0,
// RAFT_JOIN listing every node, RAFT_BOOTSTRAP_EXPECT=n), so that a
// collection may be replicated up to n times. It returns once every node is
// ready; the nodes are stopped when tb ends.
func StartCluster(tb testing.TB, n int, opts ...Option) []*Node {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("weaviatetest: StartCluster(%d): need at least one node", n)
	}
	bin := binary(tb)
	o := options{env: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	// Per node: HTTP, gRPC, gossip, data, raft; the raft internal RPC
	// port must be the raft port + 1 (a local cluster derives a peer's RPC
	// address from its raft address that way), so it is not drawn.
	ports, err := freePorts(5*n, n)
	if err != nil {
		tb.Fatalf("weaviatetest: %v", err)
	}
	root := ""
	if os.Getenv(EnvKeep) == "1" {
		if root, err = os.MkdirTemp("", "weaviatetest-"); err != nil {
			tb.Fatalf("weaviatetest: %v", err)
		}
		tb.Logf("weaviatetest: %s=1: data and logs kept in %s", EnvKeep, root)
	} else {
		root = tb.TempDir()
	}
	nodes := make([]*Node, n)
	var join []string
	for i := range nodes {
		p, raft := ports[4*i:4*i+4], ports[4*n+i]
		nd := &Node{
			Name:     fmt.Sprintf("node%d", i),
			HTTPPort: p[0], GRPCPort: p[1], GossipPort: p[2], DataPort: p[3], RaftPort: raft, RaftRPCPort: raft + 1,
			DataDir: filepath.Join(root, fmt.Sprintf("node%d", i), "data"),
			LogPath: filepath.Join(root, fmt.Sprintf("node%d", i), "weaviate.log"),
			bin:     bin,
		}
		if err := os.MkdirAll(nd.DataDir, 0o755); err != nil {
			tb.Fatalf("weaviatetest: %v", err)
		}
		nodes[i] = nd
		join = append(join, fmt.Sprintf("%s:%d", nd.Name, nd.RaftPort))
	}
	for i, nd := range nodes {
		env := map[string]string{
			"PERSISTENCE_DATA_PATH":                   nd.DataDir,
			"DEFAULT_VECTORIZER_MODULE":               "none",
			"ENABLE_MODULES":                          "",
			"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "true",
			"DISABLE_TELEMETRY":                       "true",
			"CLUSTER_HOSTNAME":                        nd.Name,
			"CLUSTER_ADVERTISE_ADDR":                  "127.0.0.1",
			"CLUSTER_BIND_ADDR":                       "127.0.0.1",
			"CLUSTER_IN_LOCALHOST":                    "true",
			"CLUSTER_GOSSIP_BIND_PORT":                strconv.Itoa(nd.GossipPort),
			"CLUSTER_DATA_BIND_PORT":                  strconv.Itoa(nd.DataPort),
			"RAFT_PORT":                               strconv.Itoa(nd.RaftPort),
			"RAFT_INTERNAL_RPC_PORT":                  strconv.Itoa(nd.RaftRPCPort),
			"RAFT_JOIN":                               strings.Join(join, ","),
			"RAFT_BOOTSTRAP_EXPECT":                   strconv.Itoa(n),
			"GRPC_PORT":                               strconv.Itoa(nd.GRPCPort),
			"LOG_LEVEL":                               "info",
			"LOG_FORMAT":                              "text",
			"GO_PROFILING_DISABLE":                    "true",
		}
		// The first start: node 0 founds the gossip cluster, the others
		// join it. A restart joins any other node (see Restart).
		if i > 0 {
			env["CLUSTER_JOIN"] = fmt.Sprintf("127.0.0.1:%d", nodes[0].GossipPort)
		}
		for _, other := range nodes {
			if other != nd {
				nd.rejoin = append(nd.rejoin, fmt.Sprintf("127.0.0.1:%d", other.GossipPort))
			}
		}
		for k, v := range o.env {
			env[k] = v
		}
		for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
			if v, ok := os.LookupEnv(k); ok {
				env[k] = v
			}
		}
		for k, v := range env {
			nd.env = append(nd.env, k+"="+v)
		}
	}
	tb.Cleanup(func() {
		for _, nd := range nodes {
			nd.Kill()
		}
		if tb.Failed() {
			for _, nd := range nodes {
				tb.Logf("weaviatetest: last lines of %s's log (%s):\n%s", nd.Name, nd.LogPath, nd.LogTail(40))
			}
		}
	})
	// Node 0 first: a node whose gossip join fails exits, so the others
	// start once node 0's gossip port answers.
	for i, nd := range nodes {
		if err := nd.start(nil); err != nil {
			tb.Fatalf("weaviatetest: %v", err)
		}
		if i == 0 && n > 1 {
			if err := nd.waitPort(nd.GossipPort, ReadyTimeout); err != nil {
				tb.Fatalf("weaviatetest: %v\nlast lines of %s:\n%s", err, nd.LogPath, nd.LogTail(40))
			}
		}
	}
	for _, nd := range nodes {
		if err := nd.waitReady(ReadyTimeout); err != nil {
			tb.Fatalf("weaviatetest: %v\nlast lines of %s:\n%s", err, nd.LogPath, nd.LogTail(40))
		}
	}
	return nodes
}

// URL returns the node's REST base URL, "http://127.0.0.1:PORT".
func (n *Node) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.HTTPPort) }

// GRPCAddr returns the node's gRPC address, "127.0.0.1:PORT".
func (n *Node) GRPCAddr() string { return fmt.Sprintf("127.0.0.1:%d", n.GRPCPort) }

// PID returns the server's process ID, or 0 when it is not running.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil || n.exited() {
		return 0
	}
	return n.cmd.Process.Pid
}

// exited reports whether the current process has ended; n.mu is held.
func (n *Node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

func (n *Node) start(extraEnv []string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && !n.exited() {
		return fmt.Errorf("%s is already running", n.Name)
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", n.Name, err)
	}
	cmd := exec.Command(n.bin, "--host", "127.0.0.1", "--port", strconv.Itoa(n.HTTPPort), "--scheme", "http")
	cmd.Env = append(slices.Clone(n.env), extraEnv...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = filepath.Dir(n.DataDir)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s (%s): %w", n.Name, n.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	n.cmd, n.done = cmd, done
	return nil
}

// waitReady polls /v1/.well-known/ready until it answers 200.
func (n *Node) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.URL()+"/v1/.well-known/ready", nil)
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before it was ready", n.Name)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (last: %v)", n.Name, timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitPort waits until port accepts TCP connections or the node exits.
func (n *Node) waitPort(port int, timeout time.Duration) error {
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before port %d answered", n.Name, port)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: port %d not answering after %v: %v", n.Name, port, timeout, err)
		}
	}
}

// Stop shuts the node down gracefully: SIGTERM, then SIGKILL if it has not
// exited within StopTimeout. Its data directory and ports are kept for
// Restart. Stopping a stopped node does nothing.
func (n *Node) Stop() {
	n.signal(syscall.SIGTERM, StopTimeout)
}

// Kill stops the node with SIGKILL, as a crash would, and waits for it to
// exit. Killing a stopped node does nothing.
func (n *Node) Kill() {
	n.signal(syscall.SIGKILL, 0)
}

func (n *Node) signal(sig syscall.Signal, grace time.Duration) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-done:
			return
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-done
}

// Restart starts a stopped node again with the same name, ports and data
// directory and waits until it is ready. It fails tb if the node is still
// running or does not come up.
func (n *Node) Restart(tb testing.TB) {
	tb.Helper()
	var env []string
	if len(n.rejoin) > 0 {
		env = append(env, "CLUSTER_JOIN="+strings.Join(n.rejoin, ","))
	}
	if err := n.start(env); err != nil {
		tb.Fatalf("weaviatetest: restart: %v", err)
	}
	if err := n.waitReady(ReadyTimeout); err != nil {
		tb.Fatalf("weaviatetest: restart: %v\nlast lines of %s:\n%s", err, n.LogPath, n.LogTail(40))
	}
}

// LogTail returns the last lines of the node's log.
func (n *Node) LogTail(lines int) string {
	b, err := os.ReadFile(n.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	b = bytes.TrimRight(b, "\n")
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			lines--
			if lines == 0 {
				return string(b[i+1:])
			}
		}
	}
	return string(b)
}

// freePorts returns n distinct ports that are free on 127.0.0.1 for both
// TCP and UDP (gossip uses both); the last pairs of them are followed by a
// port that is free too (p and p+1 both usable). All are held until all
// are found, so they are distinct; another process may still take one
// before the server binds it, which is unlikely on a test machine.
func freePorts(n, pairs int) ([]int, error) {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	hold := func(port int) bool {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return false
		}
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			l.Close()
			return false
		}
		closers = append(closers, l, u)
		return true
	}
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 50*n {
			return nil, errors.New("cannot find free loopback ports")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !hold(port) {
			continue
		}
		if len(ports) >= n-pairs && !hold(port+1) {
			continue // port stays held, unused
		}
		ports = append(ports, port)
	}
	return ports, nil
}
