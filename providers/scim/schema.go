package scim

import (
	"fmt"
	"strings"

	"github.com/onboardhq/onboard/providers/scim/api"
)

// This file is the sandbox's copy of the RFC 7643 User schema (§4.1, §4.3,
// §8.7.1) and the checks a strict service applies to a create body.

type attrType int

const (
	tString attrType = iota
	tBool
	tComplex
	tReference
	tBinary
	tDateTime
)

func (t attrType) String() string {
	switch t {
	case tBool:
		return "boolean"
	case tComplex:
		return "complex"
	case tReference:
		return "reference"
	case tBinary:
		return "binary"
	case tDateTime:
		return "dateTime"
	}
	return "string"
}

type mutability int

const (
	readWrite mutability = iota
	readOnly
	writeOnly
)

// attr is one attribute definition.
type attr struct {
	name      string
	typ       attrType
	multi     bool
	caseExact bool
	required  bool
	mut       mutability
	sub       []*attr
	canonical []string // allowed values of a type sub-attribute
}

func (a *attr) child(name string) *attr {
	for _, s := range a.sub {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

func str(name string) *attr { return &attr{name: name} }

// multiValued is the usual shape of a multi-valued complex attribute.
func multiValued(name string, valueType attrType, types ...string) *attr {
	return &attr{name: name, typ: tComplex, multi: true, canonical: types, sub: []*attr{
		{name: "value", typ: valueType}, str("display"), str("type"), {name: "primary", typ: tBool},
	}}
}

// userSchema is the core User resource; enterpriseSchema its extension.
var userSchema = &attr{name: "User", typ: tComplex, sub: []*attr{
	{name: "id", caseExact: true, mut: readOnly},
	{name: "externalId", caseExact: true},
	{name: "meta", typ: tComplex, mut: readOnly, sub: []*attr{
		str("resourceType"), {name: "created", typ: tDateTime}, {name: "lastModified", typ: tDateTime},
		{name: "location", typ: tReference}, {name: "version", caseExact: true},
	}},
	{name: "userName", required: true},
	{name: "name", typ: tComplex, sub: []*attr{
		str("formatted"), str("familyName"), str("givenName"), str("middleName"), str("honorificPrefix"), str("honorificSuffix"),
	}},
	str("displayName"), str("nickName"), {name: "profileUrl", typ: tReference}, str("title"), str("userType"),
	str("preferredLanguage"), str("locale"), str("timezone"),
	{name: "active", typ: tBool},
	{name: "password", mut: writeOnly},
	multiValued("emails", tString, "work", "home", "other"),
	multiValued("phoneNumbers", tString, "work", "home", "mobile", "fax", "pager", "other"),
	multiValued("ims", tString, "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
	multiValued("photos", tReference, "photo", "thumbnail"),
	{name: "addresses", typ: tComplex, multi: true, canonical: []string{"work", "home", "other"}, sub: []*attr{
		str("formatted"), str("streetAddress"), str("locality"), str("region"), str("postalCode"), str("country"), str("type"), {name: "primary", typ: tBool},
	}},
	{name: "groups", typ: tComplex, multi: true, mut: readOnly, sub: []*attr{
		str("value"), {name: "$ref", typ: tReference}, str("display"), str("type"),
	}},
	multiValued("entitlements", tString),
	multiValued("roles", tString),
	multiValued("x509Certificates", tBinary),
}}

var enterpriseSchema = &attr{name: api.EnterpriseSchema, typ: tComplex, sub: []*attr{
	str("employeeNumber"), str("costCenter"), str("organization"), str("division"), str("department"),
	{name: "manager", typ: tComplex, sub: []*attr{
		str("value"), {name: "$ref", typ: tReference}, {name: "displayName", mut: readOnly},
	}},
}}

// scimErr is an error answer: status, scimType and detail (RFC 7644 §3.12).
type scimErr struct {
	status   int
	scimType string
	detail   string
}

func badValue(format string, a ...any) *scimErr {
	return &scimErr{400, "invalidValue", fmt.Sprintf(format, a...)}
}

func badSyntax(format string, a ...any) *scimErr {
	return &scimErr{400, "invalidSyntax", fmt.Sprintf(format, a...)}
}

// checkUser validates a decoded create body and returns the attributes to
// store, under their schema names, without readOnly attributes (ignored,
// RFC 7644 §3.3) and without the password, which is returned separately.
func checkUser(body map[string]any) (stored map[string]any, password string, e *scimErr) {
	var schemas []string
	var ext map[string]any
	core := map[string]any{}
	seen := map[string]bool{}
	for k, v := range body {
		lk := strings.ToLower(k)
		if seen[lk] {
			return nil, "", badSyntax("attribute '%s' appears more than once (attribute names are case-insensitive)", k)
		}
		seen[lk] = true
		switch {
		case lk == "schemas":
			l, ok := v.([]any)
			if !ok {
				return nil, "", badSyntax("'schemas' must be an array of URIs")
			}
			for _, s := range l {
				u, ok := s.(string)
				if !ok {
					return nil, "", badSyntax("'schemas' must be an array of URIs")
				}
				if u != api.UserSchema && u != api.EnterpriseSchema {
					return nil, "", badValue("schema '%s' is not supported by the User resource", u)
				}
				schemas = append(schemas, u)
			}
		case strings.EqualFold(k, api.EnterpriseSchema):
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				return nil, "", badSyntax("'%s' must be an object", api.EnterpriseSchema)
			}
			ext = m
		default:
			core[k] = v
		}
	}
	if schemas == nil {
		return nil, "", badSyntax("'schemas' is required and must list %s", api.UserSchema)
	}
	if !contains(schemas, api.UserSchema) {
		return nil, "", badValue("'schemas' must list %s", api.UserSchema)
	}
	if ext != nil && !contains(schemas, api.EnterpriseSchema) {
		return nil, "", badSyntax("the body holds %s attributes, but 'schemas' does not list that extension", api.EnterpriseSchema)
	}
	stored, e = checkComplex(userSchema, core, "")
	if e != nil {
		return nil, "", e
	}
	if ext != nil {
		se, e := checkComplex(enterpriseSchema, ext, api.EnterpriseSchema+":")
		if e != nil {
			return nil, "", e
		}
		if len(se) > 0 {
			stored[api.EnterpriseSchema] = se
		}
	}
	if u, _ := stored["userName"].(string); strings.TrimSpace(u) == "" {
		return nil, "", badValue("attribute 'userName' is required")
	}
	if pw, ok := stored["password"].(string); ok {
		delete(stored, "password")
		password = pw
		if n := len([]rune(pw)); n < SandboxMinPassword {
			// The detail never repeats the password.
			return nil, "", badValue("the password does not satisfy the password policy: at least %d characters", SandboxMinPassword)
		}
	}
	for _, em := range listOf(stored["emails"]) {
		v, _ := em["value"].(string)
		at := strings.LastIndexByte(v, '@')
		if at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " \t\r\n") {
			return nil, "", badValue("emails value '%s' is not an e-mail address", v)
		}
	}
	return stored, password, nil
}

// checkComplex checks the members of one object against def's
// sub-attributes: names known (case-insensitively), types, canonical types,
// one primary at most. prefix names the object in messages.
func checkComplex(def *attr, obj map[string]any, prefix string) (map[string]any, *scimErr) {
	out := map[string]any{}
	seen := map[string]bool{}
	for k, v := range obj {
		a := def.child(k)
		if a == nil {
			return nil, badSyntax("unknown attribute '%s%s'", prefix, k)
		}
		if seen[a.name] {
			return nil, badSyntax("attribute '%s%s' appears more than once (attribute names are case-insensitive)", prefix, k)
		}
		seen[a.name] = true
		if a.mut == readOnly || v == nil {
			continue // readOnly is ignored (RFC 7644 §3.3); null is unassigned (RFC 7643 §2.5)
		}
		path := prefix + a.name
		if a.multi {
			l, ok := v.([]any)
			if !ok {
				return nil, badValue("attribute '%s' is multi-valued: it must be an array", path)
			}
			items := make([]any, 0, len(l))
			primaries := 0
			for i, it := range l {
				m, ok := it.(map[string]any)
				if !ok {
					return nil, badValue("%s[%d] must be an object", path, i)
				}
				cm, e := checkComplex(a, m, fmt.Sprintf("%s[%d].", path, i))
				if e != nil {
					return nil, e
				}
				if t, ok := cm["type"].(string); ok && len(a.canonical) > 0 && !containsFold(a.canonical, t) {
					return nil, badValue("%s[%d].type '%s' is not one of %s", path, i, t, strings.Join(a.canonical, ", "))
				}
				if p, _ := cm["primary"].(bool); p {
					primaries++
				}
				items = append(items, cm)
			}
			if primaries > 1 {
				return nil, badValue("attribute '%s' has more than one primary value", path)
			}
			if len(items) > 0 {
				out[a.name] = items
			}
			continue
		}
		switch a.typ {
		case tComplex:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, badValue("attribute '%s' must be an object", path)
			}
			cm, e := checkComplex(a, m, path+".")
			if e != nil {
				return nil, e
			}
			if len(cm) > 0 {
				out[a.name] = cm
			}
		case tBool:
			if _, ok := v.(bool); !ok {
				return nil, badValue("attribute '%s' must be a boolean, not %s", path, jsonKind(v))
			}
			out[a.name] = v
		default:
			if _, ok := v.(string); !ok {
				return nil, badValue("attribute '%s' must be a string, not %s", path, jsonKind(v))
			}
			out[a.name] = v
		}
	}
	return out, nil
}

func listOf(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, it := range l {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return "a number"
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
