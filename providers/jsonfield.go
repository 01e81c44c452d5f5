package providers

import "encoding/json"

// JSONStringField returns the string value of the top-level member name of
// the JSON object data, without decoding the rest of it. A create answer
// echoes the whole user, and only its id is wanted: decoding all of it
// costs more than the rest of a row's work. The last member of that name
// wins, as with encoding/json; unlike encoding/json the name matches
// exactly. It reports false when data is not an object it can walk, or the
// member is missing or not a string. It does not validate what it skips.
func JSONStringField(data []byte, name string) (string, bool) {
	names := [1]string{name}
	var vals [1]string
	var found [1]bool
	if !stringFields(data, names[:], vals[:], found[:]) {
		return "", false
	}
	return vals[0], found[0]
}

// JSONStringFields2 is JSONStringField for two members at once, in one walk
// of data: an echoed user is read once for its id and its vendor id. When
// data is not an object it can walk, neither is found.
func JSONStringFields2(data []byte, a, b string) (va string, oka bool, vb string, okb bool) {
	names := [2]string{a, b}
	var vals [2]string
	var found [2]bool
	if !stringFields(data, names[:], vals[:], found[:]) {
		return "", false, "", false
	}
	return vals[0], found[0], vals[1], found[1]
}

// stringFields walks the JSON object data and sets vals[k] and found[k] for
// each top-level member names[k] (the last of that name wins). It reports
// false when data is not an object it can walk.
func stringFields(data []byte, names, vals []string, found []bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i++
	for {
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' {
			return true
		}
		// A member: "name" : value
		end, esc, ok := scanString(data, i)
		if !ok {
			return false
		}
		match := -1
		for k, name := range names {
			if keyEquals(data[i:end], esc, name) {
				match = k
				break
			}
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		start := i
		if i < len(data) && data[i] == '"' {
			if end, esc, ok = scanString(data, i); !ok {
				return false
			}
			if match >= 0 {
				if !esc {
					vals[match], found[match] = string(data[start+1:end-1]), true
				} else if json.Unmarshal(data[start:end], &vals[match]) == nil {
					found[match] = true
				} else {
					return false
				}
			}
			i = end
		} else {
			if i, ok = skipValue(data, i); !ok {
				return false
			}
			if match >= 0 {
				vals[match], found[match] = "", false // the last one wins, and it is not a string
			}
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return true
		default:
			return false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index just past the string starting at data[i]
// (a quote), and whether it needs decoding: an escape, or a byte outside
// printable ASCII (encoding/json replaces invalid UTF-8).
func scanString(data []byte, i int) (end int, esc, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '\\':
			esc = true
			j++
		case c == '"':
			return j + 1, esc, true
		case c < 0x20 || c >= 0x80:
			esc = true
		}
	}
	return 0, false, false
}

func keyEquals(quoted []byte, esc bool, name string) bool {
	if !esc {
		return string(quoted[1:len(quoted)-1]) == name
	}
	var k string
	return json.Unmarshal(quoted, &k) == nil && k == name
}

// skipValue returns the index just past the non-string value at data[i]:
// an object or array (strings inside skipped whole), or a literal.
func skipValue(data []byte, i int) (int, bool) {
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '"':
			end, _, ok := scanString(data, i)
			if !ok {
				return 0, false
			}
			i = end
			if depth == 0 {
				return i, true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, true // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i, true
			}
		}
		i++
	}
	return 0, false
}
