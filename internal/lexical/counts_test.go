package lexical

import (
	"math/rand/v2"
	"testing"
)

// TestCountTable checks the table against a map under random increments
// and decrements, with keys that collide in small tables, counts past the
// 16-bit slot limit, and shrinking.
func TestCountTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tab countTable
	model := map[uint64]uint32{}
	keys := make([]uint64, 3000)
	for i := range keys {
		keys[i] = r.Uint64() & (1<<48 - 1)
	}
	keys[0] = 0 // the zero key is a valid key
	check := func(stage string) {
		t.Helper()
		if tab.len() != len(model) {
			t.Fatalf("%s: len = %d, want %d", stage, tab.len(), len(model))
		}
		for _, k := range keys {
			if got, want := tab.get(k), model[k]; got != want {
				t.Fatalf("%s: get(%x) = %d, want %d", stage, k, got, want)
			}
		}
	}
	for range 40000 {
		k := keys[r.IntN(len(keys))]
		if r.IntN(3) > 0 {
			if r.IntN(2) == 0 {
				tab.inc(k)
			} else {
				tab.incAll([]uint64{k}) // one key of a group
			}
			model[k]++
		} else if model[k] > 0 {
			tab.dec(k)
			if model[k]--; model[k] == 0 {
				delete(model, k)
			}
		} else {
			tab.dec(k) // absent: no effect
		}
	}
	check("random")
	// A count past 0xffff and back.
	hot := keys[1]
	for range 70000 {
		tab.inc(hot)
		model[hot]++
	}
	check("big count")
	for range 70000 {
		tab.dec(hot)
		if model[hot]--; model[hot] == 0 {
			delete(model, hot)
		}
	}
	check("big count back")
	// Remove everything: the table shrinks and stays correct.
	for k, c := range model {
		for range c {
			tab.dec(k)
		}
		delete(model, k)
	}
	check("emptied")
	if len(tab.slots) > countMinSize*2 {
		t.Errorf("emptied table kept %d slots", len(tab.slots))
	}
}

// TestCountTableIncAll checks incAll against a map with groups of keys
// (repeats included) of every length around the look-ahead group size.
func TestCountTableIncAll(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var tab countTable
	model := map[uint64]uint32{}
	for n := range 3 * incGroup {
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = r.Uint64N(500) << 20 // repeats within and across groups
			model[keys[i]]++
		}
		tab.incAll(keys)
	}
	if tab.len() != len(model) {
		t.Fatalf("len = %d, want %d", tab.len(), len(model))
	}
	for k, want := range model {
		if got := tab.get(k); got != want {
			t.Fatalf("get(%x) = %d, want %d", k, got, want)
		}
	}
}
