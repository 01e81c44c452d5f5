package main

import "testing"

func TestShape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`column "Department" (field roles): no map entry for "Sales"`, `no map entry for "…"`},
		{`column "Department" (field roles): no map entry for "HR"`, `no map entry for "…"`},
		{`bare " in non-quoted field`, `bare " in non-quoted field`},
		{`quote "opened here never closes`, `quote "opened here never closes`},
		{`value "a\"b" is not an e-mail address`, `value "…" is not an e-mail address`},
		{`same Work Email as row 3 ("ada@example.com"); only the first is sent`, `same Work Email as row 3 ("…"); only the first is sent`},
	} {
		if got := shape(tc.in); got != tc.want {
			t.Errorf("shape(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	long := ""
	for range 100 {
		long += "é€"
	}
	if got := []rune(shape(long)); len(got) != 121 || got[120] != '…' {
		t.Errorf("a long message is cut at 120 runes and marked: %d runes", len(got))
	}
}
