//go:build !unix

package keys_test

import "testing"

// makeFIFO: no named pipes here.
func makeFIFO(*testing.T, string) string { return "" }
