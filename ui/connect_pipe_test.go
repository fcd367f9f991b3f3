package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/wire"
)

// TestConnectFromPipe: in an explorer opened with --pipe, ":connect"
// alone connects again the same way, running the program anew, and says
// so; ":connect HOST:PORT" dials that host over TCP (no program), and
// "unix:/path" that socket, each said on screen; ":connect" alone then
// reconnects there, not to the program.
func TestConnectFromPipe(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.cfg.Options.Transport.Pipe, s.m.cfg.Options.GreetingWait = "sendmail -bs", -1
	s.m.opts = s.m.cfg.Options
	s.m.conn.target = "localhost"
	type dialed struct {
		target string
		opts   wire.Options
	}
	var got dialed
	s.m.dial = func(_ context.Context, target string, opts wire.Options) (link, error) {
		got = dialed{target, opts}
		return nil, errors.New("no")
	}
	run := func(line string) {
		t.Helper()
		next, cmd := s.m.runLocal(line)
		s.m = next
		runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(dialedMsg); return ok })
	}
	run(":connect")
	if got.target != "localhost" || got.opts.Transport.Pipe != "sendmail -bs" {
		t.Errorf(":connect alone dialled %q through %q; want the program again", got.target, got.opts.Transport.Pipe)
	}
	wantHas(t, "flash", s.m.flash.text, `running "sendmail -bs" again`, "a new process")

	run(":connect 127.0.0.1:2525")
	if got.target != "127.0.0.1:2525" || got.opts.Transport.Pipe != "" || s.m.opts.GreetingWait < 0 {
		t.Errorf(":connect HOST:PORT dialled %q through %q, greeting wait %v; want TCP to the host, with the wait for a silent greeting",
			got.target, got.opts.Transport.Pipe, s.m.opts.GreetingWait)
	}
	wantHas(t, "flash", s.m.flash.text, "connecting to 127.0.0.1:2525 over TCP", `no longer through "sendmail -bs"`)
	if strings.Contains(s.screen(), "sendmail -bs") && !strings.Contains(s.screen(), "no longer through") {
		t.Errorf("the screen still names the program:\n%s", s.screen())
	}

	run(":connect")
	if got.target != "127.0.0.1:2525" || got.opts.Transport.Pipe != "" {
		t.Errorf(":connect alone after TCP dialled %q through %q; want the host again", got.target, got.opts.Transport.Pipe)
	}
	wantHas(t, "flash", s.m.flash.text, "reconnecting to 127.0.0.1:2525")

	s.m.opts, s.m.conn.target = s.m.cfg.Options, "localhost" // back on the program
	run(":connect unix:/run/lmtp")
	if got.target != "unix:/run/lmtp" || got.opts.Transport.Pipe != "" {
		t.Errorf(":connect unix:/path dialled %q through %q", got.target, got.opts.Transport.Pipe)
	}
	wantHas(t, "flash", s.m.flash.text, "over the unix socket")
}
