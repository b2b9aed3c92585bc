// Package soak is the SDK's fault harness, in its test files only (so that,
// like internal/perf, it may drive the public packages and the simulator
// without internal importing them): many workers do every operation of the
// SDK against the simulator while it injects faults (429s with Retry-After in
// both forms, 5xx answers and bursts, connections dropped after the work was
// done, answers delayed past the caller's deadline), then the simulator's state
// is checked against what the workers were told: nothing lost, nothing done
// twice, every failure a typed error, no secret in the debug log.
//
// go test ./internal/soak runs a short soak (4 workers, 600 operations, 15% of
// the requests faulted), as CI does. A long one:
//
//	go test ./internal/soak -run TestSoak -count=1 -timeout 0 -v \
//	    -soak.workers 16 -soak.ops 10000 -soak.fault-rate 0.12
//
// prints one line (and every finding of the checks), and fails when a check does:
//
//	requests=N faults=N (X%) ops=N ok=N failed=N duplicates=0 lost=0
package soak
