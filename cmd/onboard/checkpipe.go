package main

import (
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/onboardhq/onboard/batch/keyset"
	"github.com/onboardhq/onboard/batch/runner"
	"github.com/onboardhq/onboard/batch/source"
	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
)

// checkBatch is how many rows go to a worker at a time: enough that the
// channels cost nothing per row, few enough that memory stays flat.
const checkBatch = 256

// checked is what check learned about one row before the duplicate-key
// test, which needs the rows in order and so stays with the caller.
type checked struct {
	row *source.Row
	// inputErr is a problem with the row as read; nothing else was done.
	inputErr string
	probs    []mapping.Problem
	errs     []providers.FieldError
	rec      providers.Record
	// key is the row's key, trimmed ("" for none), and keyDigest its
	// hash in the duplicate-key set.
	key       string
	keyDigest keyset.Digest
}

// checker is what checkOne needs; it only reads, so the workers share it.
type checker struct {
	p      *runner.Prepared
	fields *providers.FieldChecker
	seen   *keyset.Set
	keyIdx int
	// recs holds the records of rows already handed to each: a map a
	// row is most of what mapping allocates, and check keeps none.
	recs sync.Pool
	// results holds the result slices (*[]checked) of batches already
	// handed to each, for the same reason.
	results sync.Pool
}

// checkResult is a batch of checked rows, or the error that ended reading.
type checkResult struct {
	rows []checked
	err  error
}

// checkRows reads, maps and validates the rows of p on several goroutines
// (one reads, the others map and validate whole batches) and hands the
// results to each in input order, so that check's report is the same as
// a one-by-one loop's. each returning an error stops everything; so does a
// read error, which checkRows returns. each must not keep c or its record
// past its return: the record is reused for a later row. The keys are
// hashed for seen on the workers; each adds them, in order, with
// seen.AddDigest.
func checkRows(p *runner.Prepared, seen *keyset.Set, each func(c *checked) error) error {
	ck := &checker{
		p:      p,
		fields: providers.NewFieldChecker(p.Desc, p.Plan.OfflineFixed()),
		seen:   seen,
		keyIdx: p.Plan.KeyColumn(),
	}
	done := make(chan struct{})
	type pending struct {
		rows []*source.Row
		out  chan checkResult
	}
	workers := max(runtime.GOMAXPROCS(0), 1)
	order := make(chan chan checkResult, 2*workers+2)
	jobs := make(chan pending)
	var wg sync.WaitGroup
	defer func() {
		close(done)
		wg.Wait()
	}()
	wg.Add(1)
	go func() { // the reader
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		batch := make([]*source.Row, 0, checkBatch)
		send := func() bool {
			out := make(chan checkResult, 1)
			select {
			case order <- out:
			case <-done:
				return false
			}
			select {
			case jobs <- pending{rows: batch, out: out}:
			case <-done:
				return false
			}
			batch = make([]*source.Row, 0, checkBatch)
			return true
		}
		for {
			row, err := p.Src.Next()
			if err == io.EOF {
				if len(batch) > 0 {
					send()
				}
				return
			}
			if err != nil {
				if len(batch) > 0 && !send() {
					return
				}
				out := make(chan checkResult, 1)
				out <- checkResult{err: err}
				select {
				case order <- out:
				case <-done:
				}
				return
			}
			batch = append(batch, row)
			if len(batch) == checkBatch && !send() {
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var res []checked
				if p, ok := ck.results.Get().(*[]checked); ok && cap(*p) >= len(j.rows) {
					res = (*p)[:len(j.rows)]
				} else {
					res = make([]checked, len(j.rows))
				}
				for i, row := range j.rows {
					res[i] = ck.checkOne(row)
				}
				j.out <- checkResult{rows: res}
			}
		}()
	}
	for out := range order {
		r := <-out
		if r.err != nil {
			return r.err
		}
		for i := range r.rows {
			if err := each(&r.rows[i]); err != nil {
				return err
			}
			if rec := r.rows[i].rec; rec != nil {
				ck.recs.Put(rec)
			}
		}
		clear(r.rows) // the rows read, for the collector
		ck.results.Put(&r.rows)
	}
	return nil
}

// checkOne maps and validates one row. It must be safe to call from
// several goroutines at once: the plan, the description, the checkers and
// the provider's Validate only read.
func (ck *checker) checkOne(row *source.Row) checked {
	p := ck.p
	c := checked{row: row}
	if row.Err != nil {
		c.inputErr = row.Err.Error()
		return c
	}
	if err := row.TextError(p.Plan.UsesColumn); err != nil {
		c.inputErr = err.Error()
		return c
	}
	rec, _ := ck.recs.Get().(providers.Record)
	c.rec, c.probs = p.Plan.ApplyOfflineInto(rec, row.Cells)
	if len(c.probs) == 0 {
		c.errs = ck.fields.Check(c.rec)
		c.errs = append(c.errs, p.Provider.Validate(c.rec, p.Job.Options)...)
	}
	if ck.keyIdx < len(row.Cells) {
		if c.key = strings.TrimSpace(row.Cells[ck.keyIdx]); c.key != "" {
			c.keyDigest = ck.seen.Digest(c.key)
		}
	}
	return c
}
