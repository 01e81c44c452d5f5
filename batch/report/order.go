package report

// DefaultWindow is how many rows the reorder window spans by default: rows
// finish nearly in order (a row waits behind at most the rows in flight
// and its own retries), so a few thousand is plenty, and at a few hundred
// bytes a row it is a megabyte or two at most.
const DefaultWindow = 4096

// held is a finished row waiting for the rows before it.
type held struct {
	key  int
	file *csvFile
	rec  []string
	row  int // the row number shown (for report.html's groups)
	fail *Failure
}

// reorder puts rows back in input order with bounded memory. Workers
// finish rows out of order; each row has a key that grows with the input
// order (the engine's sequence number, else the row number), and a row
// is written once every key below it has been. Keys may have gaps (the
// reader skips blank lines): when a key arrives a whole window beyond
// the first missing one, the rows before it are written in order anyway,
// so the missing ones come late, out of order, instead of holding
// everything. Memory: one slot per key in the window.
type reorder struct {
	slots []*held // key k waits in slots[k%len(slots)]
	next  int     // the lowest key not yet written; 0 before the first
	count int
	emit  func(*held) error
}

func newReorder(size int, emit func(*held) error) *reorder {
	if size <= 0 {
		size = DefaultWindow
	}
	return &reorder{slots: make([]*held, size), emit: emit}
}

// put takes a finished row and writes every row now in order.
func (o *reorder) put(h *held, first int) error {
	if o.next == 0 {
		o.next = first
	}
	if h.key < o.next {
		return o.emit(h) // late: the window moved on without it
	}
	size := len(o.slots)
	if h.key >= o.next+size {
		if err := o.advance(h.key - size + 1); err != nil {
			return err
		}
	}
	o.slots[h.key%size] = h
	o.count++
	return o.drain()
}

// drain writes the rows waiting at the head of the window.
func (o *reorder) drain() error {
	size := len(o.slots)
	for o.count > 0 {
		h := o.slots[o.next%size]
		if h == nil || h.key != o.next {
			return nil
		}
		if err := o.take(h); err != nil {
			return err
		}
		o.next++
	}
	return nil
}

// advance writes, in order, every waiting row below key to, and moves the
// window's start there.
func (o *reorder) advance(to int) error {
	size := len(o.slots)
	if to-o.next > size {
		// Everything waiting is below to: write it all, in order.
		if err := o.flushAll(); err != nil {
			return err
		}
		o.next = to
		return nil
	}
	for ; o.next < to; o.next++ {
		if h := o.slots[o.next%size]; h != nil && h.key == o.next {
			if err := o.take(h); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushAll writes every waiting row in order (at Close).
func (o *reorder) flushAll() error {
	size := len(o.slots)
	for k := o.next; o.count > 0 && k < o.next+size; k++ {
		if h := o.slots[k%size]; h != nil && h.key == k {
			if err := o.take(h); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *reorder) take(h *held) error {
	o.slots[h.key%len(o.slots)] = nil
	o.count--
	return o.emit(h)
}
