package cxoneexpert_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxoneexpert"
	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
	"github.com/onboardhq/onboard/providers/providertest"
)

// lossy wraps the sandbox: the first `html` creates are answered 200 with a
// portal's page without reaching the sandbox; the next `drop` creates are
// acted on and their answers lost.
type lossy struct {
	next       http.Handler
	mu         sync.Mutex
	drop, html int
}

func (l *lossy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == api.UsersPath {
		l.mu.Lock()
		html := l.html > 0
		drop := !html && l.drop > 0
		if html {
			l.html--
		} else if drop {
			l.drop--
		}
		l.mu.Unlock()
		switch {
		case html:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Please sign in to the guest network</body></html>")
			return
		case drop:
			l.next.ServeHTTP(httptest.NewRecorder(), r)
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
	}
	l.next.ServeHTTP(w, r)
}

func startVariant(t *testing.T, variants map[string]string, html, drop int) (*cxoneexpert.Sandbox, providers.Client) {
	t.Helper()
	sb := cxoneexpert.NewSandbox(providers.SandboxOptions{Seed: 1, Variants: variants})
	srv := httptest.NewServer(&lossy{next: sb, html: html, drop: drop})
	t.Cleanup(srv.Close)
	c, err := cxoneexpert.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), Options: sb.Options(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

// sendRow does what the pipeline does for one row (batch.engine.send): an
// unknown outcome is looked up before anything is re-sent.
func sendRow(ctx context.Context, c providers.Client, rec providers.Record) (providers.Result, error) {
	lookupFirst := false
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		if lookupFirst {
			res, found, err := c.Lookup(ctx, rec)
			if err != nil {
				last = err
				continue
			}
			if found {
				return res, nil
			}
			lookupFirst = false
		}
		res, err := c.Create(ctx, rec)
		if err == nil {
			return res, nil
		}
		last = err
		switch providers.KindOf(err) {
		case providers.KindUnknown:
			lookupFirst = true
		case providers.KindRetry:
		default:
			return providers.Result{}, err
		}
	}
	return providers.Result{}, last
}

func eachVariant(t *testing.T, f func(t *testing.T, v map[string]string)) {
	for _, dup := range cxoneexpert.DuplicateVariants {
		for _, tok := range cxoneexpert.TokenFormats {
			v := map[string]string{cxoneexpert.VariantDuplicate: dup, cxoneexpert.VariantTokenFormat: tok}
			t.Run(dup+","+tok, func(t *testing.T) { f(t, v) })
		}
	}
}

// variantProvider is the provider whose sandbox plays fixed variants.
type variantProvider struct {
	cxoneexpert.Provider
	v map[string]string
}

func (p variantProvider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	opts.Variants = p.v
	return cxoneexpert.NewSandbox(opts)
}

// TestConformanceVariants runs the whole suite against every variant.
func TestConformanceVariants(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		providertest.Run(t, variantProvider{v: v}, fixture())
	})
}

func TestVariantDuplicateFirstTry(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		sb, c := startVariant(t, v, 0, 0)
		ctx := context.Background()
		first, err := c.Create(ctx, valid(1))
		if err != nil || first.Status != providers.StatusCreated {
			t.Fatalf("create: %+v %v", first, err)
		}
		again := valid(1)
		again["username"] = "AGENT1"
		res, err := c.Create(ctx, again)
		if err != nil || res.Status != providers.StatusExists || res.VendorID != first.VendorID {
			t.Fatalf("duplicate: %+v %v, want exists %s", res, err, first.VendorID)
		}
		if n := len(sb.Users()); n != 1 || sb.Stats().Duplicates != 0 {
			t.Fatalf("%d users, %d duplicates", n, sb.Stats().Duplicates)
		}
	})
}

func TestVariantDuplicateAfterLostAnswer(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		sb, c := startVariant(t, v, 0, 1)
		ctx := context.Background()
		if _, err := c.Create(ctx, valid(1)); providers.KindOf(err) != providers.KindUnknown {
			t.Fatalf("lost answer: %v", err)
		}
		res, err := c.Create(ctx, valid(1))
		users := sb.Users()
		if err != nil || res.Status != providers.StatusExists || len(users) != 1 || res.VendorID != users[0].ID {
			t.Fatalf("re-send: %+v %v (users %d)", res, err, len(users))
		}
		if !sb.CheckPassword("agent1", valid(1).String("password")) {
			t.Fatal("the first create's password is not the one in effect")
		}
	})
}

// TestVariantAbsentLookupMidRetries: portal pages and a lost answer, with
// 404 lookups in between: one user per row, never a duplicate.
func TestVariantAbsentLookupMidRetries(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		ctx := context.Background()
		sb, c := startVariant(t, v, 2, 0)
		if res, err := sendRow(ctx, c, valid(1)); err != nil || res.Status != providers.StatusCreated {
			t.Fatalf("after two portal pages: %+v %v", res, err)
		}
		sb2, c2 := startVariant(t, v, 1, 1)
		if res, err := sendRow(ctx, c2, valid(2)); err != nil || res.Status != providers.StatusExists {
			t.Fatalf("after a portal page and a lost answer: %+v %v", res, err)
		}
		for _, s := range []*cxoneexpert.Sandbox{sb, sb2} {
			if n := len(s.Users()); n != 1 || s.Stats().Duplicates != 0 {
				t.Fatalf("%d users, %d duplicates; want 1, 0", n, s.Stats().Duplicates)
			}
		}
	})
}

func TestVariantsDescribed(t *testing.T) {
	d := cxoneexpert.New().Describe()
	want := map[string][]string{cxoneexpert.VariantDuplicate: cxoneexpert.DuplicateVariants, cxoneexpert.VariantTokenFormat: cxoneexpert.TokenFormats}
	if len(d.SandboxVariants) != len(want) {
		t.Fatalf("variants = %+v", d.SandboxVariants)
	}
	for _, v := range d.SandboxVariants {
		if !slices.Equal(v.Values, want[v.Name]) || v.Help == "" {
			t.Fatalf("variant %+v, want values %v", v, want[v.Name])
		}
	}
	for _, bad := range []map[string]string{{cxoneexpert.VariantDuplicate: "500"}, {"token": "legacy"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSandbox accepted %v", bad)
				}
			}()
			cxoneexpert.NewSandbox(providers.SandboxOptions{Variants: bad})
		}()
	}
}
