package deploy

import (
	"os"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages, err := ParseDockerfile(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckDockerfile(stages) {
		t.Error(p)
	}
}

// TestDockerignore: the build context never carries people's data.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, want := range []string{".git", "**/*.ledger.db", "**/credentials*.csv", "onboard-out/", "dist/"} {
		found := false
		for _, l := range lines {
			if strings.TrimSpace(l) == want {
				found = true
			}
		}
		if !found {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

const goodDockerfile = `# comment
ARG GO=1.26
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
    # a comment between continuation lines
    -ldflags "-s -w -X main.version=${VERSION}" -o /out/onboard ./cmd/onboard
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/onboard /usr/local/bin/onboard
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["onboard"]
`

func TestCheckDockerfileFinds(t *testing.T) {
	stages, err := ParseDockerfile(goodDockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if p := CheckDockerfile(stages); len(p) > 0 {
		t.Fatalf("a good Dockerfile: %v", p)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"one stage", "FROM gcr.io/distroless/static-debian12:nonroot\n", "", "stage"},
		{"cgo", "CGO_ENABLED=0 ", "", "CGO_ENABLED=0"},
		{"no trimpath", "-trimpath", "", "-trimpath"},
		{"no stamp", "-X main.version=${VERSION}", "", "main.version"},
		{"no ARG", "ARG VERSION=dev\n", "", "ARG VERSION"},
		{"fat image", "gcr.io/distroless/static-debian12:nonroot", "debian:12", "not distroless"},
		{"root", "USER 65532:65532", "USER 0", "root"},
		{"no user", "USER 65532:65532\n", "", "no USER"},
		{"shell entrypoint", `ENTRYPOINT ["onboard"]`, "ENTRYPOINT onboard", "exec form"},
		{"off PATH", "/usr/local/bin/onboard\n", "/app/onboard\n", "not on the image's PATH"},
		{"writes into the image", "WORKDIR /data\n", "WORKDIR /data\nRUN mkdir /data/out\n", "RUN in the final stage"},
		{"volume", "WORKDIR /data\n", "VOLUME /data\n", "VOLUME in the final stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(goodDockerfile, tc.from, tc.to, 1)
			if text == goodDockerfile {
				t.Fatalf("%q not in the Dockerfile", tc.from)
			}
			stages, err := ParseDockerfile(text)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(CheckDockerfile(stages), "\n")
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want a problem with %q, got:\n%s", tc.want, got)
			}
		})
	}
}

func TestParseDockerfile(t *testing.T) {
	stages, err := ParseDockerfile(goodDockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].Name != "build" || stages[1].Image != "gcr.io/distroless/static-debian12:nonroot" {
		t.Fatalf("stages: %+v", stages)
	}
	var run Instruction
	for _, in := range stages[0].Insts {
		if in.Cmd == "RUN" {
			run = in
		}
	}
	if run.Line != 7 || !strings.Contains(run.Args, "-trimpath -ldflags") || strings.Contains(run.Args, "comment") {
		t.Fatalf("continuation lines: %+v", run)
	}
	if _, err := ParseDockerfile("RUN true\n"); err == nil {
		t.Fatal("RUN before FROM: no error")
	}
}
