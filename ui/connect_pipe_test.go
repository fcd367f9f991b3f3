package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
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

// TestMXRemoteLab: with a resolver named, the lab's names (lab.test) go to
// the ports and CA an ehlo lab there published (MXConfig.Lab); DOMAIN:PORT
// and --mta-sts-port come first, and a real domain gets none of it.
func TestMXRemoteLab(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	pool := x509.NewCertPool()
	s.m.cfg.MX = MXConfig{Named: true, Lab: RemoteLab{MXPort: "21025", PolicyPort: "21443", RootCAs: pool},
		Resolver: func(dns.Observer) (dns.Resolver, error) { return dns.NewClient("127.0.0.1:21053"), nil }}
	for _, c := range []struct{ name, port, policy string }{
		{"lab.test", "21025", "21443"},
		{"example.org", "", ""},
	} {
		n, _, err := domain.Address(c.name)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.m.mxOptions(n)
		if err != nil || o.Port != c.port || o.PolicyPort != c.policy || (o.RootCAs == pool) != (c.port != "") {
			t.Errorf("%s: port %q, policy %q, lab CA %v, err %v", c.name, o.Port, o.PolicyPort, o.RootCAs == pool, err)
		}
	}
	s.m.cfg.MX.PolicyPort = "8443"
	if o, _ := s.m.mxOptions(domain.Name{ASCII: "lab.test"}); o.PolicyPort != "8443" {
		t.Errorf("--mta-sts-port 8443 gave way to the lab's %s", o.PolicyPort)
	}
}
