package cxengage_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cxengage"
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
	if r.Method == http.MethodPost && r.URL.Path == "/v1/users" {
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
		case drop:
			l.next.ServeHTTP(httptest.NewRecorder(), r) // the vendor acts...
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close() // ...and the answer is lost
			}
			return
		case html:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Please sign in to the guest network</body></html>")
			return
		}
	}
	l.next.ServeHTTP(w, r)
}

func startVariant(t *testing.T, variants map[string]string, drop, html int) (*cxengage.Sandbox, providers.Client) {
	t.Helper()
	sb := cxengage.NewSandbox(providers.SandboxOptions{Seed: 1, Variants: variants})
	srv := httptest.NewServer(&lossy{next: sb, drop: drop, html: html})
	t.Cleanup(srv.Close)
	c, err := cxengage.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: sb.Credentials(), HTTPClient: srv.Client()})
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

// eachVariant runs f for every combination of the sandbox's variants.
func eachVariant(t *testing.T, f func(t *testing.T, v map[string]string)) {
	for _, dup := range cxengage.DuplicateVariants {
		for _, absent := range cxengage.LookupAbsentVariants {
			v := map[string]string{cxengage.VariantDuplicate: dup, cxengage.VariantLookupAbsent: absent}
			t.Run(dup+","+absent, func(t *testing.T) { f(t, v) })
		}
	}
}

// TestVariantDuplicateFirstTry: a second create of the same person, in
// every duplicate shape, is exists with the vendor's id, confirmed by a
// lookup; nobody is created twice.
func TestVariantDuplicateFirstTry(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		sb, c := startVariant(t, v, 0, 0)
		ctx := context.Background()
		first, err := c.Create(ctx, valid(1))
		if err != nil || first.Status != providers.StatusCreated {
			t.Fatalf("create: %+v %v", first, err)
		}
		again := valid(1)
		again["email"] = "AGENT1@example.com"
		res, err := c.Create(ctx, again)
		if err != nil || res.Status != providers.StatusExists || res.VendorID != first.VendorID {
			t.Fatalf("duplicate: %+v %v, want exists %s", res, err, first.VendorID)
		}
		if n := len(sb.Users()); n != 1 || sb.Stats().Duplicates != 0 {
			t.Fatalf("%d users, %d duplicates", n, sb.Stats().Duplicates)
		}
	})
}

// TestVariantDuplicateAfterLostAnswer: the first create is acted on and its
// answer lost; a re-send meets the duplicate answer and reports exists.
func TestVariantDuplicateAfterLostAnswer(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		sb, c := startVariant(t, v, 1, 0)
		ctx := context.Background()
		if _, err := c.Create(ctx, valid(1)); providers.KindOf(err) != providers.KindUnknown {
			t.Fatalf("lost answer: %v", err)
		}
		res, err := c.Create(ctx, valid(1))
		users := sb.Users()
		if err != nil || res.Status != providers.StatusExists || len(users) != 1 || res.VendorID != users[0].ID {
			t.Fatalf("re-send: %+v %v (users %d)", res, err, len(users))
		}
		// The pipeline's own path, a lookup, finds it too.
		if res, ok, err := c.Lookup(ctx, valid(1)); err != nil || !ok || res.VendorID != users[0].ID {
			t.Fatalf("lookup: %+v %v %v", res, ok, err)
		}
	})
}

// TestVariantAbsentLookupMidRetries: creates answered with a portal page
// (never reaching the vendor) and a lost answer, with lookups in between
// that find nobody, in both absent shapes: each row ends created or
// exists, exactly one user each, never a duplicate.
func TestVariantAbsentLookupMidRetries(t *testing.T) {
	eachVariant(t, func(t *testing.T, v map[string]string) {
		ctx := context.Background()
		sb, c := startVariant(t, v, 0, 2)
		res, err := sendRow(ctx, c, valid(1))
		if err != nil || res.Status != providers.StatusCreated {
			t.Fatalf("after two portal pages: %+v %v", res, err)
		}
		sb2, c2 := startVariant(t, v, 1, 1)
		res, err = sendRow(ctx, c2, valid(2))
		if err != nil || res.Status != providers.StatusExists {
			t.Fatalf("after a portal page and a lost answer: %+v %v", res, err)
		}
		for _, s := range []*cxengage.Sandbox{sb, sb2} {
			if n := len(s.Users()); n != 1 || s.Stats().Duplicates != 0 {
				t.Fatalf("%d users, %d duplicates; want 1, 0", n, s.Stats().Duplicates)
			}
		}
		if _, found, err := c.Lookup(ctx, valid(3)); err != nil || found {
			t.Fatalf("lookup of nobody: %v %v", found, err)
		}
	})
}

// TestSandboxAbsentShapes checks what each lookup-absent variant answers.
func TestSandboxAbsentShapes(t *testing.T) {
	for value, want := range map[string]int{cxengage.LookupAbsent404: 404, cxengage.LookupAbsentEmpty: 200} {
		sb := cxengage.NewSandbox(providers.SandboxOptions{Variants: map[string]string{cxengage.VariantLookupAbsent: value}})
		srv := httptest.NewServer(sb)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/users?email=nobody%40example.com", nil)
		req.SetBasicAuth(cxengage.SandboxUsername, cxengage.SandboxPassword)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != want || want == 200 && strings.TrimSpace(string(b)) != `{"result":[]}` {
			t.Errorf("%s: %d %s", value, resp.StatusCode, b)
		}
	}
}

// TestVariantsDescribed: the description lists exactly what the sandbox
// plays, the default first, and a value it does not play is refused.
func TestVariantsDescribed(t *testing.T) {
	d := cxengage.New().Describe()
	want := map[string][]string{cxengage.VariantDuplicate: cxengage.DuplicateVariants, cxengage.VariantLookupAbsent: cxengage.LookupAbsentVariants}
	if len(d.SandboxVariants) != len(want) {
		t.Fatalf("variants = %+v", d.SandboxVariants)
	}
	for _, v := range d.SandboxVariants {
		if !slices.Equal(v.Values, want[v.Name]) || v.Help == "" {
			t.Fatalf("variant %+v, want values %v", v, want[v.Name])
		}
	}
	for _, bad := range []map[string]string{{cxengage.VariantDuplicate: "500"}, {"lookup": "404"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSandbox accepted %v", bad)
				}
			}()
			cxengage.NewSandbox(providers.SandboxOptions{Variants: bad})
		}()
	}
}

// variantProvider is the provider whose sandbox plays fixed variants.
type variantProvider struct {
	cxengage.Provider
	v map[string]string
}

func (p variantProvider) NewSandbox(opts providers.SandboxOptions) providers.Sandbox {
	opts.Variants = p.v
	return cxengage.NewSandbox(opts)
}

// TestConformanceVariants runs the whole suite against every variant.
func TestConformanceVariants(t *testing.T) {
	unknownRole := valid(9)
	unknownRole["roleId"] = "00000000-0000-4000-8000-000000000000"
	badPhone := valid(1)
	badPhone["personalTelephone"] = "12345"
	eachVariant(t, func(t *testing.T, v map[string]string) {
		providertest.Run(t, variantProvider{v: v}, providertest.Fixture{
			Valid: valid, Rejected: unknownRole, RejectedMessage: "is not a platform role",
			Offline: badPhone, OfflineField: "personalTelephone",
		})
	})
}
