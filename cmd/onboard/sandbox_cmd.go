package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/runner"
	"github.com/onboardhq/onboard/providers"
)

func (a *app) sandboxCmd() *cobra.Command {
	var addr string
	var o providers.SandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox PROVIDER",
		Short: "Serve a provider's fake API on loopback until interrupted",
		Long: `sandbox serves a faithful fake of the vendor's API: it checks auth, required
fields, formats and duplicates the way the vendor does, so a job file can be
tried before touching the real tenant. It prints its base URL and the
credentials it accepts. Faults can be injected to rehearse a bad day.`,
		Example: `  onboard sandbox cognigy --addr 127.0.0.1:8089
  # in another terminal:
  COGNIGY_USERNAME=sandbox-admin@example.com COGNIGY_PASSWORD=sandbox-password \
    onboard run --job samples/cognigy/job.yaml --endpoint http://127.0.0.1:8089

  # 10% answered 503, 5% throttled, 3% acted on and then dropped:
  onboard sandbox cognigy --unavailable 0.1 --throttle 0.05 --drop 0.03`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.registry.Get(args[0])
			if err != nil {
				return fail(exitNotSent, "%v", err)
			}
			for _, fr := range []float64{o.Throttle, o.Unavailable, o.Drop} {
				if fr < 0 || fr > 1 {
					return fail(exitNotSent, "fault fractions must be between 0 and 1")
				}
			}
			sb := p.NewSandbox(o)
			url, stop, err := runner.Serve(sb, addr)
			if err != nil {
				return fail(exitNotSent, "sandbox: %v", err)
			}
			defer stop()
			d := p.Describe()
			fmt.Fprintf(a.stdout, "%s sandbox serving at %s\n", d.Title, url)
			fmt.Fprintf(a.stdout, "use it with: onboard run --job JOB --endpoint %s\n", url)
			fmt.Fprintln(a.stdout, "credentials it accepts (job file auth:):")
			creds := sb.Credentials()
			keys := make([]string, 0, len(creds))
			for k := range creds {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(a.stdout, "  %s: %s\n", k, creds[k])
			}
			if opts := sb.Options(); len(opts) > 0 {
				fmt.Fprintln(a.stdout, "job options that fit its tenant (options:):")
				for k, v := range opts {
					fmt.Fprintf(a.stdout, "  %s: %s\n", k, v)
				}
			}
			var faults []string
			if o.Throttle > 0 {
				faults = append(faults, fmt.Sprintf("%.0f%% throttled (429, Retry-After %s)", o.Throttle*100, o.RetryAfter))
			}
			if o.Unavailable > 0 {
				faults = append(faults, fmt.Sprintf("%.0f%% unavailable (503)", o.Unavailable*100))
			}
			if o.Drop > 0 {
				faults = append(faults, fmt.Sprintf("%.0f%% acted on then dropped", o.Drop*100))
			}
			if o.Latency > 0 {
				faults = append(faults, "latency "+o.Latency.String())
			}
			if o.RefuseAuth {
				faults = append(faults, "every credential refused")
			}
			if o.AllowDuplicates {
				faults = append(faults, "duplicates accepted")
			}
			if len(faults) > 0 {
				fmt.Fprintf(a.stdout, "faults: %s\n", strings.Join(faults, ", "))
			}
			fmt.Fprintln(a.stdout, "Ctrl-C stops it.")
			if a.ready != nil {
				a.ready(url)
			}
			ctx, _, cancel := a.context()
			defer cancel()
			<-ctx.Done()
			st := sb.Stats()
			fmt.Fprintf(a.stdout, "stopped: %d requests, %d creates received, %d users created, %d duplicates, peak %d creates/s\n",
				st.Requests, st.Creates, st.Created, st.Duplicates, st.PeakPerSecond)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8089", "address to listen on (keep it on loopback)")
	f.Float64Var(&o.Throttle, "throttle", 0, "fraction of creates answered 429 with Retry-After")
	f.DurationVar(&o.RetryAfter, "retry-after", time.Second, "the Retry-After the sandbox asks for")
	f.Float64Var(&o.Unavailable, "unavailable", 0, "fraction of creates answered 503")
	f.Float64Var(&o.Drop, "drop", 0, "fraction of creates acted on, then the connection dropped without an answer")
	f.DurationVar(&o.Latency, "latency", 0, "added to every answer")
	f.BoolVar(&o.RefuseAuth, "refuse-auth", false, "refuse every credential")
	f.BoolVar(&o.AllowDuplicates, "allow-duplicates", false, "accept duplicates (like a vendor that cannot tell) and count them")
	f.Uint64Var(&o.Seed, "seed", 0, "seed for the fault choices (0: from the clock)")
	return cmd
}
