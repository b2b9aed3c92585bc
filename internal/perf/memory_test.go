package perf

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/salesunit"
)

// retainedDuringWalk walks n test units with TestUnits.All and returns the most
// live heap (after a GC, at every page boundary) above what was live before.
func retainedDuringWalk(t *testing.T, n int) (peak uint64) {
	t.Helper()
	c, _ := newSDK(t, "/u"+strconv.Itoa(n))
	ctx := context.Background()
	_, err := c.TestUnits.List(ctx, &salesunit.ListOptions{PageSize: pageSize}) // token and connection
	require.NoError(t, err)

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	seen := 0
	for u, err := range c.TestUnits.All(ctx, &salesunit.ListOptions{PageSize: pageSize}) {
		require.NoError(t, err)
		require.NotEmpty(t, u.MSN)
		seen++
		if seen%pageSize == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base {
				peak = max(peak, ms.HeapAlloc-base)
			}
		}
	}
	require.Equal(t, n, seen)
	return peak
}

// TestAllMemoryIsFlat shows that All walks lazily: the memory it holds while
// walking 10,000 units is about what it holds for 1,000 (one page), where a
// walk that kept the units would hold ten times as much.
func TestAllMemoryIsFlat(t *testing.T) {
	small := retainedDuringWalk(t, 1000)
	large := retainedDuringWalk(t, maxTestUnits)
	t.Logf("live heap held while walking: 1,000 units %d B, 10,000 units %d B", small, large)
	// One decoded page of 100 units is some 60 KB; 10,000 units kept would be about 6 MB.
	assert.Less(t, large, 2*small+256<<10, "walking 10x the units must not hold 10x the memory")
	assert.Less(t, large, uint64(1<<20), "a lazy walk holds about one page")
}
