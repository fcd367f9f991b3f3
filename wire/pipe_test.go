//go:build unix

package wire

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// A program's stdin and stdout are the connection: what it prints is the
// server's, what ehlo writes reaches it.
func TestPipeTalks(t *testing.T) {
	c, err := Dial(context.Background(), "localhost", Options{Transport: Transport{Pipe: `printf '220 piped\r\n'; read line; printf '250 got %s\n' "$line"`}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if r, err := c.ReadReply(ctx); err != nil || !strings.HasPrefix(string(r.Raw), "220 ") {
		t.Fatalf("greeting %+v, %v", r, err)
	}
	r, err := c.Exchange(ctx, "NOOP")
	if err != nil || !strings.Contains(string(r.Raw), "250 got NOOP") {
		t.Fatalf("reply %q, %v", r.Raw, err)
	}
	if route := c.Route(); route.Kind != "pipe" {
		t.Errorf("route %+v", route)
	}
}

// A program that exits at once: the read says so, with its exit status
// and its stderr, raw for the caller to sanitize.
func TestPipeExitsAtOnce(t *testing.T) {
	c, err := Dial(context.Background(), "localhost", Options{Transport: Transport{Pipe: "printf 'no such queue \\033[31m\\n' >&2; exit 75"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ReadReply(context.Background())
	var (
		pe     *PipeExitError
		closed *ClosedError
	)
	if !errors.As(err, &closed) || !errors.As(err, &pe) || !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want a ClosedError holding a PipeExitError", err)
	}
	if pe.State != "exit status 75" || string(pe.Stderr) != "no such queue \x1b[31m\n" {
		t.Errorf("state %q, stderr %q", pe.State, pe.Stderr)
	}
	if strings.Contains(err.Error(), "\x1b") {
		t.Errorf("the error's text holds a raw escape: %q", err.Error())
	}
}

// A program that floods its output is cut by the reply limits, and Close
// ends it (and what it started) in bounded time.
func TestPipeFloodIsBounded(t *testing.T) {
	c, err := Dial(context.Background(), "localhost", Options{Transport: Transport{Pipe: "yes 220-flood | cat"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ReadReply(context.Background())
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a LimitError", err)
	}
	start := time.Now()
	c.Close()
	if took := time.Since(start); took > 4*pipeWait {
		t.Errorf("Close took %v", took)
	}
	if !strings.Contains(noteTexts(c.Transcript()), "the program \"") || !strings.Contains(noteTexts(c.Transcript()), "\" ended: ") {
		t.Error("no note of how the program ended")
	}
}

// A program that floods stderr costs no memory beyond what is kept.
func TestPipeStderrCapped(t *testing.T) {
	c, err := Dial(context.Background(), "localhost", Options{Transport: Transport{Pipe: "head -c 100000 /dev/zero >&2; exit 1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ReadReply(context.Background())
	var pe *PipeExitError
	if !errors.As(err, &pe) || len(pe.Stderr) != stderrKeep || pe.More != 100000-stderrKeep {
		t.Fatalf("err %v: kept %d, more %d", err, len(pe.Stderr), pe.More)
	}
}
