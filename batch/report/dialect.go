package report

import (
	"fmt"
	"strings"

	"github.com/onboardhq/onboard/batch/formula"
)

// ParseDelimiter reads a delimiter as a person writes it in a job file or
// a flag: , ; | or tab, by character or by name.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", `\t`, "tab":
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, fmt.Errorf("must be one of , ; tab | (not %q)", s)
}

func validDelimiter(r rune) bool {
	return r == ',' || r == ';' || r == '\t' || r == '|'
}

// ExcelStyle reports whether the input looks like a file Excel wrote (or
// will read back): it started with a byte order mark, or its encoding
// (source.Reader.Encoding) is a Windows code page or UTF-16. Excel only
// reads a CSV's accents right when the file starts with a UTF-8 BOM, so
// reports of such an input get one.
func ExcelStyle(encoding string, hadBOM bool) bool {
	e := strings.ToUpper(encoding)
	return hadBOM || strings.HasPrefix(e, "WINDOWS-125") || strings.HasPrefix(e, "UTF-16")
}

// WantBOM decides Options.BOM: the --bom flag forces one; else the job's
// reports.bom when it says so (jobSet); else one when the input was
// Excel-style (ExcelStyle).
func WantBOM(flag bool, jobBOM, jobSet bool, excelStyle bool) bool {
	switch {
	case flag:
		return true
	case jobSet:
		return jobBOM
	}
	return excelStyle
}

// Defuse keeps a spreadsheet from running a value as a formula (CSV
// injection) and leaves everything else, phone numbers included, as it
// is: see package formula for the rule.
func Defuse(s string) string { return formula.Defuse(s) }

// Undefuse reverses Defuse for a cell read from a report.
func Undefuse(s string) string { return formula.Undefuse(s) }
