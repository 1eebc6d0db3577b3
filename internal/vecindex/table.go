package vecindex

import "hash/maphash"

// idTable maps an id to its ordinal. It is an open-addressing hash table
// with linear probing whose slots hold only a 32-bit hash and the ordinal
// (8 bytes a slot), the ids themselves living in the index's rows; this
// costs about 11 bytes an id where a map[string]int32 costs about 40.
// Deletion shifts later entries back, so there are no tombstones. The
// slot's hash is also where the entry belongs, so growing never rehashes a
// string.
type idTable struct {
	seed  maphash.Seed
	slots []uint64 // 0: empty; else hash32<<32 | (ordinal+1)
	count int
}

func newIDTable() idTable {
	return idTable{seed: maphash.MakeSeed(), slots: make([]uint64, 64)}
}

func (t *idTable) hash(id string) uint32 {
	h := maphash.String(t.seed, id)
	return uint32(h) ^ uint32(h>>32)
}

// find returns the ordinal of id, where idAt returns the id of an ordinal.
func (t *idTable) find(id string, idAt func(int32) string) (int32, bool) {
	h := t.hash(id)
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == h {
			if ord := int32(uint32(s)) - 1; idAt(ord) == id {
				return ord, true
			}
		}
	}
}

// insert adds id at ordinal ord; id must not be in the table.
func (t *idTable) insert(id string, ord int32) {
	if (t.count+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.put(uint64(t.hash(id))<<32 | uint64(uint32(ord+1)))
	t.count++
}

func (t *idTable) put(entry uint64) {
	mask := uint32(len(t.slots) - 1)
	for i := uint32(entry>>32) & mask; ; i = (i + 1) & mask {
		if t.slots[i] == 0 {
			t.slots[i] = entry
			return
		}
	}
}

func (t *idTable) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	for _, s := range old {
		if s != 0 {
			t.put(s)
		}
	}
}

// remove deletes id and returns its ordinal.
func (t *idTable) remove(id string, idAt func(int32) string) (int32, bool) {
	h := t.hash(id)
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == h {
			if ord := int32(uint32(s)) - 1; idAt(ord) == id {
				break
			}
		}
		i = (i + 1) & mask
	}
	ord := int32(uint32(t.slots[i])) - 1
	// Backward-shift deletion: move later entries of the cluster into the
	// hole when their home slot is not between the hole and themselves.
	hole := i
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := uint32(t.slots[j]>>32) & mask
		if (j-home)&mask >= (j-hole)&mask {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = 0
	t.count--
	return ord, true
}

func (t *idTable) bytes() int64 { return int64(cap(t.slots)) * 8 }
