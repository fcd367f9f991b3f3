package lab

import "fmt"

// Ports are the TCP ports of the endpoints, then the port of the DNS
// server (UDP and TCP) and of the MTA-STS policy server (HTTPS); 0 picks a
// free one.
type Ports struct {
	MX, Submission, SMTPS, Legacy, Postfix, Exim, Greylist, NoPipe int
	DNS, MTASTS                                                    int
}

// DefaultPorts are unprivileged look-alikes of 25, 587, 465 and an old 25,
// then of a Postfix 587, an Exim 25, a greylisting 25 and an aiosmtpd, then
// of DNS's 53 and HTTPS's 443.
var DefaultPorts = Ports{MX: 1025, Submission: 1587, SMTPS: 1465, Legacy: 1026, Postfix: 1588, Exim: 1027, Greylist: 1028, NoPipe: 1029,
	DNS: 1053, MTASTS: 1443}

// EndpointNames lists the endpoints in the order Endpoints returns them:
// "mx", "submission", "smtps", "legacy", "postfix", "exim", "greylist",
// "nopipe".
// Treat it as read-only.
var EndpointNames = endpointNames()

func endpointNames() []string {
	var names []string
	for _, p := range policies() {
		names = append(names, p.name)
	}
	return names
}

// OffersAuth reports whether the named endpoint offers AUTH (RFC 4954), in
// TLS or in clear: mx and greylist take mail without it.
func OffersAuth(name string) bool {
	for _, p := range policies() {
		if p.name == name {
			return len(p.mechs) > 0
		}
	}
	return false
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
	case "postfix":
		return p.Postfix
	case "exim":
		return p.Exim
	case "greylist":
		return p.Greylist
	case "nopipe":
		return p.NoPipe
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

// gate is what MAIL needs before the endpoint accepts it.
type gate int

const (
	gateNone gate = iota // MAIL is accepted at once; RCPT decides
	gateTLS              // MAIL only after STARTTLS (Postfix's smtpd_tls_security_level = encrypt)
	gateAuth             // MAIL only after AUTH (Gmail's 587)
)

// policy is what sets one endpoint apart from the others.
type policy struct {
	name, summary string
	implicitTLS   bool     // TLS from the first byte (RFC 8314)
	startTLS      bool     // offers STARTTLS (RFC 3207)
	mechs         []string // SASL mechanisms (RFC 4954); none: no AUTH, none needed
	authNeedsTLS  bool     // AUTH only once TLS is on
	mail          gate     // what MAIL needs
	rcptNeedsAuth bool     // every RCPT refused until AUTH (Postfix's smtpd_client_restrictions)
	localOnly     bool     // RCPT only for @lab.test, unless signed in: an MX, not a relay
	mailboxes     bool     // in lab.test only the lab's mailboxes exist (mailboxNames)
	greylist      bool     // the first RCPT of a sender and recipient is greylisted (RFC 6647)
	plainCodes    bool     // no ENHANCEDSTATUSCODES (RFC 2034): the replies carry none; never with TLS
	noPipelining  bool     // no PIPELINING nor CHUNKING, and a client that pipelines anyway is refused; never with TLS
	words         dialect  // the wording of its refusals
	scenario      *Scenario
}

// cert is the certificate STARTTLS presents.
func (p policy) cert() string {
	if p.scenario != nil {
		return p.scenario.Cert
	}
	return ""
}

// mailboxNames are the local parts that exist on an endpoint with
// mailboxes.
var mailboxNames = []string{User, "bob", "postmaster"}

// dialect is how an endpoint words its refusals, after the server it
// imitates (replies.go).
type dialect struct {
	badCredentials func() error          // a wrong user or password
	authRefused    func() error          // AUTH before STARTTLS where AUTH needs TLS
	relayDenied    func(to string) error // a recipient outside lab.test
	unknownUser    func(to string) error // a local part that is not a mailbox
}

// The dialects: the lab's own (Gmail's AUTH replies, Postfix's relay
// refusal), Postfix's, Exim's, and aiosmtpd's.
var (
	labWords     = dialect{errBadCredentials, errMustStartTLS, errRelayDenied, nil}
	postfixWords = dialect{errPostfixBadCredentials, errAuthDisabled, errRelayDenied, nil}
	eximWords    = dialect{errEximBadCredentials, errEximAuthNotAdvertised,
		func(string) error { return errEximRelay() }, func(string) error { return errEximUnknownUser() }}
	aiosmtpdWords = dialect{errBadCredentials, errAuthDisabled, func(string) error { return errNotRelaying() }, nil}
)

// policies returns the endpoints in their canonical order.
func policies() []policy {
	all := []string{mechPlain, mechLogin, mechCRAMMD5}
	plainLogin := []string{mechPlain, mechLogin}
	return []policy{
		{name: "mx", summary: "inbound MX: STARTTLS, never AUTH, relay denied outside @" + Domain,
			startTLS: true, localOnly: true, words: labWords},
		{name: "submission", summary: "like Gmail's 587: STARTTLS, AUTH only after TLS",
			startTLS: true, mechs: all, authNeedsTLS: true, mail: gateAuth, words: labWords},
		{name: "smtps", summary: "like port 465: implicit TLS, AUTH offered at once",
			implicitTLS: true, mechs: all, authNeedsTLS: true, mail: gateAuth, words: labWords},
		{name: "legacy", summary: "no TLS at all: AUTH PLAIN LOGIN in the clear, like an old port 25",
			mechs: plainLogin, mail: gateAuth, words: labWords},
		{name: "postfix", summary: "like Postfix's submission port: STARTTLS first, AUTH after it, every RCPT refused until AUTH (554 5.7.1 Client host rejected)",
			startTLS: true, mechs: plainLogin, authNeedsTLS: true, mail: gateTLS, rcptNeedsAuth: true, words: postfixWords},
		{name: "exim", summary: "like Exim's default configuration without TLS: no enhanced codes, AUTH in the clear, 550 relay not permitted, 550 Unknown user",
			mechs: plainLogin, localOnly: true, mailboxes: true, plainCodes: true, words: eximWords},
		{name: "greylist", summary: "an MX that greylists: the first RCPT of a sender and recipient gets 450 4.7.1 Greylisted, a retry a minute later passes",
			startTLS: true, localOnly: true, greylist: true, words: labWords},
		{name: "nopipe", summary: "like aiosmtpd: no PIPELINING, no TLS, no AUTH, no enhanced codes, 550 not relaying outside @" + Domain + "; a client that pipelines anyway gets Exim's 554 SMTP synchronization error",
			localOnly: true, plainCodes: true, noPipelining: true, words: aiosmtpdWords},
	}
}

// domain is the name the endpoint greets with, "mx.lab.test".
func (p policy) domain() string { return p.name + "." + Domain }

// greeting is the endpoint's 220 line (RFC 5321 section 4.2).
func (p policy) greeting() string {
	return fmt.Sprintf("220 %s ESMTP ehlo lab (%s)", p.domain(), p.name)
}
