# onboard in a container: a static binary on distroless, run as non-root.
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t onboard .
#   docker run --rm -v "$PWD/myjob:/job:ro" -v "$PWD/data:/data" onboard run --job /job/job.yaml --out /data/out
# docs/deploy.md has the rest (volumes, Kubernetes).

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Set by BuildKit for `docker buildx build --platform linux/arm64,...`; empty
# (the builder's own platform) otherwise.
ARG TARGETOS
ARG TARGETARCH
ENV GOOS=$TARGETOS GOARCH=$TARGETARCH
# The SQLite driver is pure Go, so the binary needs no C library at all.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o /out/onboard ./cmd/onboard
RUN mkdir /out/data

# CA certificates and tzdata, no shell, no package manager; user nonroot.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/onboard /usr/local/bin/onboard
# An empty /data owned by the image's user: a new named volume mounted
# there (docker run -v onboard-data:/data) takes that owner and is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# Mount the job read-only at /job and a writable volume at /data: reports,
# ledger and input live there, nothing is written inside the image.
WORKDIR /data
ENTRYPOINT ["onboard"]
CMD ["--help"]
