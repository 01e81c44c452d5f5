// Package deploy checks what ships onboard to a cluster: the manifests in
// kubernetes/ against the Kubernetes API types, strictly (an unknown or
// misspelt field is an error, as it is for `kubectl apply --validate=strict`),
// and the Dockerfile at the repository's root. It is a module of its own so
// that the Kubernetes modules never enter onboard's go.mod; `.ci/run` runs
// its tests with `(cd deploy && go test ./...)`.
package deploy
