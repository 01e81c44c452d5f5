package keyset

import (
	"fmt"
	"strings"
	"testing"
)

func TestSet(t *testing.T) {
	for _, spill := range []int{3, 1000} {
		t.Run(fmt.Sprintf("spill=%d", spill), func(t *testing.T) {
			s := New(t.TempDir(), spill)
			defer s.Close()
			for i := 0; i < 50; i++ {
				if first, dup, err := s.Add(fmt.Sprintf("User%d@Example.com", i), i+2); err != nil || dup {
					t.Fatalf("add %d: first=%d dup=%v err=%v", i, first, dup, err)
				}
			}
			if s.Spilled() != (spill < 50) {
				t.Fatalf("spilled = %v with spill %d", s.Spilled(), spill)
			}
			for i := 0; i < 50; i++ {
				first, dup, err := s.Add(fmt.Sprintf("  user%d@example.COM ", i), 100+i)
				if err != nil || !dup || first != i+2 {
					t.Fatalf("re-add %d: first=%d dup=%v err=%v, want first %d", i, first, dup, err, i+2)
				}
			}
		})
	}
}

func TestCommitBoundary(t *testing.T) {
	s := New(t.TempDir(), 1)
	defer s.Close()
	n := commitEvery*2 + 7
	for i := 0; i < n; i++ {
		if _, dup, err := s.Add(fmt.Sprint(i), i); err != nil || dup {
			t.Fatalf("add %d: %v %v", i, dup, err)
		}
	}
	if first, dup, err := s.Add("0", 99); err != nil || !dup || first != 0 {
		t.Fatalf("after commits: first=%d dup=%v err=%v", first, dup, err)
	}
}

// TestTableGrowth fills the in-memory table through many doublings of
// every shard and checks that each key keeps its own row and that keys
// never added are not found.
func TestTableGrowth(t *testing.T) {
	s := New(t.TempDir(), 1<<30)
	defer s.Close()
	const n = 200000
	for i := 0; i < n; i++ {
		if _, dup, err := s.Add(fmt.Sprintf("k%d", i), i); err != nil || dup {
			t.Fatalf("add %d: dup=%v err=%v", i, dup, err)
		}
	}
	if s.Spilled() {
		t.Fatal("spilled")
	}
	for i := 0; i < n; i++ {
		if first, dup, err := s.Add(fmt.Sprintf("K%d", i), n+i); err != nil || !dup || first != i {
			t.Fatalf("re-add %d: first=%d dup=%v err=%v", i, first, dup, err)
		}
		if _, ok := s.mem.lookup(s.digest(fmt.Sprintf("other%d", i))); ok {
			t.Fatalf("other%d found", i)
		}
	}
}

// TestNormalDigest checks that the fast digest of a key agrees with the
// digest of its normal form, for ASCII and other keys.
func TestNormalDigest(t *testing.T) {
	s := New(t.TempDir(), 0)
	for _, k := range []string{"", "a", " User@Example.COM\t", "ZOË@example.com", "Zoë@Example.com ", strings.Repeat("AbC", 100), "İstanbul"} {
		if got, want := s.normalDigest(k), s.digest(Normalize(k)); got != want {
			t.Errorf("%q: digest %x, want %x", k, got, want)
		}
	}
	if first, dup, _ := func() (int, bool, error) {
		s.Add("Zoë@Example.com", 2)
		return s.Add(" ZOË@EXAMPLE.COM ", 3)
	}(); !dup || first != 2 {
		t.Errorf("ZOË after Zoë: first=%d dup=%v", first, dup)
	}
}

// TestTableKeepsBothHalves: entries that share the half picking the slot
// (and the shard) but differ in the other are told apart.
func TestTableKeepsBothHalves(t *testing.T) {
	tb := newTable()
	var d1, d2 Digest
	for i := 8; i < 16; i++ {
		d1[i], d2[i] = byte(i), byte(i) // the same b
	}
	d1[7], d2[7] = 0x42, 0x42 // the same shard
	d1[0], d2[0] = 1, 2       // different a
	tb.insert(d1, 10)
	if _, ok := tb.lookup(d2); ok {
		t.Fatal("d2 found before it was added")
	}
	tb.insert(d2, 20)
	for _, c := range []struct {
		d   Digest
		row int
	}{{d1, 10}, {d2, 20}} {
		if row, ok := tb.lookup(c.d); !ok || row != c.row {
			t.Errorf("lookup(%x) = %d, %v; want %d", c.d, row, ok, c.row)
		}
	}
}
