package providers

import (
	"encoding/json"
	"testing"
)

func TestJSONStringField(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  string
		found bool
	}{
		{`{"_id":"abc"}`, "abc", true},
		{` { "id" : "x@y.com", "_id" : "65f0", "roles": ["a","b"] } `, "65f0", true},
		{`{"a":{"_id":"inner"},"b":[{"_id":"x"}],"_id":"outer"}`, "outer", true},
		{`{"a":{"_id":"inner"}}`, "", false},
		{`{"name":"say \"_id\":\"no\"","_id":"yes"}`, "yes", true},
		{`{"_id":"a\u0062c\n"}`, "abc\n", true},
		{`{"\u005fid":"escaped name"}`, "escaped name", true},
		{`{"_id":1}`, "", false},
		{`{"_id":"first","_id":"last"}`, "last", true},
		{`{"_id":"first","_id":null}`, "", false},
		{`{"_ID":"case"}`, "", false},
		{`{"n":-1.5e3,"t":true,"f":false,"z":null,"_id":"after literals"}`, "after literals", true},
		{`{"s":"}]","_id":"after brackets in a string"}`, "after brackets in a string", true},
		{`{}`, "", false},
		{`[]`, "", false},
		{``, "", false},
		{`{"_id":"unterminated`, "", false},
		{`{"_id" "no colon"}`, "", false},
		{`{"a":1 "_id":"no comma"}`, "", false},
		{`<html>502 Bad Gateway</html>`, "", false},
	} {
		got, found := JSONStringField([]byte(tc.in), "_id")
		if got != tc.want || found != tc.found {
			t.Errorf("%s: got %q %v, want %q %v", tc.in, got, found, tc.want, tc.found)
		}
	}
}

// FuzzJSONStringField: on any valid JSON object, the answer is the one a
// full decode gives.
func FuzzJSONStringField(f *testing.F) {
	for _, s := range []string{`{"_id":"abc"}`, `{"a":[1,{"_id":"x"}],"_id":"y\"z"}`, `{"_id":2}`, `{"x":"\u005f","_id":"é"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, found := JSONStringField(data, "_id")
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return // not an object: any answer will do, but no panic
		}
		var want string
		wantFound := false
		if raw, ok := m["_id"]; ok {
			wantFound = json.Unmarshal(raw, &want) == nil
		}
		if found != wantFound || got != want {
			t.Fatalf("%s: got %q %v, want %q %v", data, got, found, want, wantFound)
		}
	})
}

// BenchmarkJSONStringField reads the id of a Cognigy-sized echoed user,
// next to decoding it with encoding/json.
func BenchmarkJSONStringField(b *testing.B) {
	answer := []byte(`{"id":"ada.lovelace.0000001@example.com","name":"Ada Lovelace","organisation":"5f1e2d3c4b5a697887766554",` +
		`"roles":["base_role","liveAgentAgent"],"acceptedTOS":true,"disabled":false,"_id":"65f0c0ffee0000000000abcd",` +
		`"createdAt":1700000000,"lastChanged":1700000000,"createdBy":"5a0000000000000000000001","lastChangedBy":"5a0000000000000000000001"}`)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if id, ok := JSONStringField(answer, "_id"); !ok || id != "65f0c0ffee0000000000abcd" {
				b.Fatal(id, ok)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u struct {
				ID string `json:"_id"`
			}
			if err := json.Unmarshal(answer, &u); err != nil || u.ID != "65f0c0ffee0000000000abcd" {
				b.Fatal(u, err)
			}
		}
	})
}

// TestJSONStringFields2: reading two members in one walk answers what two
// walks of JSONStringField answer.
func TestJSONStringFields2(t *testing.T) {
	for _, in := range []string{
		`{"_id":"65f0","id":"x@y.com"}`,
		`{"id":"x@y.com","_id":"65f0","roles":["a","b"]}`,
		`{"id":"first","_id":"m","id":"last"}`,
		`{"id":1,"_id":"m"}`,
		`{"_id":"m","id":null}`,
		`{"_id":"m"}`,
		`{"id":"only"}`,
		`{"a":{"id":"inner","_id":"inner"}}`,
		`{"\u005fid":"m","i\u0064":"x"}`,
		`{}`,
		`{"_id":"m","id":"unterminated`,
		`<html>502</html>`,
	} {
		m, mOK, id, idOK := JSONStringFields2([]byte(in), "_id", "id")
		wm, wmOK := JSONStringField([]byte(in), "_id")
		wid, widOK := JSONStringField([]byte(in), "id")
		if m != wm || mOK != wmOK || id != wid || idOK != widOK {
			t.Errorf("%s: got %q %v, %q %v; one at a time %q %v, %q %v", in, m, mOK, id, idOK, wm, wmOK, wid, widOK)
		}
	}
}
