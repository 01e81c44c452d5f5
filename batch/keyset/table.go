package keyset

import (
	"math"
	"math/bits"
)

// table is an in-memory set of digests with the row of each, built to be
// small: 16 bytes an entry in one flat, pointer-free array (the garbage
// collector never scans it), split into shards that each grow on their own.
// An entry keeps 96 of the digest's 128 bits (the shard, picked by 8 more,
// adds those): two different keys of a million share them with a
// probability of about n²/2¹⁰⁵, one in 10¹⁹. The row sits next to the bits
// it belongs to, so a probe touches one cache line, not two. A single flat
// table would, when it doubles, hold its old and new arrays at once, and
// would spend half its life half empty; a Go map of the same entries costs
// 28 to 45 bytes a key depending on where the count falls. The shards start
// at staggered sizes, so that they grow at different counts: the whole
// stays about 0.7 full whatever the count (about 23 bytes a key), and a
// growth copies only one shard.
type table struct {
	shards [numShards]shard
	n      int
}

const (
	numShards = 256
	// maxLoad is how full a shard gets before it grows; linear probing
	// stays short below it.
	maxLoad = 0.85
	// firstCap is the smallest shard's first capacity.
	firstCap = 64
	// growBy/2 is how much a shard grows: by half, not double, so that the
	// shards are fuller on average (0.85 × 0.82 = 0.7).
	growBy = 3
)

// entry is one key: b, the half of its digest that picks the slot; a, the
// low 32 bits of the half that picks the shard (by its top 8 bits); and its
// row plus one, so that 0 marks an empty slot.
type entry struct {
	b   uint64
	a   uint32
	row uint32
}

// shard is an open-addressing table with linear probing.
type shard struct {
	slots []entry
	n     int
}

func newTable() *table {
	t := &table{}
	for i := range t.shards {
		// Capacities spread evenly on a log scale over one growth.
		c := int(math.Ceil(firstCap * math.Pow(growBy/2.0, float64(i)/numShards)))
		t.shards[i] = shard{slots: make([]entry, c)}
	}
	return t
}

// halves splits a digest into the bits that pick the shard and the bits
// that pick the slot, so that the two are independent.
func halves(d Digest) (uint64, uint64) {
	var a, b uint64
	for i := 7; i >= 0; i-- {
		a = a<<8 | uint64(d[i])
		b = b<<8 | uint64(d[8+i])
	}
	return a, b
}

// slot maps h onto [0, n) without division (Lemire's multiply-shift), so
// capacities need not be powers of two.
func slot(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// lookup returns the row stored for d, or false.
func (t *table) lookup(d Digest) (int, bool) {
	a, b := halves(d)
	s := &t.shards[a>>56]
	for i := slot(b, len(s.slots)); ; i++ {
		if i == len(s.slots) {
			i = 0
		}
		e := &s.slots[i]
		if e.row == 0 {
			return 0, false
		}
		if e.b == b && e.a == uint32(a) {
			return int(e.row) - 1, true
		}
	}
}

// insert adds d, which must not be in the table, at row.
func (t *table) insert(d Digest, row int) {
	a, b := halves(d)
	s := &t.shards[a>>56]
	if float64(s.n+1) > maxLoad*float64(len(s.slots)) {
		s.grow()
	}
	s.put(entry{b: b, a: uint32(a), row: uint32(row) + 1})
	t.n++
}

func (s *shard) put(e entry) {
	for i := slot(e.b, len(s.slots)); ; i++ {
		if i == len(s.slots) {
			i = 0
		}
		if s.slots[i].row == 0 {
			s.slots[i] = e
			s.n++
			return
		}
	}
}

func (s *shard) grow() {
	old := s.slots
	*s = shard{slots: make([]entry, len(old)*growBy/2)}
	for _, e := range old {
		if e.row != 0 {
			s.put(e)
		}
	}
}
