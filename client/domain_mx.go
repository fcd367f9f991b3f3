package client

import (
	"context"
	"crypto/x509"
	"sync"

	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file serves the explorer's --mx: the route and each host's TLSA
// records before any connection, the MTA-STS policy beside them, and the
// DANE check a connection to one MX makes.

// RouteTLSA looks up the route of a domain, then the TLSA records of each
// of its hosts, at once: what the explorer shows before it connects.
func RouteTLSA(ctx context.Context, name domain.Name, o DomainOptions) (domain.Route, []domain.TLSA) {
	rt := Route(ctx, name, o)
	tlsa := make([]domain.TLSA, len(rt.Hosts))
	var wg sync.WaitGroup
	for i, h := range rt.Hosts {
		wg.Go(func() { tlsa[i] = domain.LookupTLSA(ctx, o.Resolver, rt, h) })
	}
	wg.Wait()
	return rt, tlsa
}

// LookupSTS asks for a domain's MTA-STS record and policy (domain.LookupSTS)
// with the probe's settings: --ca's roots, the lab's policy port, -4/-6.
func LookupSTS(ctx context.Context, name domain.Name, o DomainOptions) domain.STS {
	fetch := domain.FetchOptions{RootCAs: o.RootCAs, Port: o.PolicyPort, Timeout: o.Timeout, Only4: o.Route.Only4, Only6: o.Route.Only6}
	return domain.LookupSTS(ctx, o.Resolver, name, fetch)
}

// DANECheck is the check a sender makes of MX host h's certificate chain
// against its TLSA records t (RFC 7672): nil when the records cannot
// authenticate (none, insecure, bogus, unusable). A chain it matches
// completes the handshake whatever WebPKI says; the result is in
// wire.TLSInfo.Check, "matched by record N" or "no record matched".
func DANECheck(t domain.TLSA, h domain.Host) *wire.ChainCheck {
	if !t.Authenticates() {
		return nil
	}
	return &wire.ChainCheck{Name: "DANE", Check: func(chain []*x509.Certificate) (bool, string) {
		d := t.Check(chain, h)
		return d.Verdict == domain.DANEMatched, d.Text()
	}}
}
