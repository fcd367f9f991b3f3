package lab

import "fmt"

// Ports are the TCP ports of the four endpoints; 0 picks a free one.
type Ports struct{ MX, Submission, SMTPS, Legacy int }

// DefaultPorts are unprivileged look-alikes of 25, 587, 465 and an old 25.
var DefaultPorts = Ports{MX: 1025, Submission: 1587, SMTPS: 1465, Legacy: 1026}

// EndpointNames lists the endpoints in the order Endpoints returns them:
// "mx", "submission", "smtps", "legacy". Treat it as read-only.
var EndpointNames = endpointNames()

func endpointNames() []string {
	var names []string
	for _, p := range policies() {
		names = append(names, p.name)
	}
	return names
}

// port returns the port configured for the named endpoint.
func (p Ports) port(name string) int {
	switch name {
	case "mx":
		return p.MX
	case "submission":
		return p.Submission
	case "smtps":
		return p.SMTPS
	case "legacy":
		return p.Legacy
	}
	return 0
}

// Endpoint describes one running endpoint.
type Endpoint struct {
	Name        string // "submission"
	Addr        string // bound address, "127.0.0.1:1587"
	ImplicitTLS bool   // TLS from the first byte (RFC 8314), no STARTTLS
	Summary     string // one line on what it reproduces
}

// policy is what sets one endpoint apart from the others.
type policy struct {
	name, summary string
	implicitTLS   bool     // TLS from the first byte (RFC 8314)
	startTLS      bool     // offers STARTTLS (RFC 3207)
	mechs         []string // SASL mechanisms (RFC 4954); none: no AUTH, none needed
	authNeedsTLS  bool     // AUTH only once TLS is on
	localOnly     bool     // RCPT only for @lab.test: an MX, not a relay
}

// policies returns the endpoints in their canonical order.
func policies() []policy {
	all := []string{mechPlain, mechLogin, mechCRAMMD5}
	return []policy{
		{name: "mx", summary: "inbound MX: STARTTLS, never AUTH, relay denied outside @" + Domain,
			startTLS: true, localOnly: true},
		{name: "submission", summary: "like Gmail's 587: STARTTLS, AUTH only after TLS",
			startTLS: true, mechs: all, authNeedsTLS: true},
		{name: "smtps", summary: "like port 465: implicit TLS, AUTH offered at once",
			implicitTLS: true, mechs: all, authNeedsTLS: true},
		{name: "legacy", summary: "no TLS at all: AUTH PLAIN LOGIN in the clear, like an old port 25",
			mechs: []string{mechPlain, mechLogin}},
	}
}

// domain is the name the endpoint greets with, "mx.lab.test".
func (p policy) domain() string { return p.name + "." + Domain }

// greeting is the endpoint's 220 line (RFC 5321 section 4.2).
func (p policy) greeting() string {
	return fmt.Sprintf("220 %s ESMTP ehlo lab (%s)", p.domain(), p.name)
}
