# syntax=docker/dockerfile:1
# duban's container image: a static binary on a distroless base, running as a non-root user.
#
#   docker build -t ghcr.io/duban-gov/duban:0.1.0 --build-arg VERSION=0.1.0 .
#
# The image name is the one deploy/kubernetes and deploy/compose refer to (a test keeps them
# in step); no image is published, so build it and push it to your own registry, changing
# the name in deploy/kubernetes/kustomization.yaml (images:) and deploy/compose.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: a static binary that needs no libc. The zone database is embedded (time/tzdata),
# so Asia/Shanghai works on a base image without one.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
    -o /out/duban ./cmd/duban

# distroless/static: CA certificates (for rediss://) and /etc/passwd with the nonroot user,
# no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/duban /usr/local/bin/duban
# nonroot is 65532:65532; deploy/kubernetes/deployment.yaml runs as the same ids.
USER 65532:65532
EXPOSE 8080
ENV DUBAN_CONFIG=/etc/duban/duban.yaml
ENTRYPOINT ["/usr/local/bin/duban"]
CMD ["serve"]
