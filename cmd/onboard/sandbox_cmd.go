package main

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardhq/onboard/batch/runner"
	"github.com/onboardhq/onboard/providers"
)

func (a *app) sandboxCmd() *cobra.Command {
	var addr, jobPath string
	var o providers.SandboxOptions
	var variants []string
	cmd := &cobra.Command{
		Use:   "sandbox PROVIDER",
		Short: "Serve a provider's fake API on loopback until interrupted",
		Long: `sandbox serves a faithful fake of the vendor's API: it checks auth, required
fields, formats and duplicates the way the vendor does, so a job file can be
tried before touching the real tenant. It prints its base URL and the
credentials it accepts. Faults can be injected to rehearse a bad day.

Where the vendor's docs leave room, --variant NAME=VALUE picks which of the
vendor's known answers the sandbox plays (how a duplicate is answered, say);
` + "`onboard providers NAME`" + ` lists each provider's variants and values.`,
		Example: `  onboard sandbox cognigy --addr 127.0.0.1:8089
  # in another terminal:
  COGNIGY_USERNAME=sandbox-admin@example.com COGNIGY_PASSWORD=sandbox-password \
    onboard run --job samples/cognigy/job.yaml --endpoint http://127.0.0.1:8089

  # 10% answered 503, 5% throttled, 3% acted on and then dropped:
  onboard sandbox cognigy --unavailable 0.1 --throttle 0.05 --drop 0.03

  # a tenant that answers a duplicate login with 500 "Duplicate key error",
  # 5% of creates answered with a captive portal's HTML page, 2 creates/s:
  onboard sandbox brightpattern --variant duplicate=500 --html 0.05 --limit 2

  # an endpoint that redirects (http->https, a moved tenant):
  onboard sandbox cognigy --redirect 301 --redirect-to https://api-app.cognigy.ai/new`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.registry.Get(args[0])
			if err != nil {
				return fail(exitNotSent, "%v", err)
			}
			if err := checkSandboxOptions(&o, p.Describe(), variants); err != nil {
				return fail(exitNotSent, "%v", err)
			}
			sb := p.NewSandbox(o)
			url, stop, err := runner.Serve(sb, addr)
			if err != nil {
				return fail(exitNotSent, "sandbox: %v", err)
			}
			defer stop()
			fmt.Fprintf(a.stdout, "%s sandbox serving at %s\n", p.Describe().Title, url)
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
			jobText := p.Describe().InitJob
			if jobPath != "" {
				if jobText, err = readJobText(jobPath); err != nil {
					return fail(exitNotSent, "%v", err)
				}
			}
			if lines, err := sandboxExports(jobText, creds); err == nil && len(lines) > 0 {
				src := "onboard init " + p.Describe().Name + "'s job file"
				if jobPath != "" {
					src = jobPath
				}
				fmt.Fprintf(a.stdout, "for the ${NAME} references of %s, in the shell that runs onboard:\n", src)
				for _, l := range lines {
					fmt.Fprintf(a.stdout, "  %s\n", l)
				}
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
			if o.Redirect != 0 {
				faults = append(faults, fmt.Sprintf("every request redirected (%d to %s)", o.Redirect, o.RedirectTo))
			}
			if o.HTML > 0 {
				faults = append(faults, fmt.Sprintf("%.0f%% answered 200 with an HTML page, not acted on", o.HTML*100))
			}
			if o.NoID > 0 {
				faults = append(faults, fmt.Sprintf("%.0f%% acted on, answered without the new user's id", o.NoID*100))
			}
			if o.Limit > 0 {
				ra := "Retry-After " + o.RetryAfter.String()
				if o.NoRetryAfter {
					ra = "no Retry-After"
				}
				faults = append(faults, fmt.Sprintf("hidden limit of %g creates/s (429, %s)", o.Limit, ra))
			}
			d := p.Describe()
			for _, v := range d.SandboxVariants {
				faults = append(faults, fmt.Sprintf("%s=%s", v.Name, d.VariantValue(o.Variants, v.Name)))
			}
			if len(faults) > 0 {
				fmt.Fprintf(a.stdout, "faults and variants: %s\n", strings.Join(faults, ", "))
			}
			fmt.Fprintln(a.stdout, "Ctrl-C stops it.")
			if a.ready != nil {
				a.ready(url)
			}
			ctx, _, cancel := a.context()
			defer cancel()
			<-ctx.Done()
			st := sb.Stats()
			fmt.Fprintf(a.stdout, "stopped: %d requests, %d creates received, %d users created, %d duplicates, %d throttled, %d redirected, peak %d creates/s\n",
				st.Requests, st.Creates, st.Created, st.Duplicates, st.Throttled, st.Redirected, st.PeakPerSecond)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8089", "address to listen on (keep it on loopback)")
	f.StringVar(&jobPath, "job", "", "a job file whose ${NAME} auth references to print export lines for (default: the provider's init template)")
	f.Float64Var(&o.Throttle, "throttle", 0, "fraction of creates answered 429 with Retry-After")
	f.DurationVar(&o.RetryAfter, "retry-after", time.Second, "the Retry-After the sandbox asks for")
	f.Float64Var(&o.Unavailable, "unavailable", 0, "fraction of creates answered 503")
	f.Float64Var(&o.Drop, "drop", 0, "fraction of creates acted on, then the connection dropped without an answer")
	f.DurationVar(&o.Latency, "latency", 0, "added to every answer")
	f.BoolVar(&o.RefuseAuth, "refuse-auth", false, "refuse every credential")
	f.BoolVar(&o.AllowDuplicates, "allow-duplicates", false, "accept duplicates (like a vendor that cannot tell) and count them")
	f.IntVar(&o.Redirect, "redirect", 0, "answer every request with this redirect status (301, 302, 307, 308) to --redirect-to")
	f.StringVar(&o.RedirectTo, "redirect-to", "", "the Location of --redirect (the request's path and query are appended)")
	f.Float64Var(&o.HTML, "html", 0, "fraction of creates answered 200 with an HTML page (a captive portal), not acted on")
	f.Float64Var(&o.NoID, "no-id", 0, "fraction of creates acted on, then answered 2xx with {} (no id)")
	f.Float64Var(&o.Limit, "limit", 0, "hidden rate limit: creates per second (burst the same) beyond which 429 is answered; 0 for none")
	f.BoolVar(&o.NoRetryAfter, "no-retry-after", false, "answer 429 and 503 without a Retry-After header")
	f.StringArrayVar(&variants, "variant", nil, "NAME=VALUE: which of the vendor's known answers to play (repeatable; `onboard providers NAME` lists them)")
	f.Uint64Var(&o.Seed, "seed", 0, "seed for the fault choices (0: from the clock)")
	return cmd
}

// checkSandboxOptions checks the fault settings and reads the --variant
// flags into o.Variants, validated against the provider's description.
func checkSandboxOptions(o *providers.SandboxOptions, d *providers.Description, variants []string) error {
	for _, fr := range []float64{o.Throttle, o.Unavailable, o.Drop, o.HTML, o.NoID} {
		if fr < 0 || fr > 1 {
			return fmt.Errorf("fault fractions must be between 0 and 1")
		}
	}
	if o.Limit < 0 {
		return fmt.Errorf("--limit must be 0 (none) or a number of creates per second")
	}
	switch {
	case o.Redirect != 0 && (o.Redirect < 300 || o.Redirect > 399):
		return fmt.Errorf("--redirect %d is not a redirect status (use 301, 302, 307 or 308)", o.Redirect)
	case o.Redirect != 0 && o.RedirectTo == "":
		return fmt.Errorf("--redirect needs --redirect-to URL, the Location to answer with")
	case o.Redirect == 0 && o.RedirectTo != "":
		return fmt.Errorf("--redirect-to needs --redirect STATUS")
	}
	if o.RedirectTo != "" {
		if u, err := url.Parse(o.RedirectTo); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("--redirect-to %q is not an http(s) URL", o.RedirectTo)
		}
	}
	if o.NoRetryAfter {
		o.RetryAfter = 0
	}
	for _, kv := range variants {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return fmt.Errorf("--variant %q: write it as NAME=VALUE", kv)
		}
		if o.Variants == nil {
			o.Variants = map[string]string{}
		}
		o.Variants[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return d.CheckVariants(o.Variants)
}
