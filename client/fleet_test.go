package client

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/session"
)

// fleetServer serves every connection with serve until the test ends; it
// returns the address.
func fleetServer(t *testing.T, serve func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c, bufio.NewReader(c))
			})
		}
	})
	return ln.Addr().String()
}

// plainSMTP answers EHLO with caps (no STARTTLS) and QUIT, after greeting
// (and after waiting greetAfter).
func plainSMTP(greeting string, greetAfter time.Duration, ehlo string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, r *bufio.Reader) {
		if greetAfter > 0 {
			time.Sleep(greetAfter)
		}
		c.Write([]byte(greeting))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch strings.ToUpper(strings.Fields(line + " x")[0]) {
			case "EHLO":
				c.Write([]byte(ehlo))
			case "QUIT":
				c.Write([]byte("221 bye\r\n"))
				return
			default:
				c.Write([]byte("502 no\r\n"))
			}
		}
	}
}

// closedPort is an address where nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFleetStatuses runs a fleet over servers that each earn one status,
// and checks every status, so none is ever a false ok.
func TestFleetStatuses(t *testing.T) {
	ok := "220 ok ESMTP\r\n"
	cases := map[string]string{
		fleetServer(t, plainSMTP(ok, 0, "250-x\r\n250 PIPELINING\r\n")):                         StatusOK,
		fleetServer(t, plainSMTP(ok, 1500*time.Millisecond, "250 x\r\n")):                       StatusTarpit,
		fleetServer(t, func(c net.Conn, r *bufio.Reader) { r.ReadString('\n') }):                StatusTarpit, // accepted, silent
		fleetServer(t, plainSMTP("421 4.7.0 Too many connections, try again later\r\n", 0, "")): StatusRateLimited,
		fleetServer(t, plainSMTP("554 5.7.1 go away\r\n", 0, "")):                               StatusRefused,
		fleetServer(t, plainSMTP("450 4.3.2 maintenance\r\n", 0, "")):                           StatusNotTestable,
		fleetServer(t, plainSMTP(ok, 0, "250-x\r\n251-PIPELINING\r\n250 SIZE\r\n")):             StatusProtocolError,
		fleetServer(t, plainSMTP(ok, 0, "250-x\r\n250 STARTTLS\r\n")):                           StatusTLSFailed, // then 502 to STARTTLS
	}
	cases[closedPort(t)] = StatusRefused
	cases["nosuchhost.invalid:25"] = StatusDNSError

	// The tarpit threshold leaves a healthy loopback reply, however loaded
	// the machine (-race, two cores), well inside it, and the slow one and
	// the silent one (cut at Timeout) well beyond it.
	f := &Fleet{Options: Options{Timeout: 3 * time.Second, GreetingWait: -1}, Parallel: 4, Tarpit: 750 * time.Millisecond}
	in := make(chan FleetTarget)
	go func() {
		defer close(in)
		i := 0
		for target := range cases {
			i++
			in <- FleetTarget{Target: target, Line: i}
		}
	}()
	got := map[string]FleetResult{}
	f.Run(context.Background(), in, func(r FleetResult) { got[r.Target] = r })
	for target, want := range cases {
		r, found := got[target]
		switch {
		case !found:
			t.Errorf("%s: no result", target)
		case r.Status != want:
			t.Errorf("%s: status %q (%s), want %q", target, r.Status, r.Reason, want)
		case want != StatusOK && r.Reason == "":
			t.Errorf("%s: %s without a reason", target, r.Status)
		}
	}
}

// TestFleetPerHostAndRate: one host never has more than PerHost
// connections at once, and new ones come no faster than Rate.
func TestFleetPerHostAndRate(t *testing.T) {
	var (
		mu            sync.Mutex
		now, peak     int
		accepts       []time.Time
		release       = make(chan struct{})
		releaseClosed sync.Once
	)
	addr := fleetServer(t, func(c net.Conn, r *bufio.Reader) {
		mu.Lock()
		now++
		peak = max(peak, now)
		accepts = append(accepts, time.Now())
		reached := now == 2
		mu.Unlock()
		if reached { // both slots taken at once: let every session go on
			releaseClosed.Do(func() { close(release) })
		}
		select {
		case <-release:
		case <-time.After(3 * time.Second):
		}
		mu.Lock()
		now--
		mu.Unlock()
		plainSMTP("220 ok\r\n", 0, "250 x\r\n")(c, r)
	})
	const n, rate = 6, 20.0
	f := &Fleet{Options: Options{Timeout: 5 * time.Second, GreetingWait: -1}, Parallel: n, PerHost: 2, Rate: rate}
	in := make(chan FleetTarget, n)
	for i := range n {
		in <- FleetTarget{Target: addr, Line: i + 1}
	}
	close(in)
	done := 0
	f.Run(context.Background(), in, func(r FleetResult) {
		done++
		if r.Status != StatusOK {
			t.Errorf("line %d: %s (%s)", r.Line, r.Status, r.Reason)
		}
	})
	if done != n {
		t.Fatalf("%d of %d finished", done, n)
	}
	if peak != 2 {
		t.Errorf("at most %d connections at once, want the --per-host limit, 2", peak)
	}
	// The server sees a connection when its handler runs, which a loaded
	// machine delays by any amount: one pair of handlers may run closer
	// than the rate's gap though the dials were not. The span from the
	// first to the last is what the rate bounds: n-1 gaps, less at most one
	// for a first handler that ran late. Without the rate, the six sessions
	// take a few milliseconds.
	gap := time.Duration(float64(time.Second) / rate)
	if span := accepts[len(accepts)-1].Sub(accepts[0]); span < time.Duration(n-2)*gap {
		t.Errorf("%d connections within %v, under the rate's %v for %d gaps", n, span, time.Duration(n-2)*gap, n-2)
	}
}

// TestFleetCancelReportsOnlyFinished: after a cancel (Ctrl-C), Run returns
// at once and reports no probe it cut short, so --resume probes it again.
func TestFleetCancelReportsOnlyFinished(t *testing.T) {
	fast := fleetServer(t, plainSMTP("220 ok\r\n", 0, "250 x\r\n"))
	silent := fleetServer(t, func(c net.Conn, r *bufio.Reader) { r.ReadString('\n') })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &Fleet{Options: Options{Timeout: 30 * time.Second, GreetingWait: -1}, Parallel: 2}
	in := make(chan FleetTarget, 2)
	in <- FleetTarget{Target: silent, Line: 1}
	in <- FleetTarget{Target: fast, Line: 2}
	close(in)
	var got []string
	start := time.Now()
	f.Run(ctx, in, func(r FleetResult) { got = append(got, r.Target); cancel() })
	if len(got) != 1 || got[0] != fast {
		t.Errorf("reported %v, want only the finished %s", got, fast)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v after the cancel", took)
	}
}

// TestClassifyTLSFirstSaysTLSOnce: a port that speaks TLS first is
// not-testable, its reason telling to use --tls once.
func TestClassifyTLSFirstSaysTLSOnce(t *testing.T) {
	err := &StepError{Step: StepGreeting, Err: &TLSFirstError{Silent: time.Second, Greeting: session.Reply{Code: 220, Lines: []string{"mx ESMTP"}}}}
	status, reason := Classify(ProbeResult{Address: "127.0.0.1:10465", Err: err}, 0, 0)
	if status != StatusNotTestable || strings.Count(reason, "--tls") != 1 {
		t.Errorf("status %q, reason %q", status, reason)
	}
}

// TestFleetElapsedIsTheProbes: a target that waits for its destination's
// --rate reports the probe's own time as elapsed, not the polite wait
// before it (which would list it among the slowest targets).
func TestFleetElapsedIsTheProbes(t *testing.T) {
	addr := fleetServer(t, plainSMTP("220 ok\r\n", 0, "250 x\r\n"))
	const rate = 0.5 // a dial every 2 s to one destination
	f := &Fleet{Options: Options{Timeout: 5 * time.Second, GreetingWait: -1}, Parallel: 2, PerHost: 1, Rate: rate}
	in := make(chan FleetTarget, 2)
	in <- FleetTarget{Target: addr, Line: 1}
	in <- FleetTarget{Target: addr, Line: 2}
	close(in)
	start := time.Now()
	var got []FleetResult
	f.Run(context.Background(), in, func(r FleetResult) { got = append(got, r) })
	if len(got) != 2 {
		t.Fatalf("%d results", len(got))
	}
	if wall := time.Since(start); wall < time.Second {
		t.Fatalf("the run took %v: the rate did not hold the second target back", wall)
	}
	for _, r := range got {
		if r.Status != StatusOK || r.Elapsed >= time.Second {
			t.Errorf("line %d: %s, elapsed %v: want ok and the probe's own time (a local probe, not the 2 s wait)", r.Line, r.Status, r.Elapsed)
		}
	}
}
