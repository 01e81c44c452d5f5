// Package keyset remembers the keys seen in one input file, to fail a later
// row with the same key ("same Work Email as row 12"), in bounded memory: a
// compact in-memory table up to a count the caller picks, spilled to a
// temporary SQLite file beyond that.
//
// In memory, keys are kept as hashes (hash/maphash, two random seeds; 104
// of their 128 bits are kept), not strings, in flat pointer-free arrays (see
// table): the garbage collector never scans them, and a key costs about 23
// bytes whatever its length (a hundred thousand keys, 2.3 MB; a million,
// 23 MB). Two different keys share what is kept with a probability of about
// n²/2¹⁰⁵: for a million keys, one in 10¹⁹. The table stays when the set spills: only the
// keys after it go to the file, as text, so that a file sorted by its key is
// written in order. The file is slow (a B-tree insert a key, several times
// the cost of everything else check does with a row), so a caller that holds
// little else in memory, like check, keeps more keys in memory (LargeSpill).
package keyset

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"strings"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultSpill is how many keys are kept in memory before spilling: an HR
// file of up to this many people (a few MB of keys) never touches the disk;
// a larger one costs no more memory than that.
const DefaultSpill = 100000

// LargeSpill is the spill count of a caller that holds little else in
// memory (check): a million-row file stays in memory (about 23 MB of keys),
// and a larger one costs no more than 1.2 million keys (about 28 MB).
const LargeSpill = 1200000

// commitEvery bounds a spill transaction.
const commitEvery = 5000

// Set is a set of keys with the row that had each first. It is not safe
// for concurrent use.
type Set struct {
	mem   *table
	spill int
	seeds [2]maphash.Seed

	dir  string
	path string
	db   *sql.DB
	tx   *sql.Tx
	ins  *sql.Stmt
	sel  *sql.Stmt
	inTx int
}

// New returns an empty set that spills to a file in dir ("" for the
// system's temporary folder) after spill keys (0 for DefaultSpill).
func New(dir string, spill int) *Set {
	if spill <= 0 {
		spill = DefaultSpill
	}
	return &Set{mem: newTable(), spill: spill, dir: dir, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// Digest is a key's 128-bit hash, as the set knows it (see Set.Digest).
type Digest [16]byte

func (s *Set) digest(k string) Digest {
	var d Digest
	binary.LittleEndian.PutUint64(d[:8], maphash.String(s.seeds[0], k))
	binary.LittleEndian.PutUint64(d[8:], maphash.String(s.seeds[1], k))
	return d
}

// normalDigest is s.digest(Normalize(key)) without building the lowered
// string when the key is short ASCII (almost every key): check calls Add
// for every row, and the allocation cost more than the hash.
func (s *Set) normalDigest(key string) Digest {
	t := strings.TrimSpace(key)
	var buf [256]byte
	if len(t) > len(buf) {
		return s.digest(Normalize(t))
	}
	b := buf[:len(t)]
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c >= utf8.RuneSelf {
			return s.digest(Normalize(t))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	// maphash.Bytes and maphash.String agree on the same bytes.
	var d Digest
	binary.LittleEndian.PutUint64(d[:8], maphash.Bytes(s.seeds[0], b))
	binary.LittleEndian.PutUint64(d[8:], maphash.Bytes(s.seeds[1], b))
	return d
}

// Normalize is how keys compare: trimmed, case-insensitive.
func Normalize(key string) string { return strings.ToLower(strings.TrimSpace(key)) }

// Add records key at row. When key was seen before, it returns the first
// row and true.
func (s *Set) Add(key string, row int) (int, bool, error) {
	return s.AddDigest(s.Digest(key), key, row)
}

// Digest is the hash by which Add knows key. Unlike Add, it is safe to call
// from several goroutines at once: check hashes its keys on the goroutines
// that validate rows, and only the lookup stays in input order.
func (s *Set) Digest(key string) Digest { return s.normalDigest(key) }

// AddDigest is Add(key, row) for d = s.Digest(key).
func (s *Set) AddDigest(d Digest, key string, row int) (int, bool, error) {
	if first, ok := s.mem.lookup(d); ok {
		return first, true, nil
	}
	if s.db != nil {
		return s.addDisk(Normalize(key), row)
	}
	s.mem.insert(d, row)
	if s.mem.n >= s.spill {
		if err := s.spillToDisk(); err != nil {
			return 0, false, err
		}
	}
	return 0, false, nil
}

func (s *Set) spillToDisk() error {
	f, err := os.CreateTemp(s.dir, "onboard-keys-*.db")
	if err != nil {
		return fmt.Errorf("keyset: %w", err)
	}
	s.path = f.Name()
	f.Close()
	// The file is scratch: no journal, no syncs.
	db, err := sql.Open("sqlite", "file:"+s.path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-2000)")
	if err != nil {
		return fmt.Errorf("keyset: %w", err)
	}
	db.SetMaxOpenConns(1)
	s.db = db
	if _, err := db.Exec(`CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("keyset: %w", err)
	}
	return nil
}

func (s *Set) begin() error {
	if s.tx != nil {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("keyset: %w", err)
	}
	s.tx = tx
	if s.ins, err = tx.Prepare(`INSERT INTO seen(key, row) VALUES(?, ?) ON CONFLICT(key) DO NOTHING`); err != nil {
		return fmt.Errorf("keyset: %w", err)
	}
	if s.sel, err = tx.Prepare(`SELECT row FROM seen WHERE key = ?`); err != nil {
		return fmt.Errorf("keyset: %w", err)
	}
	return nil
}

func (s *Set) addDisk(k string, row int) (int, bool, error) {
	if err := s.begin(); err != nil {
		return 0, false, err
	}
	res, err := s.ins.Exec(k, row)
	if err != nil {
		return 0, false, fmt.Errorf("keyset: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var first int
		if err := s.sel.QueryRow(k).Scan(&first); err != nil {
			return 0, false, fmt.Errorf("keyset: %w", err)
		}
		return first, true, nil
	}
	s.inTx++
	if s.inTx >= commitEvery {
		s.inTx = 0
		err := s.tx.Commit()
		s.tx = nil
		if err != nil {
			return 0, false, fmt.Errorf("keyset: %w", err)
		}
	}
	return 0, false, nil
}

// Spilled reports whether the set lives on disk.
func (s *Set) Spilled() bool { return s.db != nil }

// Close removes the spill file.
func (s *Set) Close() error {
	if s.db == nil {
		return nil
	}
	var errs []error
	if s.tx != nil {
		errs = append(errs, s.tx.Rollback())
	}
	errs = append(errs, s.db.Close(), os.Remove(s.path))
	return errors.Join(errs...)
}
