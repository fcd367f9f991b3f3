//go:build linux

package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/ehlo-sh/ehlo/internal/testenv"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the built binary as a user does (on Linux: prlimit,
// ru_maxrss), on this suite's own loopback addresses (127.3.0.0/16), on
// ports the system picks.

// smtpHosts serves minimal SMTP (greeting after greetAfter, EHLO, QUIT;
// greetAfter < 0: accept and stay silent) on a free port of every address given,
// until the test ends; it returns the targets.
func smtpHosts(t *testing.T, greetAfter time.Duration, addrs ...string) []string {
	t.Helper()
	var (
		wg    sync.WaitGroup
		lns   []net.Listener
		quit  = make(chan struct{})
		conns sync.Map
	)
	t.Cleanup(func() {
		close(quit)
		for _, ln := range lns {
			ln.Close()
		}
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	var targets []string
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		targets = append(targets, ln.Addr().String())
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns.Store(c, true)
				wg.Go(func() {
					defer func() { conns.Delete(c); c.Close() }()
					c.SetDeadline(time.Now().Add(time.Minute))
					if greetAfter < 0 {
						select {
						case <-quit:
						case <-time.After(time.Minute):
						}
						return
					}
					if greetAfter > 0 {
						time.Sleep(greetAfter)
					}
					io.WriteString(c, "220 fleet.test ESMTP\r\n")
					r := bufio.NewReader(c)
					for {
						line, err := r.ReadString('\n')
						if err != nil {
							return
						}
						switch strings.ToUpper(strings.Fields(line + " x")[0]) {
						case "EHLO":
							io.WriteString(c, "250-fleet.test\r\n250 PIPELINING\r\n")
						case "QUIT":
							io.WriteString(c, "221 bye\r\n")
							return
						default:
							io.WriteString(c, "502 no\r\n")
						}
					}
				})
			}
		})
	}
	return targets
}

// TestFleetCtrlCWritesFinished: SIGINT to `ehlo probe --from-file` while
// two targets hang writes the three that finished, says how to go on and
// exits 1 at once; the hanging ones are not written (a resumed run probes
// them).
func TestFleetCtrlCWritesFinished(t *testing.T) {
	fast := smtpHosts(t, 0, "127.3.4.1:0", "127.3.4.1:0", "127.3.4.1:0")
	silent := smtpHosts(t, -1, "127.3.4.2:0", "127.3.4.2:0")
	file := filepath.Join(t.TempDir(), "hosts.txt")
	os.WriteFile(file, []byte(strings.Join(append(silent, fast...), "\n")+"\n"), 0o600)
	cmd := exec.Command(ehloBinary(t), "probe", "--from-file", file, "--per-host", "0", "--rate", "0",
		"--timeout", "60s", "--greeting-wait", "0", "--tarpit", "50s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The lines stream: the three fast targets come while the silent two
	// hang (for 60 s, --timeout).
	r := bufio.NewReader(stdout)
	var got []string
	for len(got) < len(fast) {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d lines: %v; stderr: %s", len(got), err, stderr.String())
		}
		got = append(got, line)
	}
	sent := time.Now()
	cmd.Process.Signal(os.Interrupt)
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	if took := time.Since(sent); took > 5*time.Second {
		t.Errorf("exited %v after SIGINT", took)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFailed {
		t.Errorf("exit %d (%v), want %d; stderr: %s", code, err, exitFailed, stderr.String())
	}
	lines := fleetLines(t, strings.Join(got, "")+string(rest))
	if len(lines) != len(fast) {
		t.Errorf("%d lines written, want the %d finished: %v", len(lines), len(fast), lines)
	}
	for _, target := range fast {
		if lines[target].Status != "ok" {
			t.Errorf("%s: %+v", target, lines[target])
		}
	}
	if !strings.Contains(stderr.String(), "interrupted: 3 targets finished") || !strings.Contains(stderr.String(), "--resume") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// peakRSS runs the binary with args, stderr to a file, and returns its
// peak resident memory in KiB and its stderr.
func peakRSS(t *testing.T, args ...string) (int64, string) {
	t.Helper()
	errFile := filepath.Join(t.TempDir(), "stderr")
	fh, err := os.Create(errFile)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cmd := exec.Command(ehloBinary(t), args...)
	cmd.Stderr = fh
	cmd.Stdout = io.Discard
	err = cmd.Run()
	b, _ := os.ReadFile(errFile)
	if code := cmd.ProcessState.ExitCode(); code != exitFailed { // exit 1: some lines are not targets
		t.Fatalf("%v: exit %d (%v): %s", args, code, err, tail(string(b), 2000))
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, string(b)
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// writeLines writes a target file of n lines: per 100, one target (cycling
// over 500 closed targets of 127.3.5.0/24: nothing listens there), one
// line that is not a target, and comments; about 60 bytes a line.
func writeLines(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("hosts-%d.txt", n))
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	for i := range n {
		switch i % 100 {
		case 0:
			k := (i / 100) % 500
			fmt.Fprintf(w, "127.3.5.%d:%d\n", k%250+1, 23040+k/250)
		case 1:
			fmt.Fprintf(w, "not a target, line %d\n", i+1)
		default:
			fmt.Fprintf(w, "# comment %08d, a line a person wrote to say what follows\n", i)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	return path
}

// TestFleetMillionLinesFlatRSS: a file of a million lines (60 MB: targets
// probed once each, lines that are not targets reported with their number,
// comments) is streamed: the binary's peak memory is that of 10,000 lines.
func TestFleetMillionLinesFlatRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("a million lines")
	}
	args := []string{"probe", "--per-host", "0", "--rate", "0", "--parallel", "50", "--timeout", "5s", "--from-file"}
	small, _ := peakRSS(t, append(args, writeLines(t, 50_000))...)
	bigFile := writeLines(t, 1_000_000)
	big, errOut := peakRSS(t, append(args, bigFile)...)
	t.Logf("peak RSS: %d KiB for 50,000 lines, %d KiB for 1,000,000", small, big)
	if big > small+16<<10 {
		t.Errorf("peak RSS %d KiB for a million lines, %d KiB for 50,000: the file is not streamed", big, small)
	}
	for _, want := range []string{
		"1000000 lines read, 500 targets probed", "9500 duplicates", "10000 lines that are not targets",
		bigFile + ":2: ", bigFile + ":999902: ", "500 refused",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, tail(errOut, 1500))
		}
	}
}

// TestFleetOutOfDescriptorsThrottles: a process that inherited files
// (here 80 of its 100) runs out of descriptors mid-run, though --parallel
// was fitted to its limit at start: it says so once, waits and tries
// again, and every target still gets its real status, none failed for it.
func TestFleetOutOfDescriptorsThrottles(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		testenv.Need(t, "prlimit", "apt-get install util-linux")
	}
	var addrs []string
	for i := range 50 {
		addrs = append(addrs, fmt.Sprintf("127.3.6.%d:0", i%5+1))
	}
	targets := smtpHosts(t, 20*time.Millisecond, addrs...)
	file := filepath.Join(t.TempDir(), "hosts.txt")
	os.WriteFile(file, []byte(strings.Join(targets, "\n")+"\n"), 0o600)
	var extra []*os.File
	for range 80 {
		fh, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		extra = append(extra, fh)
	}
	cmd := exec.Command("prlimit", "--nofile=100:100", "--", ehloBinary(t), "probe", "--from-file", file,
		"--per-host", "0", "--rate", "0", "--parallel", "18", "--greeting-wait", "0", "--timeout", "10s")
	cmd.ExtraFiles = extra
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d (%v): %s", code, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "out of file descriptors") || strings.Contains(stderr.String(), "panic") {
		t.Errorf("stderr: %s", stderr.String())
	}
	lines := fleetLines(t, stdout.String())
	for _, target := range targets {
		if lines[target].Status != "ok" {
			t.Errorf("%s: %+v", target, lines[target])
		}
	}
}
