# Sandbarn: `make run` starts a one-machine farm, `make test` runs the tests.
GO ?= go
BIN := bin
DATA ?= var
PROGRAMS := sandbarn bb_storage bb_scheduler bb_worker bb_runner
# The sandbox's seccomp profile needs libseccomp (apt-get install
# libseccomp-dev pkg-config); without it the programs build and run with the
# profile off and say so.
TAGS ?= $(shell pkg-config --exists libseccomp 2>/dev/null && echo seccomp)
# Every program is linked statically, with Go's own user and DNS lookups
# instead of glibc's NSS: a prepared container's init is the runner's own
# binary started inside the action's image, which may hold an old C
# library, another one, or none.
STATIC_TAGS := netgo osusergo
STATIC_LDFLAGS := -linkmode external -extldflags -static
GOFLAGS_TAGS := -tags "$(TAGS) $(STATIC_TAGS)"
GOFLAGS_STATIC := $(GOFLAGS_TAGS) -ldflags "$(STATIC_LDFLAGS)"

.PHONY: all build run test bench proto images clean

all: build

build:
	$(GO) build $(GOFLAGS_STATIC) -o $(BIN)/ $(addprefix ./cmd/,$(PROGRAMS))

# One command: storage, scheduler, a worker and a runner on 127.0.0.1:8980,
# data under $(DATA)/.
run: build
	$(BIN)/sandbarn farm --data-dir $(DATA)

# The whole suite, including tests that need root, Bazel or a VM (they skip
# with a reason when those are missing, except under CI=true).
test:
	$(GO) vet $(GOFLAGS_TAGS) ./...
	$(GO) test $(GOFLAGS_STATIC) -count=1 -timeout 80m ./...
	$(GO) test $(GOFLAGS_TAGS) -count=1 -race -timeout 20m ./scheduler/... ./storage/... ./worker/...
	SANDBARN_TEST_ONESHOT=1 $(GO) test $(GOFLAGS_STATIC) -count=1 ./sandbox/container/...

bench: build
	@for d in test/bench/*/; do \
		echo "== $$d"; $(GO) run $(GOFLAGS_STATIC) ./$$d || exit 1; \
	done

proto:
	sh proto/gen.sh

# OCI images of the programs, built without Docker. Runner images sit on
# Google's RBE bases: they need registry access or BASE_LAYOUT=DIR (an OCI
# layout holding them); without either set IMAGES=bb_storage,bb_scheduler,bb_worker.
images:
	$(GO) run ./images/cmd/buildimages -layout $(BIN)/images -tarball $(BIN)/images.tar \
		-tags "$(TAGS)" $(if $(BASE_LAYOUT),-base-layout $(BASE_LAYOUT)) $(if $(IMAGES),-only $(IMAGES))

clean:
	rm -rf $(BIN)
