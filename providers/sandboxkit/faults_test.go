package sandboxkit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/providers"
)

func isPost(r *http.Request) bool { return r.Method == http.MethodPost }

// vendor is a stand-in vendor handler: it counts what reaches it and
// answers a create with status and body.
type vendor struct {
	kit     *Kit
	reached int
	status  int
	body    string
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.reached++
	if r.Method == http.MethodPost {
		if st := v.kit.BeforeCreate(); st != 0 {
			v.kit.SetRetryAfter(w)
			w.WriteHeader(st)
			return
		}
		v.kit.Created(false)
		if v.kit.Drop(w) {
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(v.status)
	_, _ = io.WriteString(w, v.body)
}

func serve(k *Kit, v *vendor, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	k.Wrap(v, isPost).ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader("{}")))
	return rec
}

func TestEnterRedirectAnswersEveryRequest(t *testing.T) {
	k := New(providers.SandboxOptions{Redirect: http.StatusPermanentRedirect, RedirectTo: "https://elsewhere.example/"})
	v := &vendor{kit: k, status: 201, body: `{"id":"1"}`}
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		rec := serve(k, v, m, "/api/users?q=1")
		if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != "https://elsewhere.example/api/users?q=1" {
			t.Fatalf("%s: got %d Location %q, want 308 to https://elsewhere.example/api/users?q=1", m, rec.Code, rec.Header().Get("Location"))
		}
	}
	if v.reached != 0 {
		t.Fatalf("the vendor handler ran %d times behind a redirect", v.reached)
	}
	if st := k.Stats(); st.Requests != 2 || st.Redirected != 2 || st.Created != 0 {
		t.Fatalf("stats %+v: want 2 requests, 2 redirected, 0 created", st)
	}
}

func TestEnterLimitIsATokenBucket(t *testing.T) {
	for _, noRA := range []bool{false, true} {
		k := New(providers.SandboxOptions{Limit: 2, RetryAfter: 3 * time.Second, NoRetryAfter: noRA})
		now := time.Unix(1000, 0)
		k.now = func() time.Time { return now }
		v := &vendor{kit: k, status: 201, body: `{"id":"1"}`}
		var codes []int
		for range 3 { // burst 2, then empty
			codes = append(codes, serve(k, v, http.MethodPost, "/u").Code)
		}
		if got := serve(k, v, http.MethodGet, "/u").Code; got != 201 {
			t.Fatalf("a lookup was limited: %d", got)
		}
		rec := serve(k, v, http.MethodPost, "/u")
		codes = append(codes, rec.Code)
		wantRA := "3"
		if noRA {
			wantRA = ""
		}
		if got := rec.Header().Get("Retry-After"); got != wantRA {
			t.Errorf("NoRetryAfter=%v: Retry-After %q, want %q", noRA, got, wantRA)
		}
		now = now.Add(500 * time.Millisecond) // one token back at 2/s
		codes = append(codes, serve(k, v, http.MethodPost, "/u").Code, serve(k, v, http.MethodPost, "/u").Code)
		want := []int{201, 201, 429, 429, 201, 429}
		for i := range want {
			if codes[i] != want[i] {
				t.Fatalf("NoRetryAfter=%v: statuses %v, want %v", noRA, codes, want)
			}
		}
		if st := k.Stats(); st.Created != 3 || st.Throttled != 3 || st.Creates != 6 {
			t.Fatalf("stats %+v: want 3 created, 3 throttled, 6 creates", st)
		}
	}
}

func TestEnterHTMLAnswersCreatesWithoutActing(t *testing.T) {
	k := New(providers.SandboxOptions{HTML: 1, Seed: 1})
	v := &vendor{kit: k, status: 201, body: `{"id":"1"}`}
	rec := serve(k, v, http.MethodPost, "/u")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "<html>") {
		t.Fatalf("got %d %q %q, want a 200 HTML page", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if got := serve(k, v, http.MethodGet, "/u"); got.Body.String() != `{"id":"1"}` {
		t.Fatalf("a lookup got the HTML page: %q", got.Body.String())
	}
	if st := k.Stats(); st.Created != 0 || st.HTML != 1 || st.Creates != 1 || v.reached != 1 {
		t.Fatalf("stats %+v, vendor reached %d: want 0 created, 1 HTML, 1 create, only the lookup reaching the vendor", st, v.reached)
	}
}

func TestEnterNoIDEmptiesOnlySuccess(t *testing.T) {
	k := New(providers.SandboxOptions{NoID: 1, Seed: 1})
	v := &vendor{kit: k, status: 201, body: `{"id":"1","name":"x"}`}
	rec := serve(k, v, http.MethodPost, "/u")
	if rec.Code != 201 || rec.Body.String() != "{}" || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q, want 201 {}", rec.Code, rec.Body.String())
	}
	v.status, v.body = 409, `{"error":"exists"}`
	if rec := serve(k, v, http.MethodPost, "/u"); rec.Code != 409 || rec.Body.String() != `{"error":"exists"}` {
		t.Fatalf("a 409 was changed: %d %q", rec.Code, rec.Body.String())
	}
	if st := k.Stats(); st.Created != 2 || st.NoID != 1 {
		t.Fatalf("stats %+v: want 2 created (acted on), 1 answered without id", st)
	}
}

// TestEnterNoIDKeepsDrop: behind the NoID wrapper, Drop can still close
// the connection (the wrapper hijacks through).
func TestEnterNoIDKeepsDrop(t *testing.T) {
	k := New(providers.SandboxOptions{NoID: 1, Drop: 1, Seed: 1})
	v := &vendor{kit: k, status: 201, body: `{"id":"1"}`}
	srv := httptest.NewServer(k.Wrap(v, isPost))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d, want the connection dropped", resp.StatusCode)
	}
	if st := k.Stats(); st.Created != 1 {
		t.Fatalf("stats %+v: want 1 created", st)
	}
}

func TestEnterPassesEverythingWithoutFaults(t *testing.T) {
	k := New(providers.SandboxOptions{Seed: 1})
	v := &vendor{kit: k, status: 201, body: `{"id":"1"}`}
	if rec := serve(k, v, http.MethodPost, "/u"); rec.Code != 201 || rec.Body.String() != `{"id":"1"}` {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if st := k.Stats(); st.Requests != 1 || st.Creates != 1 || st.Created != 1 {
		t.Fatalf("stats %+v", st)
	}
}
