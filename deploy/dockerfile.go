package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	Line int    // where it starts
	Cmd  string // upper case: FROM, RUN, ...
	Args string // the rest, as written
}

// Stage is the instructions from one FROM to the next.
type Stage struct {
	Image string // the FROM image
	Name  string // its AS name, if any
	Insts []Instruction
}

// ParseDockerfile splits a Dockerfile into stages. It knows the syntax the
// checks need (comments, line continuations, FROM [--platform=..] image [AS
// name]), not heredocs or parser directives other than comments.
func ParseDockerfile(text string) ([]Stage, error) {
	var stages []Stage
	var cur strings.Builder
	start := 0
	flush := func() error {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(s, " ")
		in := Instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) != 1 && !(len(f) == 3 && strings.EqualFold(f[1], "AS")) {
				return fmt.Errorf("line %d: FROM %s: want IMAGE [AS NAME]", in.Line, in.Args)
			}
			st := Stage{Image: f[0]}
			if len(f) == 3 {
				st.Name = f[2]
			}
			stages = append(stages, st)
		}
		if len(stages) == 0 {
			if in.Cmd != "ARG" {
				return fmt.Errorf("line %d: %s before the first FROM", in.Line, in.Cmd)
			}
			return nil
		}
		last := &stages[len(stages)-1]
		last.Insts = append(last.Insts, in)
		return nil
	}
	for i, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") {
			continue // comments, also between continuation lines
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if body, ok := strings.CutSuffix(t, `\`); ok {
			cur.WriteString(strings.TrimSpace(body) + " ")
			continue
		}
		cur.WriteString(t)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return stages, nil
}

// CheckDockerfile returns what is wrong with the image's Dockerfile: a
// builder stage on golang that builds a static, version-stamped binary, and
// a final distroless (or scratch) stage that runs it as a non-root user with
// `onboard` as its entrypoint and writes nothing into the image.
func CheckDockerfile(stages []Stage) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if len(stages) < 2 {
		return []string{fmt.Sprintf("%d stage(s): want a builder and a final stage", len(stages))}
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.Image, "golang:1.26") {
		add("the builder is %s, not golang:1.26", build.Image)
	}
	var buildRun string
	for _, in := range build.Insts {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
			buildRun = in.Args
		}
	}
	hasArg := slices.ContainsFunc(build.Insts, func(in Instruction) bool {
		return in.Cmd == "ARG" && (in.Args == "VERSION" || strings.HasPrefix(in.Args, "VERSION="))
	})
	switch {
	case buildRun == "":
		add("no RUN ... go build in the builder stage")
	default:
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=$VERSION", "./cmd/onboard"} {
			if !strings.Contains(buildRun, want) && !strings.Contains(buildRun, strings.ReplaceAll(want, "$VERSION", "${VERSION}")) {
				add("the go build does not have %s: %s", want, buildRun)
			}
		}
		if !hasArg {
			add("no ARG VERSION in the builder stage: the version stamp would be empty")
		}
	}
	if final.Image != "scratch" && !strings.HasPrefix(final.Image, "gcr.io/distroless/static") {
		add("the final image is %s, not distroless static or scratch", final.Image)
	}
	var user, entry, workdir string
	copied, dest := false, ""
	for _, in := range final.Insts {
		switch in.Cmd {
		case "USER":
			user = in.Args
		case "ENTRYPOINT":
			entry = in.Args
		case "WORKDIR":
			workdir = in.Args
		case "COPY":
			if strings.Contains(in.Args, "--from="+firstNonEmpty(build.Name, "0")) && strings.Contains(in.Args, "onboard") {
				copied = true
				f := strings.Fields(in.Args)
				dest = f[len(f)-1]
			}
		case "RUN", "VOLUME", "ADD":
			add("line %d: %s in the final stage: nothing but the binary goes into the image", in.Line, in.Cmd)
		}
	}
	if !copied {
		add("the final stage does not COPY --from=%s the binary", firstNonEmpty(build.Name, "0"))
	}
	uid, _, _ := strings.Cut(user, ":")
	switch {
	case user == "":
		add("no USER in the final stage: the image would run as root")
	case uid == "0" || uid == "root":
		add("USER %s is root", user)
	case uid != "65532" && uid != "nonroot":
		add("USER %s is not distroless's nonroot (65532), which the manifests' runAsUser expects", user)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entry), &ep); err != nil || len(ep) == 0 || ep[0] != "onboard" && !strings.HasSuffix(ep[0], "/onboard") {
		add(`ENTRYPOINT is %q, want the exec form ["onboard"]`, entry)
	}
	// distroless's PATH: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	if len(ep) > 0 && ep[0] == "onboard" && copied && !slices.Contains([]string{"/usr/local/bin/onboard", "/usr/local/bin/", "/usr/bin/onboard", "/usr/bin/", "/bin/onboard", "/bin/"}, dest) {
		add("the binary is copied to %s, which is not on the image's PATH, so ENTRYPOINT [\"onboard\"] cannot find it", dest)
	}
	if workdir == "" {
		add("no WORKDIR: a relative --out would land in /")
	}
	return p
}
