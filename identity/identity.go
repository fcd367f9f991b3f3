// Package identity judges who a receiving mail server thinks the client is,
// before DATA, from DNS alone: the address the server sees, SPF for the
// envelope sender (RFC 7208), the sender domain's DMARC policy (RFC 7489),
// reverse DNS of the client and of the server (FCrDNS), and DNS blocklists
// (RFC 5782).
//
// It asks its questions through a dns.Resolver, so every lookup can become
// a D: line of the transcript, and is otherwise pure: what the answers mean
// is decided here, what to show is decided by the callers (doctor, send,
// the explorer), which turn Report.Findings into their own words.
//
// DNS text (TXT records, PTR names) is kept as received; callers show it
// through the session sanitizer.
package identity

import (
	"context"
	"net/netip"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
)

// Config is what a check needs to know about the session.
type Config struct {
	Client netip.Addr // the address the server sees (SeenAddress)
	Sender string     // the MAIL FROM address, "" for the null sender
	Helo   string     // the name the client gave in EHLO or HELO
	// HeaderFrom is the address of the From: header field, when the
	// message is known (send, :compose); "" to judge the envelope only.
	HeaderFrom string
	DNSBL      []string // blocklist zones to ask about Client; none by default
	// Server is the address of the server connected to, and Banner the
	// name its greeting gives, for its own reverse DNS; zero to skip.
	Server netip.Addr
	Banner string
}

// Report is everything a check found.
type Report struct {
	Client  netip.Addr
	SPF     SPF
	DMARC   DMARC
	PTR     PTR // the client's reverse DNS
	Server  *PTR
	DNSBL   []Listing
	Helo    string
	Checked bool // false when the client address was unknown: nothing was asked
}

// Check runs every judgement in turn, the DNS questions through r. It never
// fails: what went wrong is in each part's result.
func Check(ctx context.Context, r dns.Resolver, cfg Config) Report {
	rep := Report{Client: cfg.Client, Helo: cfg.Helo}
	if !cfg.Client.IsValid() {
		return rep
	}
	rep.Checked = true
	rep.SPF = CheckSPF(ctx, r, cfg.Client.Unmap(), cfg.Sender, cfg.Helo)
	rep.DMARC = CheckDMARC(ctx, r, rep.SPF, cfg.HeaderFrom)
	rep.PTR = CheckPTR(ctx, r, cfg.Client.Unmap(), cfg.Helo)
	if cfg.Server.IsValid() {
		s := CheckPTR(ctx, r, cfg.Server.Unmap(), cfg.Banner)
		rep.Server = &s
	}
	for _, zone := range cfg.DNSBL {
		rep.DNSBL = append(rep.DNSBL, CheckDNSBL(ctx, r, cfg.Client.Unmap(), zone))
	}
	return rep
}

// domainOf is the domain of an address, lower case, without a final dot;
// "" when it has no @.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}

// fqdn adds the final dot.
func fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// bare removes the final dot and lowers the case.
func bare(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }
