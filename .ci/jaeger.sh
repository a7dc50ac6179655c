#!/usr/bin/env bash
# Builds Jaeger (the trace store and query API the tracing suite sends OTLP to) from the Go module
# proxy, once, into a cache directory, and prints the binary's path. cmd/jaeger is the all-in-one
# binary: OTLP receivers, in-memory storage, and the query API.
set -euo pipefail
source "$(dirname "$0")/go-module.sh"
go_module_binary jaeger github.com/jaegertracing/jaeger "${JAEGER_VERSION:-v1.75.0}" version \
  'GOFLAGS=-mod=mod go build -o "$OUT" ./cmd/jaeger'
