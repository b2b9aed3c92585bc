package etcdfleet_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/keys/etcdfleet"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// The environment of a replica process (the test binary re-executed).
const (
	envReplica  = "ETCDFLEET_REPLICA"  // its name; set means: be a replica
	envEndpoint = "ETCDFLEET_ENDPOINT" // etcd's client URL
	envPrefix   = "ETCDFLEET_PREFIX"   // the fleet's prefix
	envSim      = "ETCDFLEET_SIM"      // the simulator's URL
	envStuck    = "ETCDFLEET_STUCK"    // "1": never finish switching after the first set
	callers     = 2                    // goroutines calling the API in each replica
)

// replicaMain is a replica of a merchant's integration: it follows the fleet
// with a swapping applier, calls the simulator continuously from callers
// goroutines, prints "ack <version>" after each acknowledgement and, once its
// standard input closes, "report calls=N failed=M", then exits.
func replicaMain() int {
	name := os.Getenv(envReplica)
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "replica %s: %v\n", name, err)
		return 1
	}
	cli, err := dial(os.Getenv(envEndpoint))
	if err != nil {
		return fail(err)
	}
	defer func() { _ = cli.Close() }()
	f, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: os.Getenv(envPrefix), Codec: etcdfleet.Plaintext, LeaseTTL: 5 * time.Second})
	if err != nil {
		return fail(err)
	}
	ctx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	set, inUse, _, err := f.Current(ctx)
	if err != nil {
		return fail(err)
	}
	sw, err := newSwapper(os.Getenv(envSim), set, inUse)
	if err != nil {
		return fail(err)
	}
	var a etcdfleet.Applier = sw
	if os.Getenv(envStuck) == "1" {
		a = &stuck{next: sw}
	}
	r, err := f.Replica(name, a)
	if err != nil {
		return fail(err)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	r.OnAck = func(v int64) { say("ack %d", v) }
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()

	// Call until stdin closes. A call's own context is not the stop signal,
	// so stopping never fails a call in flight.
	var stop atomic.Bool
	var calls, failed atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for !stop.Load() {
				c, done := sw.acquire()
				cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				_, err := c.SalesUnits.Get(cctx, set.MSN)
				cancel()
				done()
				calls.Add(1)
				if err != nil && failed.Add(1) <= 5 {
					fmt.Fprintf(os.Stderr, "replica %s: call failed: %v\n", name, err)
				}
			}
		})
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	stop.Store(true)
	wg.Wait()
	stopRun()
	if err := <-runErr; err != nil {
		fmt.Fprintf(os.Stderr, "replica %s: %v\n", name, err)
		failed.Add(1)
	}
	say("report calls=%d failed=%d", calls.Load(), failed.Load())
	return 0
}

// swapper is the documented swap pattern for a fleet replica. When the
// credentials in use change, Store builds a client from the new set, has it
// fetch its token with one call (so it holds one before the rotator may
// replace the client secret, and a set that does not work is never
// acknowledged), routes new calls to it and returns once the calls on the
// previous client have finished. A set whose credentials in use did not
// change (the spare key was replaced) keeps the client and its token.
type swapper struct {
	url string

	mu  sync.Mutex
	cur *generation
}

type generation struct {
	c        *portal.Client
	creds    vipps.Credentials
	inFlight int
	retired  bool
	drained  chan struct{}
}

func newSwapper(url string, set keys.Set, inUse keys.Name) (*swapper, error) {
	s := &swapper{url: url}
	g, err := s.generation(set, inUse)
	if err != nil {
		return nil, err
	}
	s.cur = g
	return s, nil
}

func (s *swapper) generation(set keys.Set, inUse keys.Name) (*generation, error) {
	creds := vipps.Credentials{ClientID: set.ClientID, ClientSecret: set.ClientSecret,
		SubscriptionKey: set.SubscriptionKey(inUse), MSN: set.MSN}
	c, err := portal.New(portal.WithCredentials(creds),
		portal.WithBaseURL(s.url), portal.WithPortalURL(s.url),
		portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}))
	if err != nil {
		return nil, err
	}
	return &generation{c: c, creds: creds, drained: make(chan struct{})}, nil
}

// acquire returns the client for one call and the func to call when it is done.
func (s *swapper) acquire() (*portal.Client, func()) {
	s.mu.Lock()
	g := s.cur
	g.inFlight++
	s.mu.Unlock()
	return g.c, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		g.inFlight--
		if g.retired && g.inFlight == 0 {
			close(g.drained)
		}
	}
}

// Store switches to set and waits for the previous client's calls to finish.
func (s *swapper) Store(ctx context.Context, set keys.Set, inUse keys.Name) error {
	g, err := s.generation(set, inUse)
	if err != nil {
		return err
	}
	s.mu.Lock()
	same := s.cur.creds == g.creds
	s.mu.Unlock()
	if same {
		return nil
	}
	if _, err := g.c.SalesUnits.Get(ctx, set.MSN); err != nil {
		return fmt.Errorf("the new set does not work: %w", err)
	}
	s.mu.Lock()
	old := s.cur
	s.cur = g
	old.retired = true
	if old.inFlight == 0 {
		close(old.drained)
	}
	s.mu.Unlock()
	select {
	case <-old.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stuck applies the first set and then hangs on every later one until the
// replica stops: a replica whose switch never finishes, while it stays live.
type stuck struct {
	next  etcdfleet.Applier
	calls int
}

func (s *stuck) Store(ctx context.Context, set keys.Set, inUse keys.Name) error {
	s.calls++
	if s.calls == 1 {
		return s.next.Store(ctx, set, inUse)
	}
	<-ctx.Done()
	return ctx.Err()
}

// replicaProc is a replica process seen from the test.
type replicaProc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	acks  chan int64    // every "ack" line
	rep   chan string   // the "report" line
	done  chan struct{} // closed when the process has exited
}

// startReplica re-executes the test binary as replica name.
func startReplica(t *testing.T, name, endpoint, prefix, simURL string, stuck bool) *replicaProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envReplica+"="+name, envEndpoint+"="+endpoint, envPrefix+"="+prefix, envSim+"="+simURL)
	if stuck {
		cmd.Env = append(cmd.Env, envStuck+"=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &replicaProc{name: name, cmd: cmd, stdin: stdin, acks: make(chan int64, 1024), rep: make(chan string, 1), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "ack "):
				v, _ := strconv.ParseInt(strings.TrimPrefix(line, "ack "), 10, 64)
				p.acks <- v
			case strings.HasPrefix(line, "report "):
				p.rep <- strings.TrimPrefix(line, "report ")
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		// A test that failed early still leaves no process behind.
		_ = stdin.Close()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// awaitAck waits, bounded, for the replica's acknowledgement of version or a later one.
func (p *replicaProc) awaitAck(t *testing.T, version int64) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case v := <-p.acks:
			if v >= version {
				return
			}
		case <-timeout:
			t.Fatalf("replica %s did not acknowledge version %d within 60s", p.name, version)
		}
	}
}

// stop closes the replica's stdin and returns its calls and failures.
func (p *replicaProc) stop(t *testing.T) (calls, failed int64) {
	t.Helper()
	require.NoError(t, p.stdin.Close())
	select {
	case <-p.done: // the report, if any, was read before
	case <-time.After(60 * time.Second):
		t.Fatalf("replica %s did not exit within 60s", p.name)
	}
	select {
	case line := <-p.rep:
		_, err := fmt.Sscanf(line, "calls=%d failed=%d", &calls, &failed)
		require.NoError(t, err, "report line %q", line)
	default:
		t.Fatalf("replica %s exited without a report", p.name)
	}
	return calls, failed
}
