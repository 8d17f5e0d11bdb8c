# duban's build. `make test` is what CI runs (.ci/run); the storage tests need a Redis at
# $DUBAN_TEST_REDIS_URL (default redis://127.0.0.1:6379/0) and redis-server on the PATH.

SHELL   := /bin/bash
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test bench vet clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/duban ./cmd/duban

vet:
	$(GO) vet ./...

# The tests' results go through internal/testreport, which lists every skipped test with its
# reason at the end (a test whose tool is missing must not pass unseen).
test: vet
	$(GO) build -o bin/testreport ./internal/testreport
	set -o pipefail; $(GO) test -race -count=1 -timeout 30m -json ./... | bin/testreport

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin coverage.out coverage.html
