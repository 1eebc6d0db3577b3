package weaviate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recommend-dev/recommend/internal/errs"
)

// Tests that need no server.

func TestIDKeyOrder(t *testing.T) {
	ids := []string{"", "A", "B", "_", "a", "a ", " a", "ab", "b", "z10", "z9", "é", "\x00", "\xff", "arxiv:2401.01234", "arxiv:2401.0123"}
	for _, a := range ids {
		for _, b := range ids {
			if got, want := strings.Compare(idKey(a), idKey(b)), strings.Compare(a, b); got != want {
				t.Errorf("compare(idKey(%q), idKey(%q)) = %d, want %d (the IDs' byte order)", a, b, got, want)
			}
			if strings.ToLower(idKey(a)) != idKey(a) || strings.TrimSpace(idKey(a)) != idKey(a) {
				t.Errorf("idKey(%q) = %q changes under lower-casing or trimming", a, idKey(a))
			}
		}
	}
}

// FuzzIDKeyOrder checks that idKey keeps the byte order of any two IDs and
// that ObjectID tells them apart.
func FuzzIDKeyOrder(f *testing.F) {
	f.Add("arxiv:2401.01234", "arxiv:2401.0123")
	f.Add("B", "a")
	f.Add("", "\x00")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := strings.Compare(idKey(a), idKey(b)), strings.Compare(a, b); got != want {
			t.Errorf("compare(idKey(%q), idKey(%q)) = %d, want %d", a, b, got, want)
		}
		if (ObjectID(a) == ObjectID(b)) != (a == b) {
			t.Errorf("ObjectID(%q) = %s, ObjectID(%q) = %s", a, ObjectID(a), b, ObjectID(b))
		}
		if p := part(a); p < 0 || p >= Parts {
			t.Errorf("part(%q) = %d, outside [0, %d)", a, p, Parts)
		}
	})
}

func TestObjectIDStable(t *testing.T) {
	// The UUID of a paper must never change: existing collections hold
	// objects under it. Golden values.
	for id, want := range map[string]string{
		"synth:0000001": "4643d774-e982-527d-a191-889f5ef838ea",
	} {
		if got := ObjectID(id); got != want {
			t.Errorf("ObjectID(%q) = %q, want %q (changing it orphans every stored object)", id, got, want)
		}
	}
	for _, id := range []string{"", "a", "arxiv:2401.01234", strings.Repeat("x", MaxIDLen)} {
		if got := ObjectID(id); len(got) != 36 || got[14] != '5' {
			t.Errorf("ObjectID(%q) = %q, want a version-5 UUID", id, got)
		}
	}
}

func TestPartSpread(t *testing.T) {
	// Exact search splits the collection by part; the parts must be
	// about even for its groups to stay under the flat-search cutoff.
	const n = 100_000
	counts := make([]int, Parts)
	for i := range n {
		counts[part(fmt.Sprintf("synth:%07d", i))]++
	}
	mean := n / Parts
	for p, c := range counts {
		if c < mean/2 || c > 2*mean {
			t.Errorf("part %d has %d of %d ids, mean %d", p, c, n, mean)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"5xx", &fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: 500}, true},
		{"503", &fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: 503}, true},
		{"422", &fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: 422}, false},
		{"404", &fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: 404}, false},
		{"connection refused", &fault.WeaviateClientError{StatusCode: -1, DerivedFromError: syscall.ECONNREFUSED}, true},
		{"canceled", &fault.WeaviateClientError{StatusCode: -1, DerivedFromError: context.Canceled}, false},
		{"grpc unavailable", status.Error(codes.Unavailable, "connection refused"), true},
		{"grpc wrapped unavailable", fmt.Errorf("batch objects: %w", status.Error(codes.Unavailable, "x")), true},
		{"grpc deadline", status.Error(codes.DeadlineExceeded, "slow"), true},
		{"grpc invalid", status.Error(codes.InvalidArgument, "bad filter"), false},
		{"grpc unknown", status.Error(codes.Unknown, "no such class"), false},
		{"net error", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"replica trouble", &serverError{msg: "cannot achieve consistency level QUORUM"}, true},
		{"plain", errors.New("something"), false},
		{"eof", io.EOF, false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: 422, Msg: "bad"}, errs.Invalid},
		{&fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: 401}, errs.Unavailable},
		{status.Error(codes.PermissionDenied, "no"), errs.Unavailable},
		{status.Error(codes.InvalidArgument, "no"), errs.Invalid},
		{errors.New("odd"), errs.Internal},
	} {
		err := classify("op", tc.err)
		if got := errs.Code(err); got != tc.want {
			t.Errorf("classify(%v) has code %q, want %q", tc.err, got, tc.want)
		}
		if !errors.Is(err, tc.err) && !strings.Contains(err.Error(), tc.err.Error()) {
			t.Errorf("classify(%v) = %v lost the cause", tc.err, err)
		}
	}
}

func TestOpenConfig(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no URL", Config{}},
		{"bad scheme", Config{URLs: []string{"ftp://x"}}},
		{"no host", Config{URLs: []string{"http://"}}},
		{"gRPC count", Config{URLs: []string{"http://a", "http://b"}, GRPCAddrs: []string{"a:1"}}},
		{"collection name", Config{URLs: []string{"http://a"}, Collection: "paper"}},
		{"collection chars", Config{URLs: []string{"http://a"}, Collection: "Pa-per"}},
		{"consistency", Config{URLs: []string{"http://a"}, ReadConsistency: "TWO"}},
	} {
		if _, err := Open(ctx, tc.cfg); errs.Code(err) != errs.Invalid {
			t.Errorf("Open(%s): got %v, want an %s error", tc.name, err, errs.Invalid)
		}
	}
}

func TestCheckVectors(t *testing.T) {
	ok := [][]float32{{1, 0}, {0, 1}}
	nan := float32(0)
	nan = nan / nan
	for _, tc := range []struct {
		name  string
		model string
		vs    [][]float32
		n     int
		valid bool
	}{
		{"fine", "m", ok, 2, true},
		{"no model", "", ok, 2, false},
		{"long model", strings.Repeat("m", MaxModelLen+1), ok, 2, false},
		{"count", "m", ok, 3, false},
		{"empty vector", "m", [][]float32{{}, {}}, 2, false},
		{"lengths", "m", [][]float32{{1, 0}, {1}}, 2, false},
		{"NaN", "m", [][]float32{{1, 0}, {nan, 1}}, 2, false},
	} {
		err := checkVectors("put", tc.model, tc.n, tc.vs)
		if (err == nil) != tc.valid || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("checkVectors(%s) = %v, want valid: %v (else wrapping ErrInvalid)", tc.name, err, tc.valid)
		}
	}
}

func TestDateKey(t *testing.T) {
	strs := []string{"2020-01-01", "2020-01-02", "2019-12-31", "2020", "2020-", "2020-05", "2020/05/01", "2020-1-1", "2020-01-01x", "2020-01-01 ",
		"0000-00-00", "9999-99-99", "", "abc", " 2020-01-01", "1", "2020-13-45", "-", "\xff"}
	dates := []string{"0000-00-00", "2019-12-31", "2020-01-01", "2020-01-02", "2020-05-01", "2020-12-31", "2021-01-01", "9999-12-31", "9999-99-99"}
	for _, s := range strs {
		for _, d := range dates {
			if got, want := cmpInt(dateKey(s), dateKey(d)), strings.Compare(s, d); got != want {
				t.Errorf("compare(dateKey(%q)=%d, dateKey(%q)=%d) = %d, want %d", s, dateKey(s), d, dateKey(d), got, want)
			}
		}
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FuzzDateKey checks that dateKey orders any string against any date as
// string comparison does.
func FuzzDateKey(f *testing.F) {
	f.Add("2020-05", uint32(20200501))
	f.Add("2020/01/01", uint32(20200101))
	f.Add("", uint32(0))
	f.Fuzz(func(t *testing.T, s string, n uint32) {
		n %= 100_000_000
		d := fmt.Sprintf("%04d-%02d-%02d", n/10000, n/100%100, n%100)
		if got, want := cmpInt(dateKey(s), dateKey(d)), strings.Compare(s, d); got != want {
			t.Errorf("compare(dateKey(%q)=%d, dateKey(%q)=%d) = %d, want %d", s, dateKey(s), d, dateKey(d), got, want)
		}
	})
}
