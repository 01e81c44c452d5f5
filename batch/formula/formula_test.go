package formula

import "testing"

func TestDefuse(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		// What a spreadsheet evaluates.
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+A1+B2", "'+A1+B2"},
		{"-2+3", "'-2+3"},
		{"-2-3", "'-2-3"},
		{"+1-415-892-1931", "'+1-415-892-1931"},
		{"-(2)", "'-(2)"},
		{"- 5", "'- 5"},
		{"--5", "'--5"},
		{"-1/2", "'-1/2"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-5%", "'-5%"},
		{"+44 20 7946 0958 ext 12", "'+44 20 7946 0958 ext 12"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"@home", "'@home"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\tplain", "'\tplain"},
		// What it does not: kept as typed.
		{"+353 85 123 4567", "+353 85 123 4567"},
		{"+1 (415) 892-1931", "+1 (415) 892-1931"},
		{"+44 (0)20 7946 0958", "+44 (0)20 7946 0958"},
		{"+44 20 7946 0958", "+44 20 7946 0958"},
		{"-5", "-5"},
		{"+5", "+5"},
		{"-5.25", "-5.25"},
		{"-", "-"},
		{"--", "--"},
		{"+()", "+()"},
		{"-(1", "-(1"},
		{"plain", "plain"},
		{"", ""},
		{"a=b", "a=b"},
		{"1+1", "1+1"},
		{"José", "José"},
		// An apostrophe Undefuse would strip gets one more.
		{"'=x", "''=x"},
		{"'+44 20", "''+44 20"},
		{"''-1", "'''-1"},
		{"'plain", "'plain"},
		{"'", "'"},
	} {
		if got := Defuse(tt.in); got != tt.want {
			t.Errorf("Defuse(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Undefuse(tt.want); got != tt.in {
			t.Errorf("Undefuse(%q) = %q, want %q", tt.want, got, tt.in)
		}
	}
}

// Reports written before phone numbers were spared read back as typed.
func TestUndefuseOlderReports(t *testing.T) {
	for in, want := range map[string]string{"'+44 20 7946 0958": "+44 20 7946 0958", "'-5": "-5", "'@home": "@home", "'x": "'x"} {
		if got := Undefuse(in); got != want {
			t.Errorf("Undefuse(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"=1", "+353 85 123 4567", "'-2+3", "-(1", "''=", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := Undefuse(Defuse(s)); got != s {
			t.Fatalf("Undefuse(Defuse(%q)) = %q", s, got)
		}
	})
}
