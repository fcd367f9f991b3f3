package client

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/identity"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// IdentityTimeout bounds the whole identity check: SPF's own limit, then
// DMARC, reverse DNS and the blocklists.
const IdentityTimeout = 40 * time.Second

// identity judges, before MAIL, who the server thinks the client is, when
// a sender and a resolver are given. Signed in, the check is beside the
// point: the provider's server sends the mail on, and its address is the
// one recipients judge.
func (d *doctor) identity(ctx context.Context) {
	if d.cfg.From == "" || d.cfg.DNS == nil {
		return
	}
	if a := d.facts.Auth; a != nil && a.Exchange != nil && a.Exchange.Reply.Code == 235 {
		d.t.Note("ehlo doctor: signed in, so SPF and reverse DNS are judged on the provider's server that sends the mail on, not on this client: identity not checked")
		return
	}
	d.t.Note("ehlo doctor: before MAIL, asking DNS who the server thinks this client is (SPF, DMARC, reverse DNS)")
	var hello []string
	if n := len(d.facts.Hellos); n > 0 {
		hello = d.facts.Hellos[n-1].Reply.Lines
	}
	var greeting *session.Reply
	if d.facts.Greeting != nil {
		greeting = &d.facts.Greeting.Reply
	}
	conn := d.c.Conn()
	cfg, seen := IdentityConfig(conn.LocalAddr(), conn.Addr(), hello, BannerName(greeting), d.cfg.Options.helo(), d.cfg.From, "")
	cfg.DNSBL = d.cfg.DNSBL
	d.facts.Identity = CheckIdentity(ctx, d.cfg.DNS, d.t, cfg).Findings(seen)
}

// IdentityConfig gathers what an identity check needs from a session: the
// address the server sees (echoed in the lines of its EHLO reply, hello,
// else the connection's local address, "ip:port"), the HELO name, the
// server's address (remote) and the name its greeting gives (banner).
func IdentityConfig(local, remote string, hello []string, banner, helo, from, headerFrom string) (identity.Config, identity.Seen) {
	l, _ := netip.ParseAddrPort(local)
	seen := identity.SeenAddress(hello, l.Addr())
	server, _ := netip.ParseAddrPort(remote)
	cfg := identity.Config{Client: seen.Addr, Sender: from, Helo: helo, HeaderFrom: headerFrom,
		Server: server.Addr().Unmap(), Banner: banner}
	return cfg, seen
}

// BannerName is the first word of a greeting: the name the server gives
// itself (RFC 5321 4.3.1), "" when it is no domain name.
func BannerName(g *session.Reply) string {
	if g == nil || len(g.Lines) == 0 {
		return ""
	}
	fields := strings.Fields(g.Lines[0])
	if len(fields) == 0 || strings.ContainsAny(fields[0], "[]") || !strings.Contains(fields[0], ".") {
		return ""
	}
	if _, err := dns.ParseName(fields[0]); err != nil {
		return ""
	}
	return fields[0]
}

// CheckIdentity runs the check through a copy of r that tells every
// exchange to t as a D: line, with a deadline of IdentityTimeout.
func CheckIdentity(ctx context.Context, r *dns.Client, t *wire.Transcript, cfg identity.Config) identity.Report {
	ctx, cancel := context.WithTimeout(ctx, IdentityTimeout)
	defer cancel()
	rc := *r
	rc.Observer = DNSObserver(t)
	return identity.Check(ctx, &rc, cfg)
}
