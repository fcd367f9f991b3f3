package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// stderrKeep is how much of a piped program's stderr is kept to show; the
// rest is counted, not held.
const stderrKeep = 4 << 10

// pipeWait is how long a piped program may take to exit after its stdout
// ended or its stdin was closed, before it is killed.
const pipeWait = 2 * time.Second

// PipeExitError reports that a --pipe program ended its output: how it
// exited, and the start of what it wrote on stderr. Its Unwrap is io.EOF.
type PipeExitError struct {
	Command string
	State   string // "exit status 1", "signal: killed", "still running"
	Stderr  []byte // the first bytes of its stderr, raw: sanitize to show
	More    int    // stderr bytes not kept
}

func (e *PipeExitError) Error() string {
	s := fmt.Sprintf("wire: the program %q ended its output (%s)", e.Command, e.State)
	if len(e.Stderr) > 0 {
		s += fmt.Sprintf("; it wrote on stderr: %q", quoteTail(e.Stderr))
	}
	return s
}

func (*PipeExitError) Unwrap() error { return io.EOF }

func (*PipeExitError) wire() {}

// pipeConn is a program's stdin and stdout as a net.Conn. Both ends are
// pipes from os.Pipe, which keep deadlines where the platform polls them.
type pipeConn struct {
	command string
	cmd     *exec.Cmd
	stdin   *os.File // we write
	stdout  *os.File // we read
	stderr  *capped
	done    chan struct{} // closed when the program has exited
	waitErr error         // its exit, once done
	once    sync.Once
	noted   atomic.Bool // Conn noted how it ended
}

// startPipe runs command with the shell, its stdin and stdout the
// connection. ctx bounds the start only.
func startPipe(ctx context.Context, command string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	p := &pipeConn{command: command, stdin: inW, stdout: outR, stderr: &capped{}, done: make(chan struct{})}
	p.cmd = shellCommand(command)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = inR, outW, p.stderr
	p.cmd.WaitDelay = pipeWait // a child that keeps stderr open cannot hold Wait
	err = p.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("wire: start %q: %w", command, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Read reads the program's stdout. At its end it waits a moment for the
// program to exit and returns a *PipeExitError saying how.
func (p *pipeConn) Read(b []byte) (int, error) {
	n, err := p.stdout.Read(b)
	if errors.Is(err, io.EOF) {
		return n, p.exit(pipeWait)
	}
	return n, err
}

// exit is how the program ended, waiting up to wait for it.
func (p *pipeConn) exit(wait time.Duration) *PipeExitError {
	e := &PipeExitError{Command: p.command, State: "still running"}
	if p.exited(wait) {
		e.State = "exit status 0"
		if p.waitErr != nil {
			e.State = p.waitErr.Error()
		}
	}
	e.Stderr, e.More = p.stderr.get()
	return e
}

// exited reports whether the program has exited, waiting up to wait.
func (p *pipeConn) exited(wait time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

func (p *pipeConn) Write(b []byte) (int, error) { return p.stdin.Write(b) }

// Close closes the program's stdin, lets it exit (killing it, and what it
// started, after pipeWait) and closes its stdout.
func (p *pipeConn) Close() error {
	p.once.Do(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(pipeWait):
			killTree(p.cmd)
			<-p.done
		}
		p.stdout.Close()
	})
	return nil
}

// Ended is how the program ended, once closed: its exit and stderr.
func (p *pipeConn) Ended() *PipeExitError { return p.exit(0) }

func (p *pipeConn) LocalAddr() net.Addr  { return pipeAddr("ehlo") }
func (p *pipeConn) RemoteAddr() net.Addr { return pipeAddr(p.command) }

func (p *pipeConn) SetDeadline(t time.Time) error {
	return errors.Join(p.SetReadDeadline(t), p.SetWriteDeadline(t))
}
func (p *pipeConn) SetReadDeadline(t time.Time) error  { return p.stdout.SetReadDeadline(t) }
func (p *pipeConn) SetWriteDeadline(t time.Time) error { return p.stdin.SetWriteDeadline(t) }

// SyscallConn is stdout's, so CheckIdle can look without waiting.
func (p *pipeConn) SyscallConn() (syscall.RawConn, error) { return p.stdout.SyscallConn() }

// pipeAddr is a piped program's command line as an address.
type pipeAddr string

func (pipeAddr) Network() string  { return "pipe" }
func (a pipeAddr) String() string { return string(a) }

// capped keeps the first stderrKeep bytes written to it and counts the
// rest: a program flooding its stderr costs no memory.
type capped struct {
	mu   sync.Mutex
	b    []byte
	more int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(p), stderrKeep-len(c.b))
	c.b = append(c.b, p[:n]...)
	c.more += len(p) - n
	return len(p), nil
}

func (c *capped) get() ([]byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.b...), c.more
}
