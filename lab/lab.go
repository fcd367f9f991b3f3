package lab

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// The lab's test account and mail domain.
const (
	User     = "alice"
	Password = "wonderland"
	Domain   = "lab.test"
)

// Limits every endpoint applies.
const (
	maxMessageBytes = 35882577        // SIZE (RFC 1870), Gmail's value
	maxRecipients   = 100             // RFC 5321 section 4.5.3.1.8's minimum
	timeout         = 5 * time.Minute // RFC 5321 section 4.5.3.2.7 server timeout
)

// Config configures Start. OnMessage and Logf are called from the servers'
// goroutines, possibly at the same time; Close waits for OnMessage calls in
// progress.
type Config struct {
	Host      string                           // listen host: a loopback IP or "localhost"; "" means 127.0.0.1
	Ports     Ports                            // 0 picks a free port
	OnMessage func(Message)                    // called for each accepted message; may be nil; must return quickly
	Logf      func(format string, args ...any) // optional debug log
	Now       func() time.Time                 // the greylist and rate limit clock; nil means time.Now

	// Scenarios are endpoints to run beside the standard ones (or alone,
	// with Only), each named after its scenario.
	Scenarios []Scenario
	Only      bool // run the scenarios only, not the standard endpoints

	// OpenLog, when set, opens the server-side transcript of each
	// connection (one per connection); LogSecrets keeps credentials in it.
	OpenLog    func(ConnInfo) (io.WriteCloser, error)
	LogSecrets bool
	// EnforceSPF makes the mx endpoint refuse a MAIL FROM in one of the
	// lab's domains whose SPF record fails for the client, as Postfix
	// with policyd-spf does (spf.go): eve@forged.test from loopback.
	EnforceSPF bool
}

// Lab is a running sandbox: its endpoints, a mailbox and a CA.
type Lab struct {
	onMessage  func(Message)
	logf       func(format string, args ...any)
	auth       *authority
	box        mailbox
	grey       *greylist
	rate       *rateLimit
	cfg        Config
	enforceSPF bool

	endpoints []Endpoint
	servers   []*smtp.Server
	listeners []*listener
	dns       *dnsServer
	policy    *policyServer
	serving   sync.WaitGroup // one per Serve loop

	closeOnce sync.Once
	closeErr  error
}

// Start generates the CA and certificates, listens on every endpoint, then
// for DNS and the MTA-STS policy, and serves them all. If any listener
// fails, it closes those already open.
func Start(cfg Config) (*Lab, error) {
	host, err := loopbackHost(cfg.Host)
	if err != nil {
		return nil, err
	}
	auth, err := newAuthority(time.Now())
	if err != nil {
		return nil, err
	}
	l := &Lab{onMessage: cfg.OnMessage, logf: cfg.Logf, auth: auth, grey: newGreylist(cfg.Now),
		rate: newRateLimit(cfg.Now), cfg: cfg, enforceSPF: cfg.EnforceSPF}
	if l.logf == nil {
		l.logf = func(string, ...any) {}
	}
	var all []policy
	if !cfg.Only {
		all = policies()
	}
	for _, s := range cfg.Scenarios {
		if slices.ContainsFunc(all, func(p policy) bool { return p.name == s.Name }) {
			return nil, fmt.Errorf("lab: two endpoints named %q", s.Name)
		}
		all = append(all, s.policy())
	}
	for _, p := range all {
		port := cfg.Ports.port(p.name)
		if p.scenario != nil {
			port = p.scenario.Port
		}
		if err := l.listen(host, port, p); err != nil {
			for _, ln := range l.listeners {
				ln.Close()
			}
			return nil, err
		}
	}
	z, err := l.listenDomain(cfg.Ports)
	if err != nil {
		l.closeListeners()
		return nil, err
	}
	for i, srv := range l.servers {
		l.serving.Go(func() { srv.Serve(l.listeners[i]) })
	}
	l.policy.serve(&l.serving)
	if err := l.dns.serve(z, &l.serving); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// listenDomain opens the sockets of the DNS server and the policy server,
// on the address of the MX endpoint (whatever "localhost" became), and
// returns the zone that describes the lab.
func (l *Lab) listenDomain(ports Ports) (*zone, error) {
	mx := l.mxAddr()
	host := mx.Addr().String()
	var err error
	if l.dns, err = listenDNS(host, ports.DNS); err != nil {
		return nil, err
	}
	l.logf("lab: dns listening on %s", l.dns.addr)
	if l.policy, err = listenPolicy(host, ports.MTASTS, l.auth.sts, l.logf); err != nil {
		return nil, err
	}
	l.logf("lab: mta-sts listening on %s", l.policy.addr)
	return newZone(zoneText(zoneFacts{
		ns:         addrPort(l.dns.addr).Addr(),
		mx:         mx.Addr(),
		policy:     addrPort(l.policy.addr).Addr(),
		mxPort:     int(mx.Port()),
		policyPort: l.PolicyPort(),
		spki:       l.auth.spkiSHA256(),
		stsID:      time.Now().UTC().Format("20060102150405"),
		endpoints:  l.endpoints,
	}))
}

// mxAddr is the address of MXEndpoint.
func (l *Lab) mxAddr() netip.AddrPort { return addrPort(l.MXEndpoint().Addr) }

// closeListeners closes the sockets of a lab that never served.
func (l *Lab) closeListeners() {
	for _, ln := range l.listeners {
		ln.Close()
	}
	if l.dns != nil {
		l.dns.close()
	}
	if l.policy != nil {
		l.policy.close()
	}
}

// loopbackHost checks the listen host: an IP literal that is loopback, or
// "localhost". Anything else could expose the lab's open relay-alikes.
func loopbackHost(host string) (string, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	switch ip := net.ParseIP(host); {
	case host == "":
		return "127.0.0.1", nil
	case strings.EqualFold(host, "localhost"):
		return "localhost", nil
	case ip != nil && ip.IsLoopback():
		return host, nil
	}
	return "", fmt.Errorf("lab: listen host %q is not loopback", host)
}

// listen opens the endpoint's socket and prepares its server.
func (l *Lab) listen(host string, port int, p policy) error {
	inner, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("lab: %s: %w", p.name, err)
	}
	implicit := l.auth.serverConfig()
	if !p.implicitTLS {
		implicit = nil
	}
	ep := &endpoint{lab: l, pol: p, impl: p.implicitTLS}
	if p.startTLS {
		if ep.tls, err = l.auth.configFor(p.cert()); err != nil {
			inner.Close()
			return err
		}
	}
	ln := newListener(inner, implicit, p.greeting(), timeout)
	ln.plainCodes, ln.noPipelining = p.plainCodes, p.noPipelining
	ln.ep, ln.openLog, ln.secrets = ep, l.cfg.OpenLog, l.cfg.LogSecrets
	l.listeners = append(l.listeners, ln)
	l.servers = append(l.servers, l.newServer(p))
	l.endpoints = append(l.endpoints, Endpoint{
		Name:        p.name,
		Addr:        inner.Addr().String(),
		ImplicitTLS: p.implicitTLS,
		Summary:     p.summary,
	})
	l.logf("lab: %s listening on %s", p.name, inner.Addr())
	return nil
}

// newServer configures go-smtp for the endpoint. The EHLO reply lists, in
// go-smtp's order: PIPELINING (RFC 2920), 8BITMIME (RFC 6152),
// ENHANCEDSTATUSCODES (RFC 2034), CHUNKING (RFC 3030), STARTTLS (RFC 3207),
// AUTH (RFC 4954), SMTPUTF8 (RFC 6531), SIZE (RFC 1870), LIMITS (RFC 9422).
func (l *Lab) newServer(p policy) *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return newSession(l, p, c), nil
	}))
	srv.Domain = p.domain()
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = maxRecipients
	srv.ReadTimeout = timeout
	srv.WriteTimeout = timeout
	srv.EnableSMTPUTF8 = true
	// go-smtp would answer AUTH before TLS with its own 523 5.7.10; the
	// session decides instead, so it can answer like Gmail (530 5.7.0).
	srv.AllowInsecureAuth = true
	srv.ErrorLog = errorLog(l.logf)
	// STARTTLS is the tap's (tap.go), below go-smtp, which never sees TLS.
	return srv
}

// deliver stores m and hands a copy to OnMessage.
func (l *Lab) deliver(m Message) {
	l.box.add(m)
	l.logf("lab: %s: message from <%s> to %d recipient(s), %d bytes", m.Endpoint, m.From, len(m.To), len(m.Data))
	if l.onMessage != nil {
		l.onMessage(m.clone())
	}
}

// Endpoints returns the endpoints in EndpointNames order.
func (l *Lab) Endpoints() []Endpoint { return slices.Clone(l.endpoints) }

// Endpoint returns the endpoint called name.
func (l *Lab) Endpoint(name string) (Endpoint, bool) {
	for _, e := range l.endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// DNSAddr returns the address of the lab's DNS server, "127.0.0.1:1053",
// on UDP and TCP. It is authoritative for lab.test and ForgedDomain and
// refuses other names; it signs nothing, so even a validating resolver
// finds its answers insecure, and it never sets the AD bit itself.
func (l *Lab) DNSAddr() string { return l.dns.addr }

// MXEndpoint returns the endpoint lab.test's MX hosts (MXHosts) are: the
// mx endpoint, or the first endpoint in a lab without one.
func (l *Lab) MXEndpoint() Endpoint {
	if e, ok := l.Endpoint("mx"); ok {
		return e
	}
	return l.endpoints[0]
}

// MXPort returns the port lab.test's MX hosts listen on, MXEndpoint's. A
// client delivering to lab.test connects to it instead of 25.
func (l *Lab) MXPort() int { return int(l.mxAddr().Port()) }

// PolicyAddr returns the address of the HTTPS server that answers for
// PolicyHost, "127.0.0.1:1443". lab.test's DNS gives PolicyHost that
// address, not its port: a client fetching the policy from
// https://mta-sts.lab.test/ connects here instead of port 443.
func (l *Lab) PolicyAddr() string { return l.policy.addr }

// PolicyPort returns the port of PolicyAddr, for a client that finds
// PolicyHost's address through the lab's DNS and needs the port beside it.
func (l *Lab) PolicyPort() int { return int(addrPort(l.policy.addr).Port()) }

// PolicyURL returns the URL of lab.test's MTA-STS policy, as RFC 8461
// section 3.3 names it.
func PolicyURL() string { return "https://" + PolicyHost + PolicyPath }

// CAPEM returns the CA certificate, PEM-encoded.
func (l *Lab) CAPEM() []byte { return l.auth.pem() }

// CertPool returns a new pool holding the CA, for tls.Config.RootCAs.
func (l *Lab) CertPool() *x509.CertPool { return l.auth.pool() }

// Messages returns a copy of the mailbox, oldest first.
func (l *Lab) Messages() []Message { return l.box.list() }

// Close stops the listeners, cuts every connection and waits for the
// servers' goroutines to finish. Later calls return the first call's result.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		for _, ln := range l.listeners {
			errs = append(errs, ln.Close())
		}
		errs = append(errs, l.policy.close(), l.dns.shutdown())
		// Once the Serve loops have returned no handler can start, so
		// Shutdown's wait covers them all; their connections are closed.
		l.serving.Wait()
		for _, srv := range l.servers {
			if err := srv.Shutdown(context.Background()); !errors.Is(err, smtp.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// errorLog routes go-smtp's internal errors to Config.Logf instead of stderr,
// which the TUI owns.
type errorLog func(format string, args ...any)

// Printf implements smtp.Logger.
func (f errorLog) Printf(format string, v ...any) { f("lab: smtp: "+format, v...) }

// Println implements smtp.Logger.
func (f errorLog) Println(v ...any) {
	f("lab: smtp: %s", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
