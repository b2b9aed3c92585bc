// Package perf holds the SDK's benchmarks (in its test files only): each case
// runs the SDK and a plain net/http baseline against the same local fake server,
// so the numbers compare the clients. go run ./internal/perftable prints them as
// a table.
//
// The fake server runs in a child process (the test binary started again), so
// the allocations and profiles of a benchmark are the client's alone.
package perf
