package providers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestTemplate(t *testing.T) {
	type seen struct{ method, path, auth, accept, ctype, agent, body string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, u + ":" + p, r.Header.Get("Accept"), r.Header.Get("Content-Type"), r.UserAgent(), string(b)})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	tmpl, err := NewTemplate(http.MethodPost, srv.URL+"/api/users", "application/json", "onboard/test", http.Header{
		"Authorization": {BasicAuth("ann", "pa:ss")},
		"Accept":        {"application/json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Concurrent requests share the template's header map: the race
	// detector proves nothing writes to it.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := []byte(`{"n":` + string(rune('a'+i)) + `}`)
			resp, data, err := Send(context.Background(), http.DefaultClient, "v", "create", tmpl, body)
			if err != nil || resp.StatusCode != http.StatusCreated || len(data) != 0 {
				t.Errorf("send: %v %v %q", resp, err, data)
			}
		})
	}
	wg.Wait()
	if len(got) != 20 {
		t.Fatalf("server saw %d requests", len(got))
	}
	bodies := map[string]bool{}
	for _, s := range got {
		if s.method != "POST" || s.path != "/api/users" || s.auth != "ann:pa:ss" || s.accept != "application/json" || s.ctype != "application/json" || s.agent != "onboard/test" {
			t.Errorf("request %+v", s)
		}
		bodies[s.body] = true
	}
	if len(bodies) != 20 {
		t.Errorf("bodies mixed up: %d distinct of 20", len(bodies))
	}
}
