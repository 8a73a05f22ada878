// Package scalerun holds the scale run: a Go benchmark (BenchmarkScaleRun in
// this package's tests) that drives the real syncops binary, as a headless
// service, through pull, match, sync and the auto-syncs of a large generated
// shop served by the sandbox at a constant rate scale, and reports each
// phase's time against the bound the APIs' rate limits put on it, the
// service's peak resident memory and the database's size.
//
// It is a benchmark, not a test: `go test ./...` never runs it. Run it with
//
//	go test -run '^$' -bench ScaleRun -timeout 60m ./internal/scalerun/
//
// and size it with SYNCOPS_SCALERUN_CUSTOMERS (default 500000),
// SYNCOPS_SCALERUN_PRODUCTS (default 100000) and SYNCOPS_SCALERUN_RATE (the
// sandbox's speed-up of both APIs' limits, default 100). With
// SYNCOPS_SCALERUN_POSTGRES set (to a postgres:// DSN) the service runs on
// PostgreSQL instead of an SQLite file.
package scalerun
