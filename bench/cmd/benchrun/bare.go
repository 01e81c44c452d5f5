package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
	"github.com/onboardhq/onboard/providers/cognigy/api"
)

// bareResult is what the bare client prints on stdout, as JSON.
type bareResult struct {
	Rows    int     `json:"rows"`
	OK      int     `json:"ok"`
	Seconds float64 `json:"seconds"`
	Err     string  `json:"err,omitempty"`
}

// bareClient is the yardstick of the overhead figure: a plain Go HTTP client
// in its own process (like onboard) that loads the bodies onboard would send
// into memory, then only POSTs them to url with concurrency requests in
// flight, timing the POSTs alone. It uses the same transport settings as
// onboard (providers.DefaultHTTPClient) and reads every answer in full.
func bareClient(url, bodiesPath string, concurrency int, cpuprofile string) error {
	f, err := os.Open(bodiesPath)
	if err != nil {
		return err
	}
	var bodies [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		bodies = append(bodies, append([]byte(nil), sc.Bytes()...))
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return err
	}
	hc := providers.DefaultHTTPClient()
	target := url + api.UsersPath
	var next, ok atomic.Int64
	var firstErr atomic.Pointer[string]
	var wg sync.WaitGroup
	if cpuprofile != "" {
		pf, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			pf.Close()
		}()
	}
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(bodies[i]))
				if err != nil {
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					return
				}
				req.SetBasicAuth(cognigy.SandboxUsername, cognigy.SandboxPassword)
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
					ok.Add(1)
				} else {
					msg := fmt.Sprintf("row %d: HTTP %d", i+1, resp.StatusCode)
					firstErr.CompareAndSwap(nil, &msg)
				}
			}
		}()
	}
	wg.Wait()
	res := bareResult{Rows: len(bodies), OK: int(ok.Load()), Seconds: time.Since(start).Seconds()}
	if p := firstErr.Load(); p != nil {
		res.Err = *p
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
