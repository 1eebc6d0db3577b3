// Package weaviate keeps recommend's papers and their vectors in a Weaviate
// cluster instead of the embedded store, with the official Go client
// (REST for the schema, counts and deletes, gRPC for everything else).
// Store implements engine.Store (the store of record); Store.Index returns
// its engine.Index (nearest-neighbour search over the same objects). They
// are two types because both interfaces have a Delete method, with
// different signatures. Index.Add and Index.Delete do nothing: the
// vectors are written with the papers by the Store.
//
// # Data model
//
// One collection (Config.Collection, "Paper" by default) holds one object
// per paper. Its UUID is a version-5 UUID of the paper ID (ObjectID), so
// writing a paper again replaces its object. Its properties are the paper's
// fields (paperId, title, abstract, authors, authorCount, organization,
// published, categories, url, doi) plus
//
//   - model: the embedding model of the object's vector ("" when it has
//     none). An object has at most one vector: writing vectors of another
//     model replaces it, so Scan(model) returns nil vectors for papers last
//     embedded with a different model. (The embedded store keeps vectors of
//     several models side by side; recommend serves one model at a time, so
//     the engine does not depend on that.) A collection's HNSW index has
//     one dimension, fixed by the first vector: a model with other
//     dimensions needs another collection.
//   - part: a number in [0, Parts) derived from the paper ID, used to split
//     exact searches (see Index.Search).
//   - idKey: the paper ID's bytes in hex, by which List sorts: Weaviate
//     sorts text case-insensitively, hex sorts like the bytes it encodes.
//   - publishedKey: published as an integer with a range index, for date
//     filters (see dateKey); absent, like published, when the date is
//     unknown, so that date filters drop the paper.
//
// The collection is created when missing with vectorizer "none" (the
// vectors come from recommend's embedders), cosine distance, an HNSW index
// without compression (scores are exact cosines of the stored float32
// vectors) and the replication factor Config.Replicas. An existing
// collection is used as it is and never emptied.
//
// # Consistency and failover
//
// Writes use consistency level QUORUM and reads ONE by default, so that
// reads go on while one node of three is down and every acknowledged write
// is on a majority of replicas. A write batch is not atomic: on an error,
// some of its papers may have been written (writing them again is
// harmless). Read-modify-write methods (PutPapers without vectors,
// PutVectors, Delete) read at the write consistency level; they assume one
// writer at a time (the engine serialises its writes).
//
// Config.URLs may list several nodes of one cluster. Every request goes to
// the node that last answered; on a connection error, a timeout or a 5xx
// answer it is sent to the next node, and the switch is logged. Client
// errors (4xx) are not retried. When no node answers, the error has the
// code errs.Unavailable. Schema reads go to the raft leader: when the
// leader dies, writes wait for a new one to be elected (about 12 s with
// Weaviate's default RAFT_TIMEOUTS_MULTIPLIER of 5, measured by
// TestFailover), or fail with errs.Unavailable after Config.Timeout per
// node; reads go on meanwhile.
//
// # Costs
//
// Search is one gRPC nearVector query; Score one nearVector query
// restricted to the ids. List sorts the whole collection on the server
// (Weaviate sorts text properties by reading every object), so each call
// reads all objects: about a second per 100k papers (see BenchmarkLarge),
// fine for an administrative listing, not for hot paths. Scan reads pages
// of up to 500 objects with their vectors (the client accepts gRPC replies
// of at most 4 MB).
package weaviate

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	wvgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recommend-dev/recommend/internal/errs"
)

// Defaults of Config.
const (
	DefaultCollection       = "Paper"
	DefaultTimeout          = 30 * time.Second
	DefaultWriteConsistency = "QUORUM"
	DefaultReadConsistency  = "ONE"
	// DefaultGRPCPort is the gRPC port assumed for a URL when
	// Config.GRPCAddrs is empty (Weaviate's default).
	DefaultGRPCPort = 50051
	// DefaultMaxResults is Weaviate's default QUERY_MAXIMUM_RESULTS: the
	// most objects one query may page through (offset + limit).
	DefaultMaxResults = 10000
	// DefaultEF is Config.EF's default.
	DefaultEF = -1
)

// Parts is the number of values of the part property.
const Parts = 256

// Sizes of requests. The client accepts gRPC replies of at most 4 MB (it
// has no option to raise that): a paper with its 512-d vector is about
// 4 KB, so a read of many objects starts with pages of 500 and halves a
// page whose reply is too large (papers with long abstracts).
const (
	writeBatch = 500 // objects per batch write
	readPage   = 500 // objects per read of many (look-up by id, Scan)
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound means no paper has the ID.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the caller's input was rejected before anything
	// was written. Errors wrapping it are *errs.Error with code
	// errs.Invalid.
	ErrInvalid = errors.New("invalid input")
)

// Config says which cluster and collection to use.
type Config struct {
	// URLs are the REST endpoints of one or more nodes of one cluster,
	// such as "http://127.0.0.1:8080". Requests go to one node at a time
	// and fail over to the next.
	URLs []string
	// GRPCAddrs are the nodes' gRPC endpoints ("host:port"), one per URL,
	// in the same order; empty means each URL's host with DefaultGRPCPort.
	GRPCAddrs []string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// Collection is the collection name; it must start with a capital
	// letter. Default DefaultCollection.
	Collection string
	// Replicas is the replication factor of a collection this package
	// creates (an existing collection keeps its own). Default 1.
	Replicas int
	// WriteConsistency and ReadConsistency are Weaviate consistency levels
	// (ONE, QUORUM, ALL); defaults DefaultWriteConsistency and
	// DefaultReadConsistency.
	WriteConsistency, ReadConsistency string
	// Timeout bounds each request to a node; default DefaultTimeout.
	Timeout time.Duration
	// EF is the size of HNSW's candidate list during a search (Weaviate's
	// ef): larger is slower and finds more of the true nearest
	// neighbours. Open sets it on the collection (new or existing) when it
	// is not 0; -1 means Weaviate's dynamic default (8×k, at least 100).
	// At 100k papers of 512 dimensions (BenchmarkLarge) that default
	// finds all of the exact top 10 for held-out papers, 99.9 % for
	// stored papers and 30 % for random directions (no cluster near
	// them); ef 512 raises the last to 68 % at 2.7 times the latency.
	// Default DefaultEF.
	EF int
	// MaxResults is the server's QUERY_MAXIMUM_RESULTS; default
	// DefaultMaxResults. List pages past it with a range filter instead
	// of an offset.
	MaxResults int
	// Logger receives failover and schema messages; nil means
	// slog.Default().
	Logger *slog.Logger
}

// node is one cluster node's client.
type node struct {
	url    string
	client *wv.Client
}

// Store is a Weaviate collection of papers; see the package documentation.
// It is safe for concurrent use.
type Store struct {
	nodes      []*node
	cur        atomic.Int32 // index of the node that last answered
	class      string
	wcl, rcl   string
	timeout    time.Duration
	maxResults int
	log        *slog.Logger
	flatCutoff int // the collection's flatSearchCutoff
}

// Open connects to the cluster and creates the collection if it is missing.
// It fails with an errs.Unavailable error when no node answers, and with an
// errs.Invalid one for a bad Config or a collection of that name that was
// not made by this package.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.URLs) == 0 {
		return nil, errs.Errorf(errs.Invalid, "weaviate: no URL given")
	}
	if len(cfg.GRPCAddrs) != 0 && len(cfg.GRPCAddrs) != len(cfg.URLs) {
		return nil, errs.Errorf(errs.Invalid, "weaviate: %d gRPC addresses for %d URLs", len(cfg.GRPCAddrs), len(cfg.URLs))
	}
	if cfg.Collection == "" {
		cfg.Collection = DefaultCollection
	}
	if !validClass(cfg.Collection) {
		return nil, errs.Errorf(errs.Invalid, "weaviate: collection name %q must be a capital letter followed by letters, digits or _", cfg.Collection)
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.WriteConsistency == "" {
		cfg.WriteConsistency = DefaultWriteConsistency
	}
	if cfg.ReadConsistency == "" {
		cfg.ReadConsistency = DefaultReadConsistency
	}
	for _, cl := range []string{cfg.WriteConsistency, cfg.ReadConsistency} {
		switch cl {
		case "ONE", "QUORUM", "ALL":
		default:
			return nil, errs.Errorf(errs.Invalid, "weaviate: consistency level %q is not ONE, QUORUM or ALL", cl)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = DefaultMaxResults
	}
	if cfg.EF == 0 {
		cfg.EF = DefaultEF
	}
	if cfg.EF < -1 {
		return nil, errs.Errorf(errs.Invalid, "weaviate: ef %d must be positive, or -1 for Weaviate's dynamic default", cfg.EF)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{
		class:      cfg.Collection,
		wcl:        cfg.WriteConsistency,
		rcl:        cfg.ReadConsistency,
		timeout:    cfg.Timeout,
		maxResults: cfg.MaxResults,
		log:        cfg.Logger,
	}
	for i, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errs.Errorf(errs.Invalid, "weaviate: URL %q is not http(s)://host[:port]", raw)
		}
		grpcAddr := net.JoinHostPort(u.Hostname(), strconv.Itoa(DefaultGRPCPort))
		if len(cfg.GRPCAddrs) != 0 {
			grpcAddr = cfg.GRPCAddrs[i]
		}
		headers := map[string]string{}
		if cfg.APIKey != "" {
			headers["Authorization"] = "Bearer " + cfg.APIKey
		}
		c, err := wv.NewClient(wv.Config{
			Host:       u.Host,
			Scheme:     u.Scheme,
			Headers:    headers,
			Timeout:    cfg.Timeout,
			GrpcConfig: &wvgrpc.Config{Host: grpcAddr, Secured: u.Scheme == "https"},
		})
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "weaviate: cannot make a client for %s", raw)
		}
		s.nodes = append(s.nodes, &node{url: raw, client: c})
	}
	if err := s.ensureCollection(ctx, cfg.Replicas, cfg.EF); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases nothing today; it is there so that callers can treat the
// Store like the embedded one.
func (s *Store) Close() error { return nil }

// Collection returns the collection's name.
func (s *Store) Collection() string { return s.class }

func validClass(name string) bool {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// idNamespace is the UUID namespace of ObjectID.
var idNamespace = uuid.MustParse("5b7e4a0c-3f2d-4f43-9a51-7265636f6d6d")

// ObjectID returns the UUID of the object that holds paper id: a
// version-5 UUID of id in a namespace of recommend's own.
func ObjectID(id string) string {
	return uuid.NewSHA1(idNamespace, []byte(id)).String()
}

// part returns the part property of paper id.
func part(id string) int64 {
	h := sha1.Sum([]byte(id))
	return int64(binary.BigEndian.Uint32(h[:4]) % Parts)
}

// do runs fn against the node that last answered and, when that fails
// with an error worth retrying elsewhere, against the others in turn.
func (s *Store) do(ctx context.Context, what string, fn func(ctx context.Context, n *node) error) error {
	start := int(s.cur.Load())
	var last error
	for i := range s.nodes {
		k := (start + i) % len(s.nodes)
		n := s.nodes[k]
		err := fn(ctx, n)
		if err == nil {
			if i > 0 {
				s.cur.Store(int32(k))
				s.log.Warn("weaviate: failed over to another node", "op", what, "node", n.url, "after", last)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("weaviate: %s: %w", what, ctx.Err())
		}
		if !retryable(err) {
			return classify(what, err)
		}
		last = err
		if len(s.nodes) > 1 {
			s.log.Warn("weaviate: node failed; trying the next", "op", what, "node", n.url, "err", err)
		}
	}
	return errs.Wrap(errs.Unavailable, last, "the Weaviate cluster cannot be reached (%s: no node of %d answered)", what, len(s.nodes))
}

// retryable reports whether err means "this node cannot answer now" rather
// than "the request is wrong".
func retryable(err error) bool {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) {
		if we.IsUnexpectedStatusCode {
			return we.StatusCode >= 500
		}
		// Transport errors: connection refused or reset, timeouts.
		return we.DerivedFromError != nil && !errors.Is(we.DerivedFromError, context.Canceled)
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted:
			return true
		}
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se *serverError
	return errors.As(err, &se)
}

// serverError is an error the server reported inside a successful answer
// (a GraphQL error, a failed object of a batch) that another node may not
// have: a replica that could not be reached.
type serverError struct{ msg string }

func (e *serverError) Error() string { return e.msg }

// replicaTrouble reports whether a server message is about replicas or
// nodes that cannot be reached, as opposed to a bad request.
func replicaTrouble(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"consistency level", "replica", "connection refused", "no such host", "not ready", "unavailable", "context deadline", "timeout", "shutting down", "not found: node", "leader"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// tooLarge reports whether err is a gRPC reply over the client's limit.
func tooLarge(err error) bool {
	return status.Code(err) == codes.ResourceExhausted || strings.Contains(err.Error(), "larger than max")
}

// classify turns a non-retryable client error into one with an errs code.
func classify(what string, err error) error {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) && we.IsUnexpectedStatusCode {
		switch {
		case we.StatusCode == 401 || we.StatusCode == 403:
			return errs.Wrap(errs.Unavailable, err, "Weaviate refused the credentials (%s)", what)
		case we.StatusCode == 422 || we.StatusCode == 400:
			return errs.Wrap(errs.Invalid, err, "Weaviate rejected the request (%s): %s", what, strings.TrimSpace(we.Msg))
		}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unauthenticated, codes.PermissionDenied:
			return errs.Wrap(errs.Unavailable, err, "Weaviate refused the credentials (%s)", what)
		case codes.InvalidArgument:
			return errs.Wrap(errs.Invalid, err, "Weaviate rejected the request (%s): %s", what, st.Message())
		}
	}
	return fmt.Errorf("weaviate: %s: %w", what, err)
}

// schemaProps are the collection's properties.
func schemaProps() []*models.Property {
	t, f := true, false
	prop := func(name, typ, tok string, filterable, searchable bool) *models.Property {
		p := &models.Property{Name: name, DataType: []string{typ}, IndexFilterable: &f, IndexSearchable: &f}
		if filterable {
			p.IndexFilterable = &t
		}
		if searchable {
			p.IndexSearchable = &t
		}
		if typ == "text" || typ == "text[]" {
			p.Tokenization = tok
		}
		return p
	}
	dateProp := prop(propDateKey, "int", "", true, false)
	dateProp.IndexRangeFilters = &t
	return []*models.Property{
		prop(propID, "text", "field", true, false),
		prop(propTitle, "text", "word", false, true),
		prop(propAbstract, "text", "word", false, true),
		prop(propAuthors, "text[]", "word", false, false),
		prop(propAuthorCount, "int", "", false, false),
		prop(propOrganization, "text", "word", false, false),
		prop(propPublished, "text", "field", false, false),
		prop(propCategories, "text[]", "field", false, false),
		prop(propURL, "text", "field", false, false),
		prop(propDOI, "text", "field", false, false),
		prop(propModel, "text", "field", true, false),
		prop(propPart, "int", "", true, false),
		prop(propKey, "text", "field", true, false),
		dateProp,
	}
}

// ensureCollection creates the collection if missing, checks that an
// existing one has this package's properties, and reads its settings.
func (s *Store) ensureCollection(ctx context.Context, replicas, ef int) error {
	var class *models.Class
	err := s.do(ctx, "read the schema", func(ctx context.Context, n *node) error {
		c, err := n.client.Schema().ClassGetter().WithClassName(s.class).Do(ctx)
		var we *fault.WeaviateClientError
		if errors.As(err, &we) && we.IsUnexpectedStatusCode && we.StatusCode == 404 {
			return nil
		}
		class = c
		return err
	})
	if err != nil {
		return err
	}
	if class == nil {
		want := &models.Class{
			Class:           s.class,
			Description:     "Research papers stored by recommend (github.com/recommend-dev/recommend)",
			Vectorizer:      "none",
			VectorIndexType: "hnsw",
			VectorIndexConfig: map[string]any{
				"distance":                "cosine",
				"skipDefaultQuantization": true,
				"ef":                      ef,
			},
			ReplicationConfig: &models.ReplicationConfig{
				Factor:           int64(replicas),
				AsyncEnabled:     replicas > 1,
				DeletionStrategy: models.ReplicationConfigDeletionStrategyTimeBasedResolution,
			},
			Properties: schemaProps(),
		}
		err := s.do(ctx, "create the collection", func(ctx context.Context, n *node) error {
			return n.client.Schema().ClassCreator().WithClass(want).Do(ctx)
		})
		if err != nil {
			// Another process may have created it meanwhile.
			if errs.Code(err) != errs.Invalid || !strings.Contains(strings.ToLower(err.Error()), "already exists") {
				return fmt.Errorf("weaviate: create collection %s: %w", s.class, err)
			}
		} else {
			s.log.Info("weaviate: created collection", "collection", s.class, "replicas", replicas)
		}
		err = s.do(ctx, "read the schema", func(ctx context.Context, n *node) error {
			c, err := n.client.Schema().ClassGetter().WithClassName(s.class).Do(ctx)
			class = c
			return err
		})
		if err != nil {
			return err
		}
	}
	have := map[string]string{}
	for _, p := range class.Properties {
		have[p.Name] = strings.Join(p.DataType, ",")
	}
	for _, p := range schemaProps() {
		if have[p.Name] != p.DataType[0] {
			return errs.Errorf(errs.Invalid, "weaviate: collection %s exists but was not made by recommend: property %q is %q, want %q", s.class, p.Name, have[p.Name], p.DataType[0])
		}
	}
	if class.Vectorizer != "none" && class.Vectorizer != "" {
		return errs.Errorf(errs.Invalid, "weaviate: collection %s has vectorizer %q; recommend needs %q", s.class, class.Vectorizer, "none")
	}
	s.flatCutoff = 0
	m, ok := class.VectorIndexConfig.(map[string]any)
	if !ok {
		return fmt.Errorf("weaviate: collection %s: unexpected vector index config %T", s.class, class.VectorIndexConfig)
	}
	if d, ok := m["distance"].(string); ok && d != "cosine" {
		return errs.Errorf(errs.Invalid, "weaviate: collection %s uses distance %q; recommend needs cosine", s.class, d)
	}
	if v, ok := m["flatSearchCutoff"].(float64); ok {
		s.flatCutoff = int(v)
	}
	if have, _ := m["ef"].(float64); int(have) != ef {
		m["ef"] = ef
		err := s.do(ctx, "set ef", func(ctx context.Context, n *node) error {
			return n.client.Schema().ClassUpdater().WithClass(class).Do(ctx)
		})
		if err != nil {
			return fmt.Errorf("weaviate: collection %s: set ef from %v to %d: %w", s.class, have, ef, err)
		}
		s.log.Info("weaviate: set the collection's HNSW ef", "collection", s.class, "from", have, "to", ef)
	}
	return nil
}
