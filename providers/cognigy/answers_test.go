package cognigy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// tenant is a scripted stand-in for a Cognigy installation: a create is
// answered with createStatus and createBody, a lookup with lookupStatus and
// lookupBody. It records the lookups' filters.
type tenant struct {
	createStatus int
	createCT     string
	createBody   string
	lookupStatus int
	lookupBody   string

	mu      sync.Mutex
	creates int
	filters []string
}

func (f *tenant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		f.creates++
		ct := f.createCT
		if ct == "" {
			ct = "application/problem+json"
			if f.createStatus < 300 {
				ct = "application/json"
			}
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.createStatus)
		_, _ = io.WriteString(w, f.createBody)
	case http.MethodGet:
		f.filters = append(f.filters, r.URL.Query().Get("filter"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.lookupStatus)
		_, _ = io.WriteString(w, f.lookupBody)
	}
}

func tenantClient(t *testing.T, f *tenant) providers.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := cognigy.New().NewClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"username": "admin@example.com", "password": "admin-password-1"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const echo = `{"id":"agent1@example.com","name":"Agent 1","password":"S3cret!pass1","organisation":"5f1e2d3c4b5a697887766554","_id":"65f0c0ffee0000000000abcd","createdAt":1694518620}`

// TestCreatedNeedsTheEchoedUser: only the documented answer, the user
// echoed with its _id and the id sent, proves a create; any other 2xx is an
// unknown outcome whose error never quotes the body.
func TestCreatedNeedsTheEchoedUser(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		want   bool
	}{
		{"200 documented", 200, "", echo, true},
		{"201 documented", 201, "", echo, true},
		{"id in another case", 200, "", strings.Replace(echo, "agent1@example.com", "Agent1@Example.com", 1), true},
		{"empty object", 201, "", `{}`, false},
		{"no _id", 200, "", strings.Replace(echo, `"_id"`, `"uid"`, 1), false},
		{"empty _id", 200, "", strings.Replace(echo, `"65f0c0ffee0000000000abcd"`, `""`, 1), false},
		{"another user", 200, "", strings.Replace(echo, "agent1@example.com", "agent2@example.com", 1), false},
		{"captive portal", 200, "text/html", `<html><body>Sign in S3cret!pass1</body></html>`, false},
		{"garbage", 200, "", "\x00\x01S3cret!pass1", false},
		{"202", 202, "", echo, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &tenant{createStatus: tt.status, createCT: tt.ct, createBody: tt.body}
			res, err := tenantClient(t, f).Create(context.Background(), valid(1))
			if tt.want {
				if err != nil || res.Status != providers.StatusCreated || res.VendorID != "65f0c0ffee0000000000abcd" {
					t.Fatalf("got %+v %v, want created with the _id", res, err)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindUnknown || e.HTTPStatus != tt.status || !strings.Contains(e.Message, "outcome unknown") {
				t.Fatalf("got %+v %v, want a %d of kind unknown", res, err, tt.status)
			}
			if strings.Contains(e.Error(), "S3cret") {
				t.Fatalf("error %q quotes the body", e.Error())
			}
			if f.creates != 1 || len(f.filters) != 0 {
				t.Fatalf("%d creates, lookups %v: want 1 create and no lookup (the pipeline looks up)", f.creates, f.filters)
			}
		})
	}
}

// TestDuplicateAnswersConfirmed: a 409, or a 400 saying the user exists, is
// confirmed by a lookup: found is exists with its _id; not found is a
// failure with the vendor's words. A validation 400 is not looked up.
func TestDuplicateAnswersConfirmed(t *testing.T) {
	found := `{"items":[{"id":"agent10@example.com","_id":"aaaaaaaaaaaaaaaaaaaaaaaa"},{"id":"Agent1@example.com","_id":"65f0c0ffee0000000000beef"}],"total":2}`
	none := `{"items":[],"total":0}`
	tests := []struct {
		name   string
		status int
		body   string
		lookup string // "" when no lookup is expected
		exists bool
		msg    string
	}{
		{"409 found", 409, `{"title":"Conflict","detail":"user exists","traceId":"t-1"}`, found, true, ""},
		{"400 duplicate key found", 400, `{"title":"Bad Request","detail":"E11000 duplicate key error collection: users"}`, found, true, ""},
		{"400 already exists found", 400, `{"title":"Bad Request","detail":"A user with this id already exists"}`, found, true, ""},
		{"400 text already exists found", 400, `User already exists`, found, true, ""},
		{"409 not found", 409, `{"title":"Conflict","detail":"user exists","traceId":"t-1"}`, none, false, "Conflict: user exists (the vendor's answer may mean the user exists, but a lookup found nobody: not a duplicate) (trace id t-1)"},
		{"400 validation", 400, `{"title":"Bad Request","detail":"body/organisation must be a string of length 24"}`, "", false, "body/organisation must be a string of length 24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &tenant{createStatus: tt.status, createBody: tt.body, lookupStatus: 200, lookupBody: tt.lookup}
			res, err := tenantClient(t, f).Create(context.Background(), valid(1))
			if tt.lookup == "" && len(f.filters) != 0 || tt.lookup != "" && (len(f.filters) != 1 || f.filters[0] != "agent1@example.com") {
				t.Fatalf("lookups %v", f.filters)
			}
			if tt.exists {
				if err != nil || res.Status != providers.StatusExists || res.VendorID != "65f0c0ffee0000000000beef" || res.HTTPStatus != tt.status {
					t.Fatalf("got %+v %v, want exists with the looked-up _id", res, err)
				}
				return
			}
			e, ok := providers.AsError(err)
			if !ok || e.Kind != providers.KindRejected || e.HTTPStatus != tt.status || !strings.Contains(e.Error(), tt.msg) {
				t.Fatalf("got %+v %v, want rejected %d carrying %q", res, err, tt.status, tt.msg)
			}
		})
	}
}

// TestLookupAnswers: ids that are e-mail addresses match without case,
// other ids exactly; a 2xx that is not a user list is an error, never
// absent.
func TestLookupAnswers(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		status int
		body   string
		found  bool
		errMsg string
	}{
		{"address in another case", "agent1@example.com", 200, `{"items":[{"id":"AGENT1@Example.com","_id":"x"}],"total":1}`, true, ""},
		{"plain id in another case", "agent1", 200, `{"items":[{"id":"Agent1","_id":"x"}],"total":1}`, false, ""},
		{"plain id", "agent1", 200, `{"items":[{"id":"agent1","_id":"x"}],"total":1}`, true, ""},
		{"empty list", "agent1", 200, `{"items":[],"total":0}`, false, ""},
		{"empty object", "agent1", 200, `{}`, false, "answered 200 but not with a user list"},
		{"captive portal", "agent1", 200, `<html>Sign in</html>`, false, "answered 200 but not with a user list"},
		{"items not a list", "agent1", 200, `{"items":{"id":"agent1"}}`, false, "answered 200 but not with a user list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := valid(1)
			rec["id"] = tt.id
			_, found, err := tenantClient(t, &tenant{lookupStatus: tt.status, lookupBody: tt.body}).Lookup(context.Background(), rec)
			if tt.errMsg == "" {
				if err != nil || found != tt.found {
					t.Fatalf("found=%v err=%v, want found=%v", found, err, tt.found)
				}
				return
			}
			if found || err == nil || providers.KindOf(err) != providers.KindUnknown || !strings.Contains(err.Error(), tt.errMsg) {
				t.Fatalf("found=%v err=%v, want an unknown-kind error with %q", found, err, tt.errMsg)
			}
		})
	}
}

// TestSandboxDuplicateVariant: with duplicate=400 the sandbox answers a
// duplicate id with a 400 problem holding a duplicate key error.
func TestSandboxDuplicateVariant(t *testing.T) {
	sb := cognigy.NewSandbox(providers.SandboxOptions{Variants: map[string]string{cognigy.VariantDuplicate: "400"}})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	body := `{"id":"a@x.com","name":"A","password":"Passw0rd!","organisation":"` + cognigy.SandboxOrganisation + `"}`
	var statuses []int
	var last string
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/management/v2.0/users", strings.NewReader(body))
		req.SetBasicAuth(cognigy.SandboxUsername, cognigy.SandboxPassword)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		statuses, last = append(statuses, resp.StatusCode), string(b)
	}
	if statuses[0] != 200 || statuses[1] != 400 || !strings.Contains(last, "E11000 duplicate key error") {
		t.Fatalf("statuses %v, last answer %s: want 200 then 400 with a duplicate key error", statuses, last)
	}
	if st := sb.Stats(); st.Created != 1 {
		t.Fatalf("%d created", st.Created)
	}
}

func TestSecrets(t *testing.T) {
	c := tenantClient(t, &tenant{})
	sh, ok := c.(providers.SecretHolder)
	if !ok {
		t.Fatal("the client is not a providers.SecretHolder")
	}
	got := strings.Join(sh.Secrets(), "|")
	for _, want := range []string{"admin-password-1", "Basic YWRtaW5AZXhhbXBsZS5jb206YWRtaW4tcGFzc3dvcmQtMQ=="} {
		if !strings.Contains(got, want) {
			t.Errorf("Secrets() = %q, lacks %q", got, want)
		}
	}
}
