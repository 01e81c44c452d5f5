package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Bounds of what report.html keeps of the failures, so that a run of a
// million failed rows still has a small page and a small writer.
const (
	maxGroups = 100 // distinct reasons; later ones go to "other reasons"
	maxRanges = 400 // row ranges listed per reason; the rest are counted
	maxReason = 300 // characters of a reason shown
	otherKey  = "\x00other"
)

// Group is the failed rows that share a reason, for report.html.
type Group struct {
	Stage Stage
	// HTTPStatus is the vendor's answer (0 when none).
	HTTPStatus int
	// Reason is the error message with what differs from row to row (row
	// numbers, quoted values, addresses, ids, numbers) written as "…" or
	// "#".
	Reason string
	// Example is the first row's message, as failures.csv has it.
	Example string
	// Rows are the rows (the numbers onboard_row shows), as ranges in
	// ascending order; More counts rows failed for this reason beyond
	// them.
	Rows  []Range
	More  int
	Count int
	// Known counts rows whose failure an earlier run saw unchanged.
	Known int
	// Fix suggests what to do.
	Fix string
}

// Range is a run of consecutive row numbers, From to To inclusive.
type Range struct{ From, To int }

func (r Range) String() string {
	if r.From == r.To {
		return strconv.Itoa(r.From)
	}
	return fmt.Sprintf("%d–%d", r.From, r.To)
}

// RowList writes the ranges as a person reads them: "2–5, 9, 12".
func RowList(rs []Range, more int) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	s := strings.Join(parts, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// failureGroups gathers failed rows by reason as they are written.
type failureGroups struct {
	byKey map[string]*Group
	keys  []string // in order of first appearance
}

func (g *failureGroups) add(f *Failure, row int) {
	if g.byKey == nil {
		g.byKey = map[string]*Group{}
	}
	reason := Normalize(f.Error, f.HTTPStatus)
	key := string(f.Stage) + "\x00" + strconv.Itoa(f.HTTPStatus) + "\x00" + reason
	gr := g.byKey[key]
	if gr == nil {
		if len(g.keys) >= maxGroups {
			key = otherKey + string(f.Stage)
			if gr = g.byKey[key]; gr == nil {
				gr = &Group{Stage: f.Stage, Reason: "other reasons (too many different messages to list; see failures.csv)"}
			}
		} else {
			gr = &Group{Stage: f.Stage, HTTPStatus: f.HTTPStatus, Reason: reason, Example: stripRow(f.Error)}
		}
		if g.byKey[key] == nil {
			g.byKey[key] = gr
			g.keys = append(g.keys, key)
		}
	}
	gr.Count++
	if f.Known {
		gr.Known++
	}
	if n := len(gr.Rows); n > 0 && gr.Rows[n-1].To+1 == row {
		gr.Rows[n-1].To = row
		return
	}
	if len(gr.Rows) >= maxRanges {
		gr.More++
		return
	}
	gr.Rows = append(gr.Rows, Range{row, row})
}

// list returns the groups, the largest first, rows sorted and merged.
func (g *failureGroups) list() []Group {
	out := make([]Group, 0, len(g.keys))
	for _, k := range g.keys {
		gr := *g.byKey[k]
		gr.Rows = mergeRanges(gr.Rows)
		gr.Fix = Fix(gr.Stage, gr.HTTPStatus, gr.Reason)
		out = append(out, gr)
	}
	slices.SortStableFunc(out, func(a, b Group) int { return b.Count - a.Count })
	return out
}

func mergeRanges(rs []Range) []Range {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b Range) int { return a.From - b.From })
	var out []Range
	for _, r := range rs {
		if n := len(out); n > 0 && r.From <= out[n-1].To+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Fix suggests what to do about failures of a stage and an HTTP status.
func Fix(stage Stage, status int, reason string) string {
	const feed = " Then feed failures.csv back with --input: rows already created are skipped."
	switch stage {
	case StageInput:
		return "The row could not be read as it is (quotes, number of columns, characters). Correct it in failures.csv or in the export." + feed
	case StageMapping:
		return "A cell does not fit the job's mapping (a value its map: does not list, a required column empty, a wrong format). Correct the cell in failures.csv, or the rule under fields: in the job file." + feed
	case StageValidation:
		switch {
		case strings.Contains(reason, "same ") && strings.Contains(reason, " as row"):
			return "Two rows name the same person; only the first was sent. Remove the duplicate, or give it its own key if it is another person."
		case strings.Contains(reason, "(the key) is empty"):
			return "Every person needs a key. Fill in the key column for these rows." + feed
		}
		return "The vendor would refuse these values (checked before sending, nothing was sent). Correct them in failures.csv." + feed
	case StageNotAttempted:
		return "Not sent: the run stopped before reaching these rows. Run the same command again; nobody is created twice."
	}
	switch {
	case status >= 300 && status < 400:
		return "The endpoint redirects elsewhere; onboard never follows. Set endpoint: in the job file to the address the vendor documents."
	case status == 401 || status == 403:
		return "The vendor refused the credentials or their permissions. Check auth: in the job file (and the account's role), then run again."
	case status == 404:
		return "The vendor does not know an address or an id the row uses (endpoint, organisation, team, role). Check them, then run again."
	case status == 409:
		return "The vendor holds a user that conflicts with this one. Look the user up at the vendor; fix the key or remove the row."
	case status == 429:
		return "The vendor kept asking to slow down. Run the same command again later, perhaps with a lower rate:; nobody is created twice."
	case status >= 500 || status == 0:
		return "The vendor failed or did not answer. Run the same command again later; the ledger makes sure nobody is created twice."
	}
	return "The vendor refused the values. Read the message, correct the cells in failures.csv." + feed
}
