package cxengage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
)

// tenantOpts turns the tenant step on for the sandbox's tenant.
func tenantOpts(kv ...string) providers.Options {
	o := providers.Options{"tenant_id": cxengage.SandboxTenantID, "tenant_role_id": cxengage.SandboxTenantRoleAgent}
	for i := 0; i+1 < len(kv); i += 2 {
		o[kv[i]] = kv[i+1]
	}
	return o
}

// startTenant serves a sandbox (through wrap, when given) and returns it
// with a prepared client using opts.
func startTenant(t *testing.T, opts providers.Options, sbOpts providers.SandboxOptions, wrap func(http.Handler) http.Handler) (*cxengage.Sandbox, providers.Client) {
	t.Helper()
	sb := cxengage.NewSandbox(sbOpts)
	var h http.Handler = sb
	if wrap != nil {
		h = wrap(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), Options: opts, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return sb, c
}

func TestTenantStepOffByDefault(t *testing.T) {
	sb, c := startTenant(t, nil, providers.SandboxOptions{Seed: 1}, nil)
	for i := 1; i <= 3; i++ {
		if _, err := c.Create(context.Background(), valid(i)); err != nil {
			t.Fatal(err)
		}
	}
	if sb.TenantRequests() != 0 || sb.TenantAdditions() != 0 || sb.Invitations() != 0 || sb.Stats().Requests != 3 {
		t.Fatalf("tenant requests %d, additions %d, invitations %d, requests %d; want 0, 0, 0, 3",
			sb.TenantRequests(), sb.TenantAdditions(), sb.Invitations(), sb.Stats().Requests)
	}
}

func TestTenantStepAccepted(t *testing.T) {
	sb, c := startTenant(t, tenantOpts(), providers.SandboxOptions{Seed: 1}, nil)
	res, err := c.Create(context.Background(), valid(1))
	if err != nil || res.Status != providers.StatusCreated {
		t.Fatalf("create: %+v %v", res, err)
	}
	m := sb.TenantMembers(cxengage.SandboxTenantID)
	if sb.TenantAdditions() != 1 || sb.Invitations() != 0 || len(m) != 1 {
		t.Fatalf("tenant additions %d, invitations %d; want 1 and 0", sb.TenantAdditions(), sb.Invitations())
	}
	if m[0].Status != "accepted" || m[0].RoleID != cxengage.SandboxTenantRoleAgent || m[0].UserID != res.VendorID || m[0].Email != "agent1@example.com" {
		t.Fatalf("member = %+v (user %s)", m[0], res.VendorID)
	}
}

func TestTenantStepInvitedOnlyWhenConfigured(t *testing.T) {
	sb, c := startTenant(t, tenantOpts("tenant_status", "invited"), providers.SandboxOptions{Seed: 1}, nil)
	if _, err := c.Create(context.Background(), valid(1)); err != nil {
		t.Fatal(err)
	}
	if sb.TenantAdditions() != 1 || sb.Invitations() != 1 {
		t.Fatalf("tenant additions %d, invitations %d; want 1 and 1", sb.TenantAdditions(), sb.Invitations())
	}
}

// TestTenantStepNeverAfterExists: a user created twice (a rerun) is added
// and invited once.
func TestTenantStepNeverAfterExists(t *testing.T) {
	sb, c := startTenant(t, tenantOpts("tenant_status", "invited"), providers.SandboxOptions{Seed: 1}, nil)
	for i, want := range []providers.Status{providers.StatusCreated, providers.StatusExists} {
		res, err := c.Create(context.Background(), valid(1))
		if err != nil || res.Status != want {
			t.Fatalf("create %d: %+v %v, want %s", i, res, err, want)
		}
	}
	if sb.TenantRequests() != 1 || sb.TenantAdditions() != 1 || sb.Invitations() != 1 {
		t.Fatalf("tenant requests %d, additions %d, invitations %d; want 1, 1, 1", sb.TenantRequests(), sb.TenantAdditions(), sb.Invitations())
	}
}

// TestTenantStepNeverAfterUnsureCreate: when the create's answer is lost or
// refused, the step is not run, and what the pipeline does next (a lookup,
// or the same create again) does not run it either.
func TestTenantStepNeverAfterUnsureCreate(t *testing.T) {
	ctx := context.Background()
	t.Run("dropped", func(t *testing.T) {
		sb, c := startTenant(t, tenantOpts("tenant_status", "invited"), providers.SandboxOptions{Drop: 1}, nil)
		_, err := c.Create(ctx, valid(1))
		if providers.KindOf(err) != providers.KindUnknown {
			t.Fatalf("dropped create: %v", err)
		}
		if res, found, err := c.Lookup(ctx, valid(1)); err != nil || !found || res.Status != providers.StatusExists {
			t.Fatalf("lookup: %+v %v %v", res, found, err)
		}
		if len(sb.Users()) != 1 || sb.TenantRequests() != 0 {
			t.Fatalf("users %d, tenant requests %d; want 1, 0", len(sb.Users()), sb.TenantRequests())
		}
	})
	t.Run("throttled", func(t *testing.T) {
		sb, c := startTenant(t, tenantOpts("tenant_status", "invited"), providers.SandboxOptions{Throttle: 1}, nil)
		if _, err := c.Create(ctx, valid(1)); providers.KindOf(err) != providers.KindRetry {
			t.Fatalf("throttled create: %v", err)
		}
		if sb.TenantRequests() != 0 {
			t.Fatalf("%d tenant requests after a 429", sb.TenantRequests())
		}
	})
}

// TestTenantStepFailure: the platform user is created, the tenant refuses;
// the row fails for good with a message that says the user WAS created, and
// a rerun sees exists and leaves the tenant alone.
func TestTenantStepFailure(t *testing.T) {
	ctx := context.Background()
	unknownRole := "00000000-0000-4000-8000-000000000001"
	sb, c := startTenant(t, tenantOpts("tenant_role_id", unknownRole, "tenant_status", "invited"), providers.SandboxOptions{Seed: 1}, nil)
	_, err := c.Create(ctx, valid(1))
	e, ok := providers.AsError(err)
	if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != http.StatusBadRequest || e.Op != "tenant" {
		t.Fatalf("got %#v, want a rejected tenant error", err)
	}
	users := sb.Users()
	msg := err.Error()
	for _, want := range []string{"cxengage: tenant: 400 Bad Request: ", "platform user WAS created (id " + users[0].ID + ")",
		"tenant " + cxengage.SandboxTenantID, "is not a role of this tenant", "does not repeat the tenant step"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	res, err := c.Create(ctx, valid(1))
	if err != nil || res.Status != providers.StatusExists {
		t.Fatalf("rerun: %+v %v, want exists", res, err)
	}
	if len(sb.Users()) != 1 || sb.TenantRequests() != 1 || sb.TenantAdditions() != 0 {
		t.Fatalf("users %d, tenant requests %d, additions %d; want 1, 1 (the refused one), 0", len(sb.Users()), sb.TenantRequests(), sb.TenantAdditions())
	}
}

// TestTenantStepLostAnswer: the tenant call is acted on but its answer is
// lost. That is not retried (it may have sent an invitation) and the
// message says both that the user was created and that its tenant
// membership is uncertain.
func TestTenantStepLostAnswer(t *testing.T) {
	dropTenantAnswer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/tenants/") {
				next.ServeHTTP(httptest.NewRecorder(), r) // the vendor acts...
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close() // ...and the answer is lost
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	sb, c := startTenant(t, tenantOpts("tenant_status", "invited"), providers.SandboxOptions{Seed: 1}, dropTenantAnswer)
	_, err := c.Create(context.Background(), valid(1))
	e, ok := providers.AsError(err)
	if !ok || e.Kind != providers.KindRejected {
		t.Fatalf("got %v, want a rejected tenant error (never retried)", err)
	}
	for _, want := range []string{"platform user WAS created", "may or may not be in the tenant"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err.Error(), want)
		}
	}
	if sb.Invitations() != 1 {
		t.Fatalf("invitations %d, want 1", sb.Invitations())
	}
	if res, err := c.Create(context.Background(), valid(1)); err != nil || res.Status != providers.StatusExists || sb.TenantRequests() != 1 {
		t.Fatalf("rerun: %+v %v, tenant requests %d", res, err, sb.TenantRequests())
	}
}

// TestTenantCheckInPrepare: a wrong tenant id or credentials stop the run
// before any user is created.
func TestTenantCheckInPrepare(t *testing.T) {
	sb := cxengage.NewSandbox(providers.SandboxOptions{Seed: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	prepare := func(opts providers.Options, auth map[string]string) error {
		c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: auth, Options: opts, HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		return c.Prepare(context.Background())
	}
	err := prepare(tenantOpts("tenant_id", "00000000-0000-4000-8000-000000000002"), sb.Credentials())
	if e, ok := providers.AsError(err); !ok || e.HTTPStatus != http.StatusNotFound || !strings.Contains(err.Error(), "cannot read options.tenant_id") ||
		!strings.Contains(err.Error(), "no user was created") || !strings.Contains(err.Error(), "Tenant not found") {
		t.Fatalf("unknown tenant: %v", err)
	}
	err = prepare(tenantOpts(), map[string]string{"username": cxengage.SandboxUsername, "password": "wrong"})
	if providers.KindOf(err) != providers.KindAuth || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong credentials: %v", err)
	}
	if len(sb.Users()) != 0 {
		t.Fatal("prepare created users")
	}
}
