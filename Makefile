# onboard: build, test, demo, lint, bench. Needs only Go.
GO      ?= go
BIN     ?= bin/onboard
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test demo lint bench release clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/onboard

# The whole suite, with the race detector.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# A real import of samples/cognigy/users.csv against the built-in sandbox.
# It exits 1 because the sample holds a few deliberately bad rows; the
# reports land in demo-out/.
demo: build
	rm -rf demo-out
	./$(BIN) check --job samples/cognigy/job.yaml --previews 1 || true
	./$(BIN) run --job samples/cognigy/job.yaml --sandbox --out demo-out --progress never; \
	  code=$$?; echo; echo "exit code $$code (1: some sample rows are bad on purpose); reports:"; \
	  ls -l demo-out; echo; echo "== demo-out/failures.csv"; cat demo-out/failures.csv; \
	  test $$code -le 1

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

bench: build
	$(GO) run ./bench/cmd/benchrun -bin $(BIN) -go $(GO) -out bench/results.md

# Archives for every platform, with SHA256SUMS, in dist/ (docs/deploy.md).
release:
	$(GO) run ./tools/release -version $(VERSION) -out dist

clean:
	rm -rf bin demo-out onboard-out dist
