package cognigy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardhq/onboard/providers"
)

// benchRecord is a typical mapped row.
func benchRecord(i int) providers.Record {
	return providers.Record{
		"id":           fmt.Sprintf("ada.lovelace.%07d@example.com", i),
		"name":         "Ada Lovelace",
		"password":     "Bench-Passw0rd!",
		"organisation": SandboxOrganisation,
		"roles":        []string{"base_role", "liveAgentAgent"},
		"acceptedTOS":  true,
		"disabled":     false,
	}
}

// BenchmarkEncode is the payload encoding of one row: toWire and
// encoding/json, as Create does it.
func BenchmarkEncode(b *testing.B) {
	rec := benchRecord(1)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		body, err := json.Marshal(toWire(rec))
		if err != nil {
			b.Fatal(err)
		}
		n = len(body)
	}
	b.SetBytes(int64(n))
}

// cannedTransport answers every request at once with a created user,
// without a socket: what remains is the client's own cost per row.
type cannedTransport struct{ body string }

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(t.body)),
		// The length, as a server announces it: a zero ContentLength
		// would mean an empty answer.
		ContentLength: int64(len(t.body)),
		Request:       req,
	}, nil
}

// BenchmarkCreate is Client.Create for one row: in process (a canned
// transport, no socket) and against the sandbox over loopback (the
// sandbox's own work included).
func BenchmarkCreate(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		answer := `{"id":"ada.lovelace.0000001@example.com","name":"Ada Lovelace","organisation":"` + SandboxOrganisation +
			`","roles":["base_role","liveAgentAgent"],"acceptedTOS":true,"disabled":false,"_id":"65f0c0ffee0000000000abcd",` +
			`"createdAt":1700000000,"lastChanged":1700000000,"createdBy":"5a0000000000000000000001","lastChangedBy":"5a0000000000000000000001","password":"Bench-Passw0rd!"}`
		c, err := newClient(providers.Config{
			Endpoint:   "http://cognigy.invalid/new",
			Auth:       map[string]string{"username": SandboxUsername, "password": SandboxPassword},
			HTTPClient: &http.Client{Transport: cannedTransport{body: answer}},
			UserAgent:  "onboard/bench",
		})
		if err != nil {
			b.Fatal(err)
		}
		rec := benchRecord(1)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			res, err := c.Create(ctx, rec)
			if err != nil || res.Status != providers.StatusCreated {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("sandbox-loopback", func(b *testing.B) {
		srv := httptest.NewServer(NewSandbox(providers.SandboxOptions{}))
		defer srv.Close()
		c, err := newClient(providers.Config{Endpoint: srv.URL, Auth: map[string]string{"username": SandboxUsername, "password": SandboxPassword}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		recs := make([]providers.Record, 0, 1024)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%cap(recs) == 0 {
				// Fresh ids (the sandbox refuses duplicates), made outside
				// the timing.
				b.StopTimer()
				recs = recs[:0]
				for j := range cap(recs) {
					recs = append(recs, benchRecord(i+j))
				}
				b.StartTimer()
			}
			res, err := c.Create(ctx, recs[i%cap(recs)])
			if err != nil || res.Status != providers.StatusCreated {
				b.Fatal(res, err)
			}
			i++
		}
	})
}
