package cxengage

import (
	"fmt"
	"net/http"

	"github.com/onboardhq/onboard/providers/cxengage/api"
	"github.com/onboardhq/onboard/providers/sandboxkit"
)

// The sandbox's variants: the answers where the vendor's docs leave room,
// each played on request (SandboxOptions.Variants) so that the client is
// tested against all of them.
const (
	// VariantDuplicate is the answer to a create of an e-mail that exists.
	// No duplicate answer is documented [?]; the values are the shapes the
	// vendor's configuration UI reads (shark764/cxengage-configuration-ui,
	// src/utils/sdk.js) [code].
	VariantDuplicate = "duplicate"
	// VariantLookupAbsent is the answer to GET /v1/users?email= when nobody
	// matches.
	VariantLookupAbsent = "lookup-absent"
)

// The values of VariantDuplicate.
const (
	// DupAttributeString: 400, one problem whose attribute is the string
	// "email" and whose message says "already exists" (the default).
	DupAttributeString = "attribute-string"
	// DupAttributeObject: 400, a message that says nothing ("Bad Request")
	// and an attribute object {"email": "already exists"}.
	DupAttributeObject = "attribute-object"
	// DupErrorString: 400, the error as a bare string.
	DupErrorString = "error-string"
	// DupSameValue: 400, an attribute object whose message has "same value".
	DupSameValue = "phrase-same-value"
	// DupAlreadyRegistered: 400, an array of one problem saying "already
	// registered".
	DupAlreadyRegistered = "phrase-already-registered"
	// DupDuplicateFound: 409, a nested {"body": {"errors": [...]}} whose
	// title is "Duplicate found".
	DupDuplicateFound = "phrase-duplicate-found"
)

// DuplicateVariants are the values of VariantDuplicate, the default first.
var DuplicateVariants = []string{DupAttributeString, DupAttributeObject, DupErrorString, DupSameValue, DupAlreadyRegistered, DupDuplicateFound}

// The values of VariantLookupAbsent.
const (
	// LookupAbsent404 answers 404 (the default): the vendor's UI treats any
	// non-200 as "not on the platform" [code], vendors.md [?].
	LookupAbsent404 = "404"
	// LookupAbsentEmpty answers 200 {"result": []}.
	LookupAbsentEmpty = "200-empty"
)

// LookupAbsentVariants are the values of VariantLookupAbsent, the default
// first.
var LookupAbsentVariants = []string{LookupAbsent404, LookupAbsentEmpty}

// failDuplicate answers a create of an existing e-mail in the shape the
// duplicate variant picks.
func (s *Sandbox) failDuplicate(w http.ResponseWriter, email string) {
	const bad = http.StatusBadRequest
	obj := func(msg string, attr api.Attribute) api.ErrorDetail {
		return api.ErrorDetail{Code: "400", Message: api.Text(msg), Attribute: attr}
	}
	field := func(f, msg string) api.Attribute {
		return api.Attribute{Fields: []api.FieldMessage{{Field: f, Message: msg}}}
	}
	var status = bad
	var body any
	switch s.duplicate {
	case DupAttributeObject:
		body = map[string]any{"error": obj("Bad Request", field("email", "already exists"))}
	case DupErrorString:
		body = map[string]any{"error": fmt.Sprintf("A user with email %s already exists", email)}
	case DupSameValue:
		body = map[string]any{"error": obj("Validation failed", field("email", "another platform user has the same value"))}
	case DupAlreadyRegistered:
		body = map[string]any{"error": []api.ErrorDetail{obj(fmt.Sprintf("Email %s is already registered", email), api.Attribute{Name: "email"})}}
	case DupDuplicateFound:
		status = http.StatusConflict
		body = map[string]any{"error": api.ErrorDetail{Code: "409", Message: "Conflict",
			Body: &api.NestedBody{Errors: []api.NestedError{{Code: "DUPLICATE", Title: "Duplicate found"}}}}}
	default: // DupAttributeString
		body = map[string]any{"error": obj(fmt.Sprintf("User with email '%s' already exists", email), api.Attribute{Name: "email"})}
	}
	sandboxkit.WriteJSON(w, status, "", body)
}
