package job

import "testing"

func TestSheet(t *testing.T) {
	src := "provider: cognigy\ninput: people.xlsx\nkey: Email\nsheet: \" People \"\nfields:\n  id: Email\n"
	j := mustParse(t, src, env(nil))
	if j.Reading.Sheet != "People" {
		t.Errorf("Reading.Sheet = %q, want People", j.Reading.Sheet)
	}
}
