// Package providertest is the conformance suite every provider passes: the
// real client against the provider's own sandbox over loopback, asserting on
// what the sandbox saw as well as on what the client returned.
//
// A provider runs it from a test of its own package:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, mypkg.New(), providertest.Fixture{Valid: ..., ...})
//	}
//
// What the suite asks of a provider, beyond creating and looking up users:
//   - NewClient sends with providers.HTTPClient(cfg), so no redirect is ever
//     followed (Redirect); its sandbox calls kit.Enter first in ServeHTTP, so
//     the Redirect, HTML, NoID and Limit faults reach it.
//   - Create returns created only for the vendor's documented success shape
//     (HTMLOK, NoID): any other 2xx is an *Error of kind KindUnknown.
//   - Every value of every Description.SandboxVariants entry is played by the
//     sandbox, and each gives the right outcome (Variants): a duplicate on
//     the first try or after a lost answer is reported exists (with the
//     vendor id unless Fixture.NoVendorID), confirmed by a lookup; nobody is
//     created twice.
package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
)

// Fixture supplies the provider-specific records the suite needs.
type Fixture struct {
	// Valid returns a record the sandbox accepts; distinct i give distinct
	// users.
	Valid func(i int) providers.Record
	// Rejected is a record that passes offline validation but that the
	// vendor (and so the sandbox) refuses with a 4xx; its error must carry
	// RejectedMessage, the vendor's own words.
	Rejected        providers.Record
	RejectedMessage string
	// Offline is a record that offline validation (CheckFields plus
	// Validate) refuses, naming OfflineField.
	Offline      providers.Record
	OfflineField string
	// NoVendorID says the vendor's answers carry no id for a user (Bright
	// Pattern documents none): the suite then does not require one on an
	// exists result, only that it equals what Lookup returns.
	NoVendorID bool
	// Pending names subtests (as given to t.Run at the top level, e.g.
	// "HTMLOK") the provider does not pass yet: they are skipped, saying
	// so. Only for bringing a provider up to a new subtest in a parallel
	// branch; empty on main.
	Pending []string
}

// Run runs the suite.
func Run(t *testing.T, p providers.Provider, fx Fixture) {
	t.Helper()
	d := p.Describe()
	pending := map[string]bool{}
	for _, n := range fx.Pending {
		pending[n] = true
	}
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			if pending[name] {
				t.Skipf("%s: pending for %s (Fixture.Pending)", name, d.Name)
			}
			f(t)
		})
	}

	run("Description", func(t *testing.T) {
		if d.Name == "" || d.Title == "" || d.API == "" {
			t.Fatalf("description lacks name, title or API: %+v", d)
		}
		if f := d.Field(d.KeyField); f == nil || !f.Required {
			t.Fatalf("key field %q is not a required field", d.KeyField)
		}
		if len(d.Auth) == 0 {
			t.Fatal("no auth scheme")
		}
		if !strings.Contains(d.InitJob, "provider: "+d.Name) || d.InitCSV == "" {
			t.Fatal("init templates missing or for another provider")
		}
		for i := 1; i <= 3; i++ {
			if errs := validate(p, fx.Valid(i)); len(errs) > 0 {
				t.Fatalf("Valid(%d) fails offline validation: %v", i, errs)
			}
		}
		if errs := validate(p, fx.Rejected); len(errs) > 0 {
			t.Fatalf("Rejected fails offline validation (it must reach the vendor): %v", errs)
		}
	})

	run("OfflineValidation", func(t *testing.T) {
		errs := validate(p, fx.Offline)
		found := false
		for _, e := range errs {
			if e.Field == fx.OfflineField {
				found = true
			}
		}
		if !found {
			t.Fatalf("offline validation of %v: got %v, want a problem with field %q", fx.Offline, errs, fx.OfflineField)
		}
	})

	run("CreateDuplicateLookup", func(t *testing.T) {
		sb, c := start(t, p, providers.SandboxOptions{Seed: 1})
		ctx := context.Background()
		rec := fx.Valid(1)
		res, err := c.Create(ctx, rec)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if res.Status != providers.StatusCreated {
			t.Fatalf("create status = %q, want created", res.Status)
		}
		if got := sb.Stats().Created; got != 1 {
			t.Fatalf("sandbox created %d users, want 1", got)
		}
		res, err = c.Create(ctx, fx.Valid(1))
		if err != nil {
			t.Fatalf("duplicate create: got error %v, want status exists", err)
		}
		if res.Status != providers.StatusExists {
			t.Fatalf("duplicate status = %q, want exists", res.Status)
		}
		if got := sb.Stats().Created; got != 1 {
			t.Fatalf("after a duplicate the sandbox holds %d users, want 1", got)
		}
		if _, found, err := c.Lookup(ctx, fx.Valid(1)); err != nil || !found {
			t.Fatalf("lookup of a created user: found=%v err=%v", found, err)
		}
		if _, found, err := c.Lookup(ctx, fx.Valid(2)); err != nil || found {
			t.Fatalf("lookup of an absent user: found=%v err=%v", found, err)
		}
	})

	run("VendorErrorCarried", func(t *testing.T) {
		_, c := start(t, p, providers.SandboxOptions{Seed: 1})
		_, err := c.Create(context.Background(), fx.Rejected)
		e, ok := providers.AsError(err)
		if !ok {
			t.Fatalf("rejected create: got %v, want *providers.Error", err)
		}
		if e.Kind != providers.KindRejected || e.HTTPStatus < 400 || e.HTTPStatus > 499 {
			t.Fatalf("rejected create: kind %v status %d, want rejected 4xx", e.Kind, e.HTTPStatus)
		}
		if !strings.Contains(e.Error(), fx.RejectedMessage) {
			t.Fatalf("error %q does not carry the vendor's message %q", e.Error(), fx.RejectedMessage)
		}
		if !strings.HasPrefix(e.Error(), d.Name+": ") {
			t.Fatalf("error %q does not name the vendor", e.Error())
		}
		assertNoSecrets(t, p, fx.Rejected, nil, e.Error())
	})

	run("AuthRefused", func(t *testing.T) {
		sb := p.NewSandbox(providers.SandboxOptions{Seed: 1})
		srv := httptest.NewServer(sb)
		t.Cleanup(srv.Close)
		wrong := map[string]string{}
		for k, v := range sb.Credentials() {
			wrong[k] = v
			if isSecretSetting(d, k) {
				wrong[k] = v + "-wrong"
			}
		}
		c, err := p.NewClient(providers.Config{Endpoint: srv.URL, Auth: wrong, Options: sb.Options(), HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Prepare(context.Background())
		if err == nil {
			_, err = c.Create(context.Background(), fx.Valid(1))
		}
		if providers.KindOf(err) != providers.KindAuth {
			t.Fatalf("wrong credentials: got %v (kind %v), want kind auth", err, providers.KindOf(err))
		}
		assertNoSecrets(t, p, fx.Valid(1), wrong, err.Error())
		if got := sb.Stats().Created; got != 0 {
			t.Fatalf("created %d users with wrong credentials", got)
		}
	})

	run("RefuseAuthFault", func(t *testing.T) {
		_, c := startUnprepared(t, p, providers.SandboxOptions{RefuseAuth: true})
		err := c.Prepare(context.Background())
		if err == nil {
			_, err = c.Create(context.Background(), fx.Valid(1))
		}
		if providers.KindOf(err) != providers.KindAuth {
			t.Fatalf("RefuseAuth: got %v, want kind auth", err)
		}
	})

	run("ThrottleFault", func(t *testing.T) {
		sb, c := start(t, p, providers.SandboxOptions{Throttle: 1, RetryAfter: 3 * time.Second})
		_, err := c.Create(context.Background(), fx.Valid(1))
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindRetry || e.HTTPStatus != http.StatusTooManyRequests || e.RetryAfter != 3*time.Second {
			t.Fatalf("throttled create: got %#v, want 429 kind retry with RetryAfter 3s", err)
		}
		if sb.Stats().Created != 0 {
			t.Fatal("a throttled create created a user")
		}
	})

	run("UnavailableFault", func(t *testing.T) {
		sb, c := start(t, p, providers.SandboxOptions{Unavailable: 1})
		_, err := c.Create(context.Background(), fx.Valid(1))
		e, ok := providers.AsError(err)
		if !ok || e.Kind != providers.KindRetry || e.HTTPStatus != http.StatusServiceUnavailable {
			t.Fatalf("unavailable create: got %v, want 503 kind retry", err)
		}
		if sb.Stats().Created != 0 {
			t.Fatal("a 503 create created a user")
		}
	})

	run("DropFault", func(t *testing.T) {
		sb, c := start(t, p, providers.SandboxOptions{Drop: 1})
		_, err := c.Create(context.Background(), fx.Valid(1))
		if providers.KindOf(err) != providers.KindUnknown {
			t.Fatalf("dropped create: got %v (kind %v), want kind unknown", err, providers.KindOf(err))
		}
		if sb.Stats().Created != 1 {
			t.Fatalf("dropped create: sandbox created %d, want 1 (acted, then dropped)", sb.Stats().Created)
		}
		if _, found, err := c.Lookup(context.Background(), fx.Valid(1)); err != nil || !found {
			t.Fatalf("lookup after a dropped create: found=%v err=%v", found, err)
		}
	})

	run("AllowDuplicates", func(t *testing.T) {
		sb, c := start(t, p, providers.SandboxOptions{AllowDuplicates: true})
		for i := 0; i < 2; i++ {
			res, err := c.Create(context.Background(), fx.Valid(1))
			if err != nil || res.Status != providers.StatusCreated {
				t.Fatalf("create %d with AllowDuplicates: %v %v", i, res.Status, err)
			}
		}
		if st := sb.Stats(); st.Created != 2 || st.Duplicates != 1 {
			t.Fatalf("stats = %+v, want 2 created, 1 duplicate", st)
		}
	})

	run("Redirect", func(t *testing.T) { testRedirect(t, p, fx) })
	run("HTMLOK", func(t *testing.T) { testHTML(t, p, fx) })
	run("NoID", func(t *testing.T) { testNoID(t, p, fx) })
	run("Limit", func(t *testing.T) { testLimit(t, p, fx) })
	run("Variants", func(t *testing.T) { testVariants(t, p, fx) })

	run("Preview", func(t *testing.T) {
		rec := fx.Valid(1)
		out, err := p.Preview(rec.Masked(d), nil)
		if err != nil || out == "" {
			t.Fatalf("preview: %q %v", out, err)
		}
		assertNoSecrets(t, p, rec, nil, out)
	})
}

func validate(p providers.Provider, rec providers.Record) []providers.FieldError {
	rec = rec.Clone()
	errs := providers.CheckFields(p.Describe(), rec)
	return append(errs, p.Validate(rec, nil)...)
}

// Start serves p's sandbox over loopback and returns it with a prepared
// client that uses the sandbox's credentials.
func Start(t testing.TB, p providers.Provider, opts providers.SandboxOptions) (providers.Sandbox, providers.Client) {
	return start(t, p, opts)
}

func start(t testing.TB, p providers.Provider, opts providers.SandboxOptions) (providers.Sandbox, providers.Client) {
	t.Helper()
	sb, c := startUnprepared(t, p, opts)
	if err := c.Prepare(context.Background()); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return sb, c
}

func startUnprepared(t testing.TB, p providers.Provider, opts providers.SandboxOptions) (providers.Sandbox, providers.Client) {
	t.Helper()
	sb := p.NewSandbox(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := p.NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), Options: sb.Options(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

func isSecretSetting(d *providers.Description, name string) bool {
	for _, s := range d.Auth {
		for _, set := range s.Settings {
			if set.Name == name && set.Secret {
				return true
			}
		}
	}
	return false
}

// assertNoSecrets fails when text holds a secret field of rec or a secret
// auth setting.
func assertNoSecrets(t *testing.T, p providers.Provider, rec providers.Record, auth map[string]string, text string) {
	t.Helper()
	d := p.Describe()
	for _, name := range d.SecretFields() {
		if v := rec.String(name); v != "" && strings.Contains(text, v) {
			t.Fatalf("secret field %q appears in %q", name, text)
		}
	}
	for k, v := range auth {
		if isSecretSetting(d, k) && v != "" && strings.Contains(text, v) {
			t.Fatalf("secret auth setting %q appears in %q", k, text)
		}
	}
}
