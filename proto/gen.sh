#!/bin/sh
# Regenerates the Go code for proto/*/*.proto with pinned generator versions.
# Imports (REAPI, google/*) come from the descriptors compiled into the Go
# modules that go.mod pins.
set -eu
cd "$(dirname "$0")/.."
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
bin=$(pwd)/.cache/protobin
mkdir -p "$bin"
GOBIN=$bin go install google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION
GOBIN=$bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
desc=$(mktemp)
trap 'rm -f "$desc"' EXIT
go run ./proto/descriptors "$desc"
for f in proto/runner/runner.proto proto/remoteworker/remoteworker.proto; do
  PATH=$bin:$PATH protoc --descriptor_set_in="$desc" -I. \
    --go_out=. --go_opt=module=github.com/sandbarn/sandbarn \
    --go-grpc_out=. --go-grpc_opt=module=github.com/sandbarn/sandbarn \
    "$f"
done
