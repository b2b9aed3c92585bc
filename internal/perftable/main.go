// Command perftable runs the SDK's benchmarks (internal/perf) and prints them as
// a Markdown table: each case's SDK half beside its plain net/http half, with
// the medians over -count runs and their ratios.
//
//	go run ./internal/perftable            # -count 5
//	go run ./internal/perftable -count 10 -bench BulkGet
//	go run ./internal/perftable -input saved.txt   # a saved `go test -bench` output
//
// It builds the benchmark binary once and runs it -count times, each run
// measuring every case once, so a case's two halves always run back to back:
// a machine whose load changes over time weighs on both halves alike (go
// test -count N would run one half N times, then the other).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	count := flag.Int("count", 5, "runs of each benchmark; the table shows medians")
	bench := flag.String("bench", ".", "benchmarks to run (go test -bench)")
	benchtime := flag.String("benchtime", "", "go test -benchtime, when set")
	pkg := flag.String("pkg", "./internal/perf/", "the benchmark package")
	input := flag.String("input", "", "parse this saved `go test -bench` output instead of running")
	flag.Parse()
	if err := run(os.Stdout, *count, *bench, *benchtime, *pkg, *input); err != nil {
		fmt.Fprintln(os.Stderr, "perftable:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, count int, bench, benchtime, pkg, input string) error {
	var raw []byte
	var err error
	if input != "" {
		if raw, err = os.ReadFile(input); err != nil {
			return err
		}
	} else if raw, err = runRounds(count, bench, benchtime, pkg); err != nil {
		return err
	}
	res, err := Parse(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, Render(res, machine()))
	return err
}

// runRounds builds pkg's test binary and runs its benchmarks count times,
// once each per run, in the package's directory; it returns every run's output.
func runRounds(count int, bench, benchtime, pkg string) ([]byte, error) {
	if count < 1 {
		return nil, errors.New("-count must be at least 1")
	}
	dir, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", pkg, err)
	}
	tmp, err := os.MkdirTemp("", "perftable")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "perf.test")
	build := exec.Command("go", "test", "-c", "-o", bin, pkg)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("go test -c: %w", err)
	}
	args := []string{"-test.run", "^$", "-test.bench", bench, "-test.benchmem", "-test.count", "1"}
	if benchtime != "" {
		args = append(args, "-test.benchtime", benchtime)
	}
	var all []byte
	for i := range count {
		fmt.Fprintf(os.Stderr, "round %d of %d: %s %s\n", i+1, count, pkg, strings.Join(args, " "))
		cmd := exec.Command(bin, args...)
		cmd.Dir = strings.TrimSpace(string(dir))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		all = append(all, out...)
		if err != nil {
			os.Stderr.Write(out)
			return nil, fmt.Errorf("benchmark run %d: %w", i+1, err)
		}
	}
	return all, nil
}

// Results holds every sample of every benchmark, by case and half.
type Results struct {
	Cases   []string                       // in order of first appearance
	Samples map[string]map[string]*Samples // case -> half ("sdk", "nethttp", ...) -> samples
	CPU     string                         // the "cpu:" line of go test, if any
}

// Samples are one benchmark's values per unit ("ns/op", "allocs/op", "tokens/op"...), one per run.
type Samples struct {
	Units  []string // in order of first appearance
	Values map[string][]float64
}

// Median is the median of the unit's values, and whether there were any.
func (s *Samples) Median(unit string) (float64, bool) {
	if s == nil || len(s.Values[unit]) == 0 {
		return 0, false
	}
	v := slices.Clone(s.Values[unit])
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

// Parse reads `go test -bench` output. Benchmark lines look like
//
//	BenchmarkBulkGet/sdk-2   19   90207278 ns/op   12050644 B/op   172233 allocs/op
//
// with any number of value-unit pairs; the -N GOMAXPROCS suffix is dropped. A
// benchmark without a /half sub-name is the case's only half, named "".
func Parse(r io.Reader) (*Results, error) {
	res := &Results{Samples: map[string]map[string]*Samples{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cpu, ok := strings.CutPrefix(line, "cpu:"); ok {
			res.CPU = strings.TrimSpace(cpu)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue // a benchmark's log line, or one that failed
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		c, half, _ := strings.Cut(name, "/")
		if res.Samples[c] == nil {
			res.Samples[c] = map[string]*Samples{}
			res.Cases = append(res.Cases, c)
		}
		s := res.Samples[c][half]
		if s == nil {
			s = &Samples{Values: map[string][]float64{}}
			res.Samples[c][half] = s
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: value %q: %w", line, f[i], err)
			}
			unit := f[i+1]
			if _, ok := s.Values[unit]; !ok {
				s.Units = append(s.Units, unit)
			}
			s.Values[unit] = append(s.Values[unit], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.Cases) == 0 {
		return nil, errors.New("no benchmark results in the output")
	}
	return res, nil
}

// Targets: the SDK's time and allocations may be at most these multiples of
// the baseline's; allocsPlus, when set, bounds the allocations instead by the
// baseline's plus that many (a ratio says little of a handful).
var targets = map[string]struct{ time, allocs, allocsPlus float64 }{
	"SalesUnitGet":       {time: 1.15, allocs: 1.3},
	"BulkGet":            {time: 1.1},
	"ClientOnlyGet":      {time: 1.0, allocs: 1.0},
	"TokenColdStart":     {time: 1.0},
	"TokenColdStart50ms": {time: 1.0},
	"WebhookVerify1KiB":  {time: 1.1, allocsPlus: 2},
	"WebhookVerify64KiB": {time: 1.1, allocsPlus: 2},
}

// baselineOf is a case's baseline half: "nethttp", or the one other half
// (TokenColdStart's "mutexcache").
func baselineOf(halves map[string]*Samples) *Samples {
	if s, ok := halves["nethttp"]; ok {
		return s
	}
	for name, s := range halves {
		if name != "sdk" && name != "" {
			return s
		}
	}
	return nil
}

// Render prints the table, the targets and the machine line.
func Render(res *Results, machine string) string {
	var b strings.Builder
	b.WriteString("| case | sdk ns/op | baseline ns/op | time ratio | sdk allocs/op | baseline allocs/op | alloc ratio | sdk B/op | baseline B/op | extra (sdk / baseline) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var verdicts []string
	for _, c := range res.Cases {
		sdk, base := res.Samples[c]["sdk"], baselineOf(res.Samples[c])
		timeRatio, tok := ratio(sdk, base, "ns/op")
		allocRatio, aok := ratio(sdk, base, "allocs/op")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c,
			cell(sdk, "ns/op"), cell(base, "ns/op"), ratioCell(timeRatio, tok),
			cell(sdk, "allocs/op"), cell(base, "allocs/op"), ratioCell(allocRatio, aok),
			cell(sdk, "B/op"), cell(base, "B/op"), extra(sdk, base))
		if t, ok := targets[c]; ok {
			if t.time > 0 && tok {
				verdicts = append(verdicts, verdict(c, "time", timeRatio, t.time))
			}
			if t.allocs > 0 && aok {
				verdicts = append(verdicts, verdict(c, "allocations", allocRatio, t.allocs))
			}
			if t.allocsPlus > 0 {
				if v, ok := verdictPlus(c, sdk, base, t.allocsPlus); ok {
					verdicts = append(verdicts, v)
				}
			}
		}
	}
	b.WriteString("\n")
	for _, v := range verdicts {
		b.WriteString("- " + v + "\n")
	}
	b.WriteString("\nMedians of every run; each run measures every case's two halves back to back, in one process, " +
		"against the same fake server, which runs in a child process so the allocations are the client's alone. " +
		"The baseline is plain net/http + encoding/json with the same headers and a token fetched once; its Transport " +
		"has the same MaxIdleConns and MaxIdleConnsPerHost as the SDK's core.DefaultHTTPClient (net/http's default " +
		"keeps 2 idle connections per host), so BulkGet's 32 workers reuse connections alike. ClientOnlyGet calls the " +
		"public SalesUnits.Get, and its baseline the same GET, both over an in-memory http.RoundTripper (no network). " +
		"TokenColdStart's baseline (mutexcache) is a 20-line mutex-guarded token cache; 1,000 goroutines make their " +
		"first call at once, on a token endpoint that answers at once or (TokenColdStart50ms) in 50 ms. Its SDK half " +
		"runs on the SDK's own default transport, which also caps connections per host (MaxConnsPerHost 128, as many " +
		"as it keeps idle): callers that all start at once wait for a connection instead of dialling one each, which " +
		"the baseline, on net/http's default of no cap, does. " +
		"WebhookVerify's baseline (hmac) is crypto/hmac and crypto/sha256 over the same signed text for one fixed URL; neither half uses the network.\n\n")
	b.WriteString(machine + "\n")
	return b.String()
}

func verdict(c, what string, got, limit float64) string {
	state := "met"
	if got > limit {
		state = "MISSED"
	}
	return fmt.Sprintf("%s %s: %.2fx the baseline (target <= %.2fx): %s", c, what, got, limit, state)
}

// verdictPlus judges the SDK's allocations against the baseline's plus limit.
func verdictPlus(c string, sdk, base *Samples, limit float64) (string, bool) {
	a, ok1 := sdk.Median("allocs/op")
	b, ok2 := base.Median("allocs/op")
	if !ok1 || !ok2 {
		return "", false
	}
	state := "met"
	if a > b+limit {
		state = "MISSED"
	}
	return fmt.Sprintf("%s allocations: %s vs the baseline's %s (target <= the baseline's + %s): %s", c, number(a), number(b), number(limit), state), true
}

func ratio(sdk, base *Samples, unit string) (float64, bool) {
	a, ok1 := sdk.Median(unit)
	b, ok2 := base.Median(unit)
	if !ok1 || !ok2 || b == 0 {
		return 0, false
	}
	return a / b, true
}

func ratioCell(r float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

func cell(s *Samples, unit string) string {
	v, ok := s.Median(unit)
	if !ok {
		return "-"
	}
	return number(v)
}

// number prints integers without decimals and small values with three.
func number(v float64) string {
	if v == float64(int64(v)) || v >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

var standard = map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true, "MB/s": false}

// extra lists the benchmark's own metrics (b.ReportMetric) of both halves.
func extra(sdk, base *Samples) string {
	var units []string
	for _, s := range []*Samples{sdk, base} {
		if s == nil {
			continue
		}
		for _, u := range s.Units {
			if !standard[u] && !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
	}
	parts := make([]string, 0, len(units))
	for _, u := range units {
		parts = append(parts, fmt.Sprintf("%s %s / %s", u, cell(sdk, u), cell(base, u)))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ")
}

// machine describes where the numbers were taken.
func machine() string {
	return fmt.Sprintf("Machine: %s/%s, CPU %s, %d logical CPUs (nproc), %s",
		runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.NumCPU(), runtime.Version())
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
