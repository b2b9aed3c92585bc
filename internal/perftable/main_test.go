package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func parseSample(t *testing.T) *Results {
	t.Helper()
	f, err := os.Open("testdata/sample.txt")
	require.NoError(t, err)
	defer f.Close()
	res, err := Parse(f)
	require.NoError(t, err)
	return res
}

func TestParseGroupsCasesAndHalves(t *testing.T) {
	res := parseSample(t)
	assert.Equal(t, []string{"SalesUnitGet", "TestUnitsAll", "BulkGet", "TokenColdStart", "Lonely"}, res.Cases)
	assert.Equal(t, "AMD EPYC", res.CPU)
	sdk := res.Samples["SalesUnitGet"]["sdk"]
	require.NotNil(t, sdk)
	assert.Equal(t, []float64{125509, 120000, 130000}, sdk.Values["ns/op"], "the -2 suffix is dropped and every run kept")
	assert.Equal(t, []string{"ns/op", "B/op", "allocs/op"}, sdk.Units)
	assert.Equal(t, []float64{2068}, res.Samples["TestUnitsAll"]["sdk"].Values["B/unit"])
	assert.Equal(t, []float64{8.948}, res.Samples["TestUnitsAll"]["nethttp"].Values["allocs/unit"])
	assert.Equal(t, []float64{1000}, res.Samples["TokenColdStart"]["nethttp"].Values["tokens/op"])
	assert.Equal(t, []float64{50}, res.Samples["Lonely"][""].Values["ns/op"])
	assert.NotContains(t, res.Samples, "Broken", "a FAIL line is not a result")
}

func TestMedian(t *testing.T) {
	res := parseSample(t)
	m, ok := res.Samples["SalesUnitGet"]["sdk"].Median("ns/op")
	assert.True(t, ok)
	assert.Equal(t, 125509.0, m, "odd count: the middle value")
	s := &Samples{Values: map[string][]float64{"ns/op": {4, 1, 3, 2}}}
	m, _ = s.Median("ns/op")
	assert.Equal(t, 2.5, m, "even count: the mean of the two middle values")
	_, ok = s.Median("B/op")
	assert.False(t, ok)
	var none *Samples
	_, ok = none.Median("ns/op")
	assert.False(t, ok)
}

func TestRender(t *testing.T) {
	out := Render(parseSample(t), "Machine: test")
	lines := strings.Split(out, "\n")
	assert.Contains(t, lines[0], "| case | sdk ns/op | baseline ns/op | time ratio |")
	// SalesUnitGet: medians 125509 and 110000, ratio 1.14; allocs 85/81 = 1.05.
	assert.Contains(t, out, "| SalesUnitGet | 125509 | 110000 | 1.14x | 85 | 81 | 1.05x | 6029 | 5804 |")
	assert.Contains(t, out, "| TestUnitsAll | 73964589 | 71729270 | 1.03x |")
	assert.Contains(t, out, "B/unit 2068 / 2062; allocs/unit 8.989 / 8.948")
	assert.Contains(t, out, "tokens/op 1 / 1000")
	assert.Contains(t, out, "| Lonely | - | - | - |")
	assert.Contains(t, out, "SalesUnitGet time: 1.14x the baseline (target <= 1.15x): met")
	assert.Contains(t, out, "SalesUnitGet allocations: 1.05x the baseline (target <= 1.30x): met")
	assert.Contains(t, out, "BulkGet time: 0.89x the baseline (target <= 1.10x): met")
	assert.Contains(t, out, "MaxIdleConnsPerHost")
	assert.True(t, strings.HasSuffix(out, "Machine: test\n"))
}

func TestRenderFlagsAMissedTarget(t *testing.T) {
	res, err := Parse(strings.NewReader("BenchmarkBulkGet/sdk-8 10 200 ns/op\nBenchmarkBulkGet/nethttp-8 10 100 ns/op\n"))
	require.NoError(t, err)
	assert.Contains(t, Render(res, ""), "BulkGet time: 2.00x the baseline (target <= 1.10x): MISSED")
}

func TestParseRefusesOutputWithoutResults(t *testing.T) {
	_, err := Parse(strings.NewReader("FAIL\tgithub.com/x [build failed]\n"))
	assert.Error(t, err)
}

func TestMachineNamesTheGoVersion(t *testing.T) {
	m := machine()
	assert.Contains(t, m, "logical CPUs")
	assert.Contains(t, m, "go1.")
}

func TestRenderTakesTheOtherHalfAsBaseline(t *testing.T) {
	res, err := Parse(strings.NewReader("BenchmarkTokenColdStart/sdk-8 10 110 ns/op\nBenchmarkTokenColdStart/mutexcache-8 10 100 ns/op\n" +
		"BenchmarkClientOnlyGet/sdk-8 10 100 ns/op 40 allocs/op\nBenchmarkClientOnlyGet/nethttp-8 10 100 ns/op 40 allocs/op\n"))
	require.NoError(t, err)
	out := Render(res, "")
	assert.Contains(t, out, "| TokenColdStart | 110 | 100 | 1.10x |")
	assert.Contains(t, out, "TokenColdStart time: 1.10x the baseline (target <= 1.00x): MISSED")
	assert.Contains(t, out, "ClientOnlyGet allocations: 1.00x the baseline (target <= 1.00x): met")
	assert.Contains(t, out, "ClientOnlyGet time: 1.00x the baseline (target <= 1.00x): met")

	res, err = Parse(strings.NewReader("BenchmarkTokenColdStart50ms/sdk-8 10 90 ns/op\nBenchmarkTokenColdStart50ms/mutexcache-8 10 100 ns/op\n"))
	require.NoError(t, err)
	assert.Contains(t, Render(res, ""), "TokenColdStart50ms time: 0.90x the baseline (target <= 1.00x): met")
}

func TestRenderJudgesAllocationsAgainstTheBaselinePlusN(t *testing.T) {
	res, err := Parse(strings.NewReader(`BenchmarkWebhookVerify1KiB/sdk-8 10 100 ns/op 9 allocs/op
BenchmarkWebhookVerify1KiB/hmac-8 10 100 ns/op 8 allocs/op
BenchmarkWebhookVerify64KiB/sdk-8 10 200 ns/op 11 allocs/op
BenchmarkWebhookVerify64KiB/hmac-8 10 100 ns/op 8 allocs/op
`))
	require.NoError(t, err)
	out := Render(res, "")
	assert.Contains(t, out, "WebhookVerify1KiB time: 1.00x the baseline (target <= 1.10x): met")
	assert.Contains(t, out, "WebhookVerify1KiB allocations: 9 vs the baseline's 8 (target <= the baseline's + 2): met")
	assert.Contains(t, out, "WebhookVerify64KiB time: 2.00x the baseline (target <= 1.10x): MISSED")
	assert.Contains(t, out, "WebhookVerify64KiB allocations: 11 vs the baseline's 8 (target <= the baseline's + 2): MISSED")
}
