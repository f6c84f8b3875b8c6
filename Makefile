# provpipe: four composable tools for mail and groupware rollouts.
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR     = $(DESTDIR)$(PREFIX)/bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    = -s -w -X provpipe/pkg/cli.Version=$(VERSION)
TOOLS      = sxusers sxwarm ctxrows ctxsplit
GO        ?= go
# The fuzz targets and how long each runs in `make fuzz`.
FUZZTIME  ?= 20s

.PHONY: build test unit lint bench demo install fuzz clean

build: $(addprefix bin/,$(TOOLS))

bin/%: FORCE
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/$*

FORCE:

# The test command of the README and of CI: lint, then every test, including
# the differential tests against GNU split and the documented script.
test: lint build
	PROVPIPE_BIN=$(CURDIR)/bin $(GO) test -count=1 ./...

unit:
	$(GO) test -count=1 -short ./...

lint:
	@test -z "$$(gofmt -l cmd pkg internal 2>/dev/null)" || { echo "gofmt needed on:"; gofmt -l cmd pkg internal; exit 1; }
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	elif [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ]; then "$$($(GO) env GOPATH)/bin/staticcheck" ./...; \
	else echo "lint: staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@latest); skipped" >&2; fi

fuzz:
	$(GO) test ./pkg/csvstream -run '^$$' -fuzz FuzzReader -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/schemas -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/userlist -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/directory -run '^$$' -fuzz FuzzParseLine -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/directory -run '^$$' -fuzz FuzzParseSpec -fuzztime $(FUZZTIME)

bench: build
	bash bench/run.sh

demo: build
	bash demo/run.sh

install: build
	install -d $(BINDIR)
	install -m 0755 $(addprefix bin/,$(TOOLS)) $(BINDIR)/

clean:
	rm -rf bin
