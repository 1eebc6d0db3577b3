package lexical

// bigramBits is the width of each unigram term in a bigram key: bigrams
// are only formed from the first 2^24 unigram terms.
const bigramBits = 24

const bigramMaxTerm = 1<<bigramBits - 1

// bigramKey is the 48-bit key of the bigram of unigram terms a and b
// (both at most bigramMaxTerm).
func bigramKey(a, b uint32) uint64 { return uint64(a)<<bigramBits | uint64(b) }

// bigramParts returns the unigram terms of a bigram key.
func bigramParts(k uint64) (a, b uint32) {
	return uint32(k >> bigramBits), uint32(k & bigramMaxTerm)
}

// countTable counts 48-bit keys: an open-addressing hash table (linear
// probing, backward-shift deletion) of uint64 slots holding key<<16|count,
// 0 for an empty slot. A count that reaches 0xffff is kept in big instead.
// At the usual load it takes about 11 bytes per key, against about 28 for
// a Go map[uint64]uint32.
type countTable struct {
	slots []uint64
	n     int
	big   map[uint64]uint32
	sink  uint64 // keeps incAll's early reads from being optimised away
}

const (
	countMax     = 0xffff
	countMinSize = 64
)

// hashKey mixes a key's bits (murmur3's finaliser): its low bits pick a
// slot of a countTable, its top bits a shard of a shardedCounts.
func hashKey(key uint64) uint64 {
	x := key
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func (t *countTable) home(key uint64) int {
	return int(hashKey(key) & uint64(len(t.slots)-1))
}

// find returns the slot of key and true, or the empty slot where it would
// go and false.
func (t *countTable) find(key uint64) (int, bool) {
	if len(t.slots) == 0 {
		return -1, false
	}
	return t.findFrom(key, t.home(key))
}

// findFrom is find from slot i, the key's home.
func (t *countTable) findFrom(key uint64, i int) (int, bool) {
	mask := len(t.slots) - 1
	for ; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return i, false
		}
		if s>>16 == key {
			return i, true
		}
	}
}

// get returns the count of key.
func (t *countTable) get(key uint64) uint32 {
	i, ok := t.find(key)
	if !ok {
		return 0
	}
	c := uint32(t.slots[i] & countMax)
	if c == countMax {
		return t.big[key]
	}
	return c
}

// inc adds one to the count of key.
func (t *countTable) inc(key uint64) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(countMinSize, 2*len(t.slots)))
	}
	i, ok := t.find(key)
	t.incAt(key, i, ok)
}

// incGroup is how many keys incAll looks up at once.
const incGroup = 16

// incAll adds one to the count of each of keys. It grows the table once
// for all of them, then reads the home slots of incGroup keys at a time
// before it updates any: the reads, independent of each other, overlap in
// the memory system instead of waiting for one cache miss after another.
func (t *countTable) incAll(keys []uint64) {
	if len(keys) == 0 {
		return
	}
	size := max(countMinSize, len(t.slots))
	for (t.n+len(keys))*4 > size*3 {
		size *= 2
	}
	if size != len(t.slots) {
		t.resize(size)
	}
	var homes [incGroup]int
	var sink uint64
	for len(keys) > 0 {
		g := keys[:min(incGroup, len(keys))]
		keys = keys[len(g):]
		for j, k := range g {
			h := t.home(k)
			homes[j] = h
			sink += t.slots[h]
		}
		for j, k := range g {
			i, ok := t.findFrom(k, homes[j])
			t.incAt(k, i, ok)
		}
	}
	t.sink = sink
}

// incAt adds one to the count of key, found (ok) in slot i or to be put
// there.
func (t *countTable) incAt(key uint64, i int, ok bool) {
	if !ok {
		t.slots[i] = key<<16 | 1
		t.n++
		return
	}
	switch c := t.slots[i] & countMax; {
	case c == countMax:
		t.big[key]++
	case c+1 == countMax:
		if t.big == nil {
			t.big = map[uint64]uint32{}
		}
		t.big[key] = countMax
		t.slots[i]++
	default:
		t.slots[i]++
	}
}

// dec subtracts one from the count of key, removing it at 0.
func (t *countTable) dec(key uint64) {
	i, ok := t.find(key)
	if !ok {
		return
	}
	switch c := t.slots[i] & countMax; {
	case c == countMax:
		if t.big[key]--; t.big[key] < countMax {
			delete(t.big, key)
			t.slots[i]--
		}
	case c > 1:
		t.slots[i]--
	default:
		t.remove(i)
		if len(t.slots) > countMinSize && t.n*8 < len(t.slots) {
			t.resize(len(t.slots) / 2)
		}
	}
}

// remove empties slot i, shifting later entries of its probe run back.
func (t *countTable) remove(i int) {
	mask := len(t.slots) - 1
	j := i
	for {
		j = (j + 1) & mask
		s := t.slots[j]
		if s == 0 {
			break
		}
		k := t.home(s >> 16)
		// Move s to i if i lies cyclically in [k, j).
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			t.slots[i] = s
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
}

func (t *countTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	mask := size - 1
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := t.home(s >> 16)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// len returns the number of keys.
func (t *countTable) len() int { return t.n }

// bytes returns the table's size in memory.
func (t *countTable) bytes() int64 { return int64(len(t.slots))*8 + int64(len(t.big))*40 }

// countShardBits sets the number of shards of a shardedCounts.
const countShardBits = 8

// countShards is the number of shards of a shardedCounts.
const countShards = 1 << countShardBits

// shardedCounts is a countTable split in countShards shards by the top
// bits of the key's hash. A bulk insert sorts its keys by shard and fills
// the shards on every core, one shard at a time, so that a shard's slots
// stay in cache; and a table that grows copies one shard at a time, not
// the whole table.
type shardedCounts struct {
	shards [countShards]countTable
}

// shardOf returns the shard of key.
func shardOf(key uint64) int { return int(hashKey(key) >> (64 - countShardBits)) }

func (s *shardedCounts) get(key uint64) uint32 { return s.shards[shardOf(key)].get(key) }
func (s *shardedCounts) inc(key uint64)        { s.shards[shardOf(key)].inc(key) }
func (s *shardedCounts) dec(key uint64)        { s.shards[shardOf(key)].dec(key) }

// len returns the number of keys.
func (s *shardedCounts) len() int {
	n := 0
	for i := range s.shards {
		n += s.shards[i].n
	}
	return n
}

// bytes returns the table's size in memory.
func (s *shardedCounts) bytes() int64 {
	var n int64
	for i := range s.shards {
		n += s.shards[i].bytes()
	}
	return n
}
