package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
)

// testRedirect: a sandbox answering every request with a redirect to
// another server. Nothing reaches that server (no re-posted body, no
// forwarded Authorization), the call fails with KindEndpoint naming the
// target, and nobody is created.
func testRedirect(t *testing.T, p providers.Provider, fx Fixture) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			var reached atomic.Int64
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(target.Close)
			opts := providers.SandboxOptions{Redirect: code, RedirectTo: target.URL + "/moved?token=secret-in-query"}
			sb, c := startUnprepared(t, p, opts)
			err := c.Prepare(context.Background())
			if err == nil {
				_, err = c.Create(context.Background(), fx.Valid(1))
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindEndpoint || e.HTTPStatus != code {
				t.Fatalf("redirected call: got %v (kind %v), want a %d of kind endpoint", err, providers.KindOf(err), code)
			}
			if !strings.Contains(e.Error(), strings.TrimPrefix(target.URL, "http://")) {
				t.Errorf("error %q does not name where the redirect pointed (%s)", e.Error(), target.URL)
			}
			if strings.Contains(e.Error(), "secret-in-query") {
				t.Errorf("error %q repeats the Location's query", e.Error())
			}
			if n := reached.Load(); n != 0 {
				t.Fatalf("the redirect target received %d requests, want 0", n)
			}
			if st := sb.Stats(); st.Created != 0 || st.Redirected == 0 {
				t.Fatalf("sandbox stats %+v: want 0 created and the redirect counted", st)
			}
		})
	}
}

// testHTML: a create answered 200 with a captive-portal page (not acted
// on) is an unknown outcome, never created, and the lookup says absent.
func testHTML(t *testing.T, p providers.Provider, fx Fixture) {
	sb, c := start(t, p, providers.SandboxOptions{HTML: 1, Seed: 1})
	_, err := c.Create(context.Background(), fx.Valid(1))
	if providers.KindOf(err) != providers.KindUnknown || err == nil {
		t.Fatalf("create answered with an HTML page: got %v (kind %v), want kind unknown", err, providers.KindOf(err))
	}
	if st := sb.Stats(); st.Created != 0 || st.HTML != 1 {
		t.Fatalf("sandbox stats %+v: want 0 created, 1 HTML answer", st)
	}
	if _, found, err := c.Lookup(context.Background(), fx.Valid(1)); err != nil || found {
		t.Fatalf("lookup after an HTML answer: found=%v err=%v, want absent", found, err)
	}
}

// testNoID: a create acted on but answered 2xx without the new user's id is
// an unknown outcome, and the lookup finds the user.
func testNoID(t *testing.T, p providers.Provider, fx Fixture) {
	sb, c := start(t, p, providers.SandboxOptions{NoID: 1, Seed: 1})
	_, err := c.Create(context.Background(), fx.Valid(1))
	if providers.KindOf(err) != providers.KindUnknown || err == nil {
		t.Fatalf("create answered without an id: got %v (kind %v), want kind unknown", err, providers.KindOf(err))
	}
	if st := sb.Stats(); st.Created != 1 || st.NoID != 1 {
		t.Fatalf("sandbox stats %+v: want 1 created, 1 answer without id", st)
	}
	if _, found, err := c.Lookup(context.Background(), fx.Valid(1)); err != nil || !found {
		t.Fatalf("lookup after an answer without id: found=%v err=%v, want found", found, err)
	}
}

// testLimit: the hidden limit answers 429 once its bucket is empty, with a
// Retry-After unless NoRetryAfter; the refused create is not acted on. At
// 0.01 creates a second the bucket holds one create and refills in 100s, so
// the second create is refused however slow the machine.
func testLimit(t *testing.T, p providers.Provider, fx Fixture) {
	for _, noRA := range []bool{false, true} {
		name := "RetryAfter"
		want := 2 * time.Second
		if noRA {
			name, want = "NoRetryAfter", 0
		}
		t.Run(name, func(t *testing.T) {
			sb, c := start(t, p, providers.SandboxOptions{Limit: 0.01, RetryAfter: 2 * time.Second, NoRetryAfter: noRA})
			if _, err := c.Create(context.Background(), fx.Valid(1)); err != nil {
				t.Fatalf("first create within the limit: %v", err)
			}
			_, err := c.Create(context.Background(), fx.Valid(2))
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindRetry || e.HTTPStatus != http.StatusTooManyRequests || e.RetryAfter != want {
				t.Fatalf("create over the limit: got %#v, want 429 kind retry with RetryAfter %v", err, want)
			}
			if st := sb.Stats(); st.Created != 1 || st.Throttled != 1 {
				t.Fatalf("sandbox stats %+v: want 1 created, 1 throttled", st)
			}
		})
	}
}

// testVariants plays every value of every sandbox variant (the default
// alone when the provider lists none): a duplicate on the first try, a
// duplicate after a lost answer, and lookups of absent and present users
// must all give the right outcome, and nobody is created twice.
func testVariants(t *testing.T, p providers.Provider, fx Fixture) {
	d := p.Describe()
	type choice struct {
		name string
		v    map[string]string
	}
	choices := []choice{{"default", nil}}
	for _, sv := range d.SandboxVariants {
		if len(sv.Values) == 0 {
			t.Fatalf("sandbox variant %q has no values", sv.Name)
		}
		for _, val := range sv.Values {
			choices = append(choices, choice{sv.Name + "=" + val, map[string]string{sv.Name: val}})
		}
	}
	sort.SliceStable(choices[1:], func(i, j int) bool { return choices[1+i].name < choices[1+j].name })
	for _, ch := range choices {
		t.Run(ch.name, func(t *testing.T) {
			if err := d.CheckVariants(ch.v); err != nil {
				t.Fatal(err)
			}
			t.Run("DuplicateFirstTry", func(t *testing.T) {
				sb, c := start(t, p, providers.SandboxOptions{Seed: 1, Variants: ch.v})
				ctx := context.Background()
				if res, err := c.Create(ctx, fx.Valid(1)); err != nil || res.Status != providers.StatusCreated {
					t.Fatalf("create: %v %v", res.Status, err)
				}
				res, err := c.Create(ctx, fx.Valid(1))
				if err != nil || res.Status != providers.StatusExists {
					t.Fatalf("duplicate create: status %q err %v, want exists", res.Status, err)
				}
				checkExists(t, c, fx, res)
				checkOnce(t, sb)
			})
			t.Run("DuplicateAfterLostAnswer", func(t *testing.T) {
				sb, c := start(t, p, providers.SandboxOptions{Seed: 1, Drop: 1, Variants: ch.v})
				ctx := context.Background()
				_, err := c.Create(ctx, fx.Valid(1))
				if providers.KindOf(err) != providers.KindUnknown || err == nil {
					t.Fatalf("dropped create: got %v, want kind unknown", err)
				}
				if _, found, err := c.Lookup(ctx, fx.Valid(1)); err != nil || !found {
					t.Fatalf("lookup after a lost answer: found=%v err=%v, want found", found, err)
				}
				// The pipeline re-sends only after a lookup that found
				// nobody; a re-send racing a slow vendor meets the
				// duplicate answer, which must read as exists too.
				res, err := c.Create(ctx, fx.Valid(1))
				if err != nil || res.Status != providers.StatusExists {
					t.Fatalf("create again after a lost answer: status %q err %v, want exists", res.Status, err)
				}
				checkExists(t, c, fx, res)
				checkOnce(t, sb)
			})
			t.Run("Lookup", func(t *testing.T) {
				sb, c := start(t, p, providers.SandboxOptions{Seed: 1, Variants: ch.v})
				ctx := context.Background()
				if _, found, err := c.Lookup(ctx, fx.Valid(1)); err != nil || found {
					t.Fatalf("lookup of an absent user: found=%v err=%v, want absent", found, err)
				}
				if _, err := c.Create(ctx, fx.Valid(1)); err != nil {
					t.Fatalf("create: %v", err)
				}
				if res, found, err := c.Lookup(ctx, fx.Valid(1)); err != nil || !found || res.Status != providers.StatusExists {
					t.Fatalf("lookup of a present user: %+v found=%v err=%v, want exists", res, found, err)
				}
				if _, found, err := c.Lookup(ctx, fx.Valid(2)); err != nil || found {
					t.Fatalf("lookup of another, absent user: found=%v err=%v, want absent", found, err)
				}
				checkOnce(t, sb)
			})
		})
	}
}

// checkExists: an exists result carries the vendor id Lookup reports (and
// one at all, unless the vendor has none).
func checkExists(t *testing.T, c providers.Client, fx Fixture, res providers.Result) {
	t.Helper()
	if res.VendorID == "" && !fx.NoVendorID {
		t.Fatalf("exists without the vendor id: %+v", res)
	}
	lk, found, err := c.Lookup(context.Background(), fx.Valid(1))
	if err != nil || !found {
		t.Fatalf("lookup of the existing user: found=%v err=%v", found, err)
	}
	if lk.VendorID != res.VendorID {
		t.Fatalf("exists with vendor id %q, lookup says %q", res.VendorID, lk.VendorID)
	}
}

func checkOnce(t *testing.T, sb providers.Sandbox) {
	t.Helper()
	if st := sb.Stats(); st.Created != 1 || st.Duplicates != 0 {
		t.Fatalf("sandbox stats %+v: want 1 created, 0 duplicates", st)
	}
}
