package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/source"

	"github.com/onboardhq/onboard/batch/keyset"
)

type checkOptions struct {
	jobPath  string
	in       inputFlags
	previews int
	list     int
	output   string
	// cpuprofile is for make bench and profiling, hidden.
	cpuprofile string
}

func (a *app) checkCmd() *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check --job FILE",
		Short: "Read, map and validate every row offline, and preview what would be sent",
		Long: `check does everything run does before the network: it reads every row, maps
it as the job file says and validates it by the vendor's rules. It lists each
problem with its row and column, groups them by kind with counts, and prints
the first payloads run would send, with secrets masked. It warns about values
that are still the placeholders 'onboard init' wrote (an example host, an
organisation or role id). Nothing is sent. -o json prints the same as one JSON
object for scripts (docs/cli.md has its fields).

Exit codes: 0 every row is valid; 1 some rows are not; 2 the job file or the
input cannot be used at all (then the message is on stderr, also with -o json).`,
		Example: `  onboard check --job samples/cognigy/job.yaml
  onboard check --job job.yaml --input new-hires.csv --previews 1
  onboard check --job job.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(o.output); err != nil {
				return err
			}
			tuneGC(checkMemoryLimit)
			if o.cpuprofile != "" {
				stop, err := startCPUProfile(o.cpuprofile)
				if err != nil {
					return err
				}
				defer stop()
			}
			return a.check(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.jobPath, "job", "", "job file (YAML)")
	f.StringVar(&o.in.input, "input", "", "input CSV, or - for standard input (overrides the job's input:)")
	f.StringVar(&o.in.encoding, "encoding", "", "input encoding: "+strings.Join(source.EncodingNames(), ", ")+" (default: detect)")
	f.StringVar(&o.in.delimiter, "delimiter", "", "input delimiter: , ; tab | (default: detect)")
	f.StringVar(&o.in.sheet, "sheet", "", "the sheet to read when the input is an Excel workbook (default: the first)")
	f.IntVar(&o.previews, "previews", 3, "how many payloads to print")
	f.IntVar(&o.list, "list", 50, "how many problems to list one by one (all are counted)")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the check to this file (for make bench)")
	_ = f.MarkHidden("cpuprofile")
	addOutputFlag(cmd, &o.output)
	return cmd
}

// problemKind groups problems for the summary: same stage, same columns,
// same message shape.
type problemKind struct {
	stage, where, what string
}

// checkJSON is what check found: `onboard check -o json` prints it, and the
// text form shows the same. Lists are never null.
type checkJSON struct {
	Job       string `json:"job"`
	Provider  string `json:"provider"`
	Input     string `json:"input"`
	Encoding  string `json:"encoding"`
	Delimiter string `json:"delimiter"`
	Rows      int    `json:"rows"`
	Valid     int    `json:"valid"`
	Invalid   int    `json:"invalid"`
	// ProblemCount counts every problem (a row may have several);
	// Problems lists the first --list of them.
	ProblemCount int                  `json:"problem_count"`
	Problems     []checkProblem       `json:"problems"`
	Kinds        []checkKind          `json:"problem_kinds"`
	Previews     []checkPreview       `json:"previews"`
	Warnings     []placeholderWarning `json:"warnings"`
	ExitCode     int                  `json:"exit_code"`
}

// checkProblem is one problem of one row.
type checkProblem struct {
	Row   int    `json:"row"`
	Stage string `json:"stage"` // input, mapping or validation
	// Field is the vendor field, "" for a problem of the whole row or of
	// the key column.
	Field   string   `json:"field"`
	Columns []string `json:"columns"`
	Message string   `json:"message"`
}

// checkKind is a group of problems of the same kind.
type checkKind struct {
	Count    int    `json:"count"`
	Stage    string `json:"stage"`
	Where    string `json:"where"` // "" for the whole row
	What     string `json:"what"`
	FirstRow int    `json:"first_row"`
}

// checkPreview is a request run would send, secrets masked.
type checkPreview struct {
	Row     int    `json:"row"`
	Request string `json:"request"`
}

func (a *app) check(o *checkOptions) error {
	p, err := a.prepare(o.jobPath, o.in)
	if err != nil {
		return err
	}
	defer p.Src.Close()
	out := a.stdout
	res := &checkJSON{
		Job: p.Job.Path, Provider: p.Desc.Name, Input: p.Src.Name(), Encoding: p.Src.Encoding(), Delimiter: string(p.Src.Delimiter()),
		Problems: []checkProblem{}, Kinds: []checkKind{}, Previews: []checkPreview{},
		Warnings: placeholderWarnings(p.Job, p.Desc),
	}
	text := o.output != outputJSON
	if text {
		if sheet := p.Src.Sheet(); sheet != "" {
			fmt.Fprintf(out, "Checking %s, sheet %q, with %s for %s\n", p.Src.Name(), sheet, p.Job.Path, p.Desc.Title)
			if others := p.Src.OtherSheets(); len(others) > 0 {
				fmt.Fprintf(out, "Note: the workbook also has %s; pass --sheet (or sheet: in the job) to read another\n", quoteSheets(others))
			}
		} else {
			fmt.Fprintf(out, "Checking %s with %s (%s, delimiter %s) for %s\n", p.Src.Name(), p.Job.Path, p.Src.Encoding(), delimName(p.Src.Delimiter()), p.Desc.Title)
		}
		if len(res.Warnings) > 0 {
			fmt.Fprintln(out, "\nWarnings:")
			for _, w := range res.Warnings {
				fmt.Fprintf(out, "  %s\n", w.Message)
			}
		}
	}

	var rows, bad int
	kinds := map[problemKind]int{}
	firstRow := map[problemKind]int{}
	report := func(stage string, row int, field string, cols []string, where, msg string) {
		k := problemKind{stage: stage, where: where, what: shape(msg)}
		if kinds[k] == 0 {
			firstRow[k] = row
		}
		kinds[k]++
		res.ProblemCount++
		if len(res.Problems) < o.list {
			if cols == nil {
				cols = []string{}
			}
			res.Problems = append(res.Problems, checkProblem{Row: row, Stage: stage, Field: field, Columns: cols, Message: msg})
			if text {
				if len(res.Problems) == 1 {
					fmt.Fprintln(out, "\nProblems:")
				}
				fmt.Fprintf(out, "  row %d: %s\n", row, msg)
			}
		}
	}
	keyIdx := p.Plan.KeyColumn()
	keyCol := p.Src.Header()[keyIdx]
	seen := keyset.New("", keyset.LargeSpill)
	defer seen.Close()
	err = checkRows(p, seen, func(c *checked) error {
		row := c.row
		rows++
		if c.inputErr != "" {
			bad++
			report("input", row.Num, "", nil, "", c.inputErr)
			return nil
		}
		rowBad := false
		for _, pr := range c.probs {
			rowBad = true
			report("mapping", row.Num, pr.Field, pr.Columns, describeWhere(pr.Field, pr.Columns), pr.Error())
		}
		for _, fe := range c.errs {
			rowBad = true
			cols := p.Plan.Columns(fe.Field)
			report("validation", row.Num, fe.Field, cols, describeWhere(fe.Field, cols), describeWhere(fe.Field, cols)+": "+fe.Msg)
		}
		key := c.key
		if key == "" {
			rowBad = true
			report("validation", row.Num, "", []string{keyCol}, fmt.Sprintf("column %q", keyCol), fmt.Sprintf("column %q (the key) is empty", keyCol))
		} else {
			first, dup, err := seen.AddDigest(c.keyDigest, key, row.Num)
			if err != nil {
				return err
			}
			if dup {
				rowBad = true
				report("validation", row.Num, "", []string{keyCol}, fmt.Sprintf("column %q", keyCol), fmt.Sprintf("same %s as row %d (%q)", keyCol, first, key))
			}
		}
		if rowBad {
			bad++
			return nil
		}
		if len(res.Previews) < o.previews {
			text, err := p.Provider.Preview(c.rec.Masked(p.Desc), p.Job.Options)
			if err != nil {
				text = "(preview failed: " + err.Error() + ")"
			}
			res.Previews = append(res.Previews, checkPreview{Row: row.Num, Request: text})
		}
		return nil
	})
	if err != nil {
		return fail(exitNotSent, "%v", err)
	}
	res.Rows, res.Valid, res.Invalid = rows, rows-bad, bad
	ks := make([]problemKind, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		switch {
		case kinds[a] != kinds[b]:
			return kinds[a] > kinds[b]
		case firstRow[a] != firstRow[b]:
			return firstRow[a] < firstRow[b]
		case a.stage != b.stage:
			return a.stage < b.stage
		case a.where != b.where:
			return a.where < b.where
		}
		return a.what < b.what // two kinds of the same row and count: always in one order
	})
	for _, k := range ks {
		res.Kinds = append(res.Kinds, checkKind{Count: kinds[k], Stage: k.stage, Where: k.where, What: k.what, FirstRow: firstRow[k]})
	}
	if bad > 0 {
		res.ExitCode = exitFailed
	}
	if text {
		res.writeText(out, len(res.Problems) < res.ProblemCount)
	} else if err := writeJSON(out, res); err != nil {
		return fail(exitNotSent, "%v", err)
	}
	if bad > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("")}
	}
	return nil
}

// writeText prints the rest of check's text report (the header, warnings
// and listed problems were printed as they came).
func (res *checkJSON) writeText(out io.Writer, more bool) {
	if more {
		fmt.Fprintf(out, "  ... (--list N shows more)\n")
	}
	if len(res.Kinds) > 0 {
		fmt.Fprintln(out, "\nProblems by kind:")
		for _, k := range res.Kinds {
			where := k.Where
			if where == "" {
				where = "the row"
			}
			fmt.Fprintf(out, "  %6d × %-10s %s: %s (first: row %d)\n", k.Count, k.Stage, where, k.What, k.FirstRow)
		}
	}
	if len(res.Previews) > 0 {
		previews := make([]string, len(res.Previews))
		for i, pv := range res.Previews {
			previews[i] = fmt.Sprintf("row %d:\n%s", pv.Row, indent(pv.Request, "  "))
		}
		fmt.Fprintf(out, "\nFirst payloads (secrets masked):\n%s\n", strings.Join(previews, "\n"))
	}
	fmt.Fprintf(out, "\n%d rows: %d valid, %d with problems (read as %s).\n", res.Rows, res.Valid, res.Invalid, res.Encoding)
	if res.Invalid == 0 {
		fmt.Fprintln(out, "Every row is valid. Rehearse with: onboard run --job "+res.Job+" --sandbox")
	}
}

func describeWhere(field string, cols []string) string {
	switch len(cols) {
	case 0:
		return "field " + field
	case 1:
		return fmt.Sprintf("column %q (field %s)", cols[0], field)
	}
	return fmt.Sprintf("columns %s (field %s)", strings.Join(cols, ", "), field)
}

// shape reduces a message to its kind: quoted values (written with %q)
// become "…", so that "no map entry for "Sales"" and "... "HR"" group
// together. A lone quote character (as in "bare \" in a field") is kept.
func shape(msg string) string {
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "column") {
		msg = msg[i+2:]
	}
	var b strings.Builder
	for len(msg) > 0 {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			b.WriteString(msg)
			break
		}
		b.WriteString(msg[:i])
		msg = msg[i:]
		if q, err := strconv.QuotedPrefix(msg); err == nil {
			b.WriteString(`"…"`)
			msg = msg[len(q):]
			continue
		}
		b.WriteByte('"')
		msg = msg[1:]
	}
	s := []rune(b.String())
	if len(s) > 120 {
		return string(s[:120]) + "…"
	}
	return string(s)
}

func delimName(r rune) string {
	switch r {
	case '\t':
		return "tab"
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '|':
		return "pipe"
	}
	return string(r)
}

func quoteSheets(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return "sheet " + q[0]
	}
	return "sheets " + strings.Join(q, ", ")
}
