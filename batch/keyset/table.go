package keyset

import (
	"math"
	"math/bits"
)

// table is an in-memory set of digests with the row of each, built to be
// small: 20 bytes an entry in flat, pointer-free arrays (the garbage
// collector never scans them), split into shards that each grow on their
// own. A single flat table would, when it doubles, hold its old and new
// arrays at once, and would spend half its life half empty; a Go map of the
// same entries costs 28 to 45 bytes a key depending on where the count
// falls. The shards start at staggered sizes, so that they grow at
// different counts: the whole stays about 0.7 full whatever the count
// (about 29 bytes a key), and a growth copies only one shard.
type table struct {
	shards [numShards]shard
	n      int
}

const (
	numShards = 256
	// maxLoad is how full a shard gets before it doubles; linear
	// probing stays short below it.
	maxLoad = 0.85
	// firstCap is the smallest shard's first capacity.
	firstCap = 64
	// growBy/2 is how much a shard grows: by half, not double, so that the
	// shards are fuller on average (0.85 × 0.82 = 0.7).
	growBy = 3
)

// shard is an open-addressing table with linear probing. rows[i] is the
// row plus one, so 0 marks an empty slot.
type shard struct {
	digs []Digest
	rows []uint32
	n    int
}

func newTable() *table {
	t := &table{}
	for i := range t.shards {
		// Capacities spread evenly on a log scale over one growth.
		c := int(math.Ceil(firstCap * math.Pow(growBy/2.0, float64(i)/numShards)))
		t.shards[i] = shard{digs: make([]Digest, c), rows: make([]uint32, c)}
	}
	return t
}

// halves splits a Digest into the bits that pick the shard and the bits
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
	for i := slot(b, len(s.rows)); ; i++ {
		if i == len(s.rows) {
			i = 0
		}
		if s.rows[i] == 0 {
			return 0, false
		}
		if s.digs[i] == d {
			return int(s.rows[i]) - 1, true
		}
	}
}

// insert adds d, which must not be in the table, at row.
func (t *table) insert(d Digest, row int) {
	a, b := halves(d)
	s := &t.shards[a>>56]
	if float64(s.n+1) > maxLoad*float64(len(s.rows)) {
		s.grow()
	}
	s.put(d, b, uint32(row)+1)
	t.n++
}

func (s *shard) put(d Digest, b uint64, row uint32) {
	for i := slot(b, len(s.rows)); ; i++ {
		if i == len(s.rows) {
			i = 0
		}
		if s.rows[i] == 0 {
			s.digs[i], s.rows[i] = d, row
			s.n++
			return
		}
	}
}

func (s *shard) grow() {
	old := *s
	c := len(old.rows) * growBy / 2
	*s = shard{digs: make([]Digest, c), rows: make([]uint32, c)}
	for i, r := range old.rows {
		if r != 0 {
			_, b := halves(old.digs[i])
			s.put(old.digs[i], b, r)
		}
	}
}
