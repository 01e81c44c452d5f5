package cxoneexpert

import (
	"fmt"
	"net/http"
)

// The sandbox's variants: the answers where the vendor's docs leave room,
// each played on request (SandboxOptions.Variants) so that the client is
// tested against all of them.
const (
	// VariantDuplicate is the answer to a create of a username that exists.
	VariantDuplicate = "duplicate"
	// VariantTokenFormat is the server API token form the site accepts
	// (TokenFormats); the sandbox's Options then name it for the client.
	VariantTokenFormat = "token_format"
)

// The values of VariantDuplicate.
const (
	// Dup409 answers 409 "Username conflicts with an existing username",
	// as documented (the default) [doc].
	Dup409 = "409"
	// Dup400 answers 400 with a message saying the name is taken
	// (vendors.md: "409 / 400 text") [?].
	Dup400 = "400"
)

// DuplicateVariants are the values of VariantDuplicate, the default first.
var DuplicateVariants = []string{Dup409, Dup400}

// failDuplicate answers a create (or a rename, when update) onto a taken
// username in the shape the duplicate variant picks. A rename keeps the
// documented 409 ("It is also not possible to modify a username to one
// that already exists") [doc].
func (s *Sandbox) failDuplicate(w http.ResponseWriter, username string, update bool) {
	if s.duplicate == Dup400 && !update {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid input: a user named %q already exists", username))
		return
	}
	writeError(w, http.StatusConflict, "Username conflicts with an existing username")
}
