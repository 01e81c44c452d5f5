package providertest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
)

// State checks p's providers.StatefulSandbox through the real client: users
// created on one sandbox, saved and loaded into a fresh one, are found by
// Lookup (with the same vendor id) and a create of any of them answers
// exists; a new user gets an id none of them has; the loaded users do not
// count as created; a corrupt state or another vendor's is refused.
func State(t *testing.T, p providers.Provider, fx Fixture) {
	t.Helper()
	ctx := context.Background()
	const saved = 3

	first, c := start(t, p, providers.SandboxOptions{})
	ids := map[string]int{} // vendor id to the user's index
	for i := range saved {
		res, err := c.Create(ctx, fx.Valid(i))
		if err != nil || res.Status != providers.StatusCreated {
			t.Fatalf("create %d: %+v, %v", i, res, err)
		}
		if res.VendorID != "" {
			ids[res.VendorID] = i
		}
	}
	state := save(t, first)

	second, c := startLoaded(t, p, state)
	for i := range saved {
		rec := fx.Valid(i)
		res, found, err := c.Lookup(ctx, rec.Clone())
		if err != nil || !found {
			t.Fatalf("lookup %d after load: found=%v, %v", i, found, err)
		}
		if !fx.NoVendorID && ids[res.VendorID] != i {
			t.Errorf("lookup %d after load: vendor id %q, not the one created", i, res.VendorID)
		}
		res, err = c.Create(ctx, rec)
		if err != nil || res.Status != providers.StatusExists {
			t.Fatalf("create %d again after load: %+v, %v; want exists", i, res, err)
		}
	}
	res, err := c.Create(ctx, fx.Valid(saved))
	if err != nil || res.Status != providers.StatusCreated {
		t.Fatalf("create a new user after load: %+v, %v", res, err)
	}
	if _, clash := ids[res.VendorID]; clash {
		t.Errorf("the new user got vendor id %q, which a loaded user holds", res.VendorID)
	}
	if got := second.Stats().Created; got != 1 {
		t.Errorf("Stats().Created after load and one new user = %d, want 1 (loaded users are not creations)", got)
	}

	// Saved again, everyone is there.
	_, c = startLoaded(t, p, save(t, second))
	for i := range saved + 1 {
		if _, found, err := c.Lookup(ctx, fx.Valid(i)); err != nil || !found {
			t.Fatalf("lookup %d after a second load: found=%v, %v", i, found, err)
		}
	}

	name := p.Describe().Name
	for _, bad := range []string{
		"",
		"{not json",
		`{"format":"onboard-sandbox-state/1","vendor":"not-` + name + `","state":{}}`,
		strings.Replace(string(state), `"format"`, `"surprise":1,"format"`, 1),
	} {
		sb := p.NewSandbox(providers.SandboxOptions{}).(providers.StatefulSandbox)
		if err := sb.LoadState(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadState(%.40q) = nil, want an error", bad)
		}
	}
}

func save(t *testing.T, sb providers.Sandbox) []byte {
	t.Helper()
	st, ok := sb.(providers.StatefulSandbox)
	if !ok {
		t.Fatalf("%T is not a providers.StatefulSandbox", sb)
	}
	var buf bytes.Buffer
	if err := st.SaveState(&buf); err != nil {
		t.Fatalf("save: %v", err)
	}
	return buf.Bytes()
}

// startLoaded is start with a sandbox that loads state before it serves.
func startLoaded(t *testing.T, p providers.Provider, state []byte) (providers.Sandbox, providers.Client) {
	t.Helper()
	sb := p.NewSandbox(providers.SandboxOptions{})
	if err := sb.(providers.StatefulSandbox).LoadState(bytes.NewReader(state)); err != nil {
		t.Fatalf("load: %v", err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := p.NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), Options: sb.Options(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return sb, c
}
