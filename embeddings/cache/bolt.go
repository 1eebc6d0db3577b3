package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"go.etcd.io/bbolt"
)

// Bolt is a Store in one bucket of a bbolt database, so that the cache can
// live in the service's own data file and outlive restarts. It does not own
// the database: closing it is the caller's business.
//
// Keys are the model name (length-prefixed), the dimensions and the text's
// SHA-256, so the entries of one model sit together; values are the vector
// as little-endian float32s. Get reads in one read transaction and Put
// writes in one write transaction per call.
type Bolt struct {
	db     *bbolt.DB
	bucket []byte
}

// NewBolt returns a Store in bucket of db, creating the bucket if the
// database is writable and the bucket is missing.
func NewBolt(db *bbolt.DB, bucket string) (*Bolt, error) {
	if db == nil {
		return nil, errors.New("embeddings: cache: no database")
	}
	if bucket == "" {
		return nil, errors.New("embeddings: cache: empty bucket name")
	}
	b := &Bolt{db: db, bucket: []byte(bucket)}
	var exists bool
	if err := db.View(func(tx *bbolt.Tx) error {
		exists = tx.Bucket(b.bucket) != nil
		return nil
	}); err != nil {
		return nil, fmt.Errorf("embeddings: cache: reading %s: %w", db.Path(), err)
	}
	if exists {
		return b, nil
	}
	if db.IsReadOnly() {
		return nil, fmt.Errorf("embeddings: cache: bucket %q is not in %s, which is open read-only", bucket, db.Path())
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(b.bucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("embeddings: cache: creating bucket %q in %s: %w", bucket, db.Path(), err)
	}
	return b, nil
}

// Get implements Store. A stored value that is not a vector of the key's
// size is reported as a miss.
func (s *Bolt) Get(ctx context.Context, keys []Key) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, len(keys))
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(s.bucket)
		if b == nil {
			return fmt.Errorf("bucket %q is gone", s.bucket)
		}
		var buf []byte
		for i, k := range keys {
			buf = appendKey(buf[:0], k)
			v, ok := decodeVector(b.Get(buf))
			if ok && len(v) == k.Dimensions {
				out[i] = v // decodeVector copies out of bbolt's memory
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddings: cache: reading %s: %w", s.db.Path(), err)
	}
	return out, nil
}

// Put implements Store, in one write transaction.
func (s *Bolt) Put(ctx context.Context, keys []Key, vecs [][]float32) error {
	if len(keys) != len(vecs) {
		return fmt.Errorf("embeddings: cache: %d keys for %d vectors", len(keys), len(vecs))
	}
	if len(keys) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(s.bucket)
		if b == nil {
			return fmt.Errorf("bucket %q is gone", s.bucket)
		}
		for i, k := range keys {
			// bbolt keeps the slices until the commit: fresh ones each time.
			if err := b.Put(appendKey(nil, k), encodeVector(vecs[i])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embeddings: cache: writing %d vectors to %s: %w", len(keys), s.db.Path(), err)
	}
	return nil
}

// appendKey appends k's bytes to buf: uvarint(len(model)), model,
// uvarint(dims), SHA-256.
func appendKey(buf []byte, k Key) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(k.Model)))
	buf = append(buf, k.Model...)
	buf = binary.AppendUvarint(buf, uint64(k.Dimensions))
	return append(buf, k.Hash[:]...)
}

// encodeVector returns v as little-endian float32s.
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decodeVector reads little-endian float32s into a new slice. It reports
// false for nil (no value) and for a length that is not a multiple of 4.
func decodeVector(b []byte) ([]float32, bool) {
	if b == nil || len(b)%4 != 0 {
		return nil, false
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, true
}
