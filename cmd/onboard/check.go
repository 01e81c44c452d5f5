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
	"github.com/onboardhq/onboard/providers"
)

type checkOptions struct {
	jobPath  string
	in       inputFlags
	previews int
	list     int
}

func (a *app) checkCmd() *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check --job FILE",
		Short: "Read, map and validate every row offline, and preview what would be sent",
		Long: `check does everything run does before the network: it reads every row, maps
it as the job file says and validates it by the vendor's rules. It lists each
problem with its row and column, groups them by kind with counts, and prints
the first payloads run would send, with secrets masked. Nothing is sent.

Exit codes: 0 every row is valid; 1 some rows are not; 2 the job file or the
input cannot be used at all.`,
		Example: `  onboard check --job samples/cognigy/job.yaml
  onboard check --job job.yaml --input new-hires.csv --previews 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC(true)
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
	return cmd
}

// problemKind groups problems for the summary: same stage, same columns,
// same message shape.
type problemKind struct {
	stage, where, what string
}

func (a *app) check(o *checkOptions) error {
	p, err := a.prepare(o.jobPath, o.in)
	if err != nil {
		return err
	}
	defer p.src.Close()
	out := a.stdout
	if sheet := p.src.Sheet(); sheet != "" {
		fmt.Fprintf(out, "Checking %s, sheet %q, with %s for %s\n", p.src.Name(), sheet, p.job.Path, p.desc.Title)
		if others := p.src.OtherSheets(); len(others) > 0 {
			fmt.Fprintf(out, "Note: the workbook also has %s; pass --sheet (or sheet: in the job) to read another\n", quoteSheets(others))
		}
		fmt.Fprintln(out)
	} else {
		fmt.Fprintf(out, "Checking %s with %s (%s, delimiter %s) for %s\n\n", p.src.Name(), p.job.Path, p.src.Encoding(), delimName(p.src.Delimiter()), p.desc.Title)
	}

	var rows, bad int
	kinds := map[problemKind]int{}
	firstRow := map[problemKind]int{}
	listed := 0
	var previews []string
	report := func(stage string, row int, where, msg string) {
		k := problemKind{stage: stage, where: where, what: shape(msg)}
		if kinds[k] == 0 {
			firstRow[k] = row
		}
		kinds[k]++
		if listed < o.list {
			if listed == 0 {
				fmt.Fprintln(out, "Problems:")
			}
			fmt.Fprintf(out, "  row %d: %s\n", row, msg)
			listed++
		}
	}
	keyIdx := p.plan.KeyColumn()
	keyCol := p.src.Header()[keyIdx]
	seen := keyset.New("", 0)
	defer seen.Close()
	for {
		row, err := p.src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(exitNotSent, "%v", err)
		}
		rows++
		if row.Err != nil {
			bad++
			report("input", row.Num, "", row.Err.Error())
			continue
		}
		if err := row.TextError(p.plan.UsesColumn); err != nil {
			bad++
			report("input", row.Num, "", err.Error())
			continue
		}
		rec, probs, _ := p.plan.Apply(row.Cells)
		rowBad := false
		for _, pr := range probs {
			rowBad = true
			report("mapping", row.Num, describeWhere(pr.Field, pr.Columns), pr.Error())
		}
		if len(probs) == 0 {
			errs := providers.CheckFields(p.desc, rec)
			errs = append(errs, p.provider.Validate(rec, p.job.Options)...)
			for _, fe := range errs {
				rowBad = true
				cols := p.plan.Columns(fe.Field)
				report("validation", row.Num, describeWhere(fe.Field, cols), describeWhere(fe.Field, cols)+": "+fe.Msg)
			}
		}
		key := strings.TrimSpace(row.Cells[keyIdx])
		if key == "" {
			rowBad = true
			report("validation", row.Num, fmt.Sprintf("column %q", keyCol), fmt.Sprintf("column %q (the key) is empty", keyCol))
		} else {
			first, dup, err := seen.Add(key, row.Num)
			if err != nil {
				return fail(exitNotSent, "%v", err)
			}
			if dup {
				rowBad = true
				report("validation", row.Num, fmt.Sprintf("column %q", keyCol), fmt.Sprintf("same %s as row %d (%q)", keyCol, first, key))
			}
		}
		if rowBad {
			bad++
			continue
		}
		if len(previews) < o.previews {
			text, err := p.provider.Preview(rec.Masked(p.desc), p.job.Options)
			if err != nil {
				text = "(preview failed: " + err.Error() + ")"
			}
			previews = append(previews, fmt.Sprintf("row %d:\n%s", row.Num, indent(text, "  ")))
		}
	}
	if listed < bad && listed >= o.list {
		fmt.Fprintf(out, "  ... (--list N shows more)\n")
	}
	if len(kinds) > 0 {
		fmt.Fprintln(out, "\nProblems by kind:")
		ks := make([]problemKind, 0, len(kinds))
		for k := range kinds {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool {
			if kinds[ks[i]] != kinds[ks[j]] {
				return kinds[ks[i]] > kinds[ks[j]]
			}
			return firstRow[ks[i]] < firstRow[ks[j]]
		})
		for _, k := range ks {
			where := k.where
			if where == "" {
				where = "the row"
			}
			fmt.Fprintf(out, "  %6d × %-10s %s: %s (first: row %d)\n", kinds[k], k.stage, where, k.what, firstRow[k])
		}
	}
	if len(previews) > 0 {
		fmt.Fprintf(out, "\nFirst payloads (secrets masked):\n%s\n", strings.Join(previews, "\n"))
	}
	fmt.Fprintf(out, "\n%d rows: %d valid, %d with problems (read as %s).\n", rows, rows-bad, bad, p.src.Encoding())
	if bad > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("")}
	}
	fmt.Fprintln(out, "Every row is valid. Rehearse with: onboard run --job "+p.job.Path+" --sandbox")
	return nil
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
