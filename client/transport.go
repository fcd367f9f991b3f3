package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// TransportJSON is how the bytes went, in --json: "tcp", "unix" or "pipe",
// the proxy (without its password), the PROXY header and the address it
// claimed.
type TransportJSON struct {
	Kind          string `json:"kind"`
	Remote        string `json:"remote"`
	Local         string `json:"local,omitempty"`
	Family        string `json:"family,omitempty"`
	Proxy         string `json:"proxy,omitempty"`
	ProxyProtocol string `json:"proxy_protocol,omitempty"`
	ClaimedSource string `json:"claimed_source,omitempty"`
	Protocol      string `json:"protocol"` // "smtp" or "lmtp"
}

// NewTransportJSON is r in JSON, for the protocol spoken (lmtp or not);
// nil before a connection.
func NewTransportJSON(r *wire.Route, lmtp bool) *TransportJSON {
	if r == nil {
		return nil
	}
	j := &TransportJSON{Kind: r.Kind, Remote: session.SanitizeString(r.Remote), Local: r.Local, Family: r.Family,
		Proxy: r.Proxy, ProxyProtocol: r.Header, ClaimedSource: r.Claimed, Protocol: "smtp"}
	if lmtp {
		j.Protocol = "lmtp"
	}
	return j
}

// ProxyHeaderError reports a server that closed the connection, reset it
// or answered out of step right after a PROXY protocol header: it does not
// expect one, or refused what it claimed.
type ProxyHeaderError struct {
	Version, Claimed string
	Err              error
}

func (e *ProxyHeaderError) Error() string {
	return fmt.Sprintf("the server did not accept the PROXY %s header claiming %s: %v", e.Version, e.Claimed, e.Err)
}

func (e *ProxyHeaderError) Unwrap() error { return e.Err }

// headerRefused turns a greeting's failure after a PROXY header into a
// *ProxyHeaderError.
func (c *Client) headerRefused(err error) error {
	r := c.conn.Route()
	var limit *wire.LimitError
	if r.Kind == "pipe" && errors.As(err, &limit) {
		return &FloodError{Command: r.Remote, Err: err}
	}
	if err == nil || r.Header == "" {
		return err
	}
	var (
		closed *wire.ClosedError
		desync *wire.DesyncError
	)
	if errors.As(err, &closed) || errors.As(err, &desync) || errors.Is(err, syscall.ECONNRESET) {
		return &ProxyHeaderError{Version: r.Header, Claimed: r.Claimed, Err: err}
	}
	return err
}

// FloodError reports a --pipe program whose first output passed the reply
// limits: most likely no SMTP server on its stdin and stdout.
type FloodError struct {
	Command string
	Err     error // the *wire.LimitError
}

func (e *FloodError) Error() string {
	return fmt.Sprintf("the program %q wrote more than a reply may hold: %v", e.Command, e.Err)
}

func (e *FloodError) Unwrap() error { return e.Err }

// explainTransport says in words what went wrong on the way to the
// server: a proxy, a unix socket, a piped program, a PROXY header, the
// family asked for; "" for other errors.
func explainTransport(err error) string {
	var (
		socks   *wire.SOCKSError
		notSock *wire.NotSocketError
		pipe    *wire.PipeExitError
		header  *ProxyHeaderError
		flood   *FloodError
		dial    *wire.DialError
	)
	switch {
	case errors.As(err, &flood):
		return "greeting: the program " + session.SanitizeString(fmt.Sprintf("%q", flood.Command)) + " flooded its output (" +
			personal(flood.Err.Error()) + "); ehlo stopped reading and ended it. Is it an SMTP server on its stdin and stdout, such as sendmail -bs or exim -bh ADDR?"
	case errors.As(err, &header):
		return fmt.Sprintf("greeting: the server closed the connection or answered out of step right after the PROXY %s header claiming %s: "+
			"it does not expect a PROXY header on this port (drop --proxy-protocol), or it refused the address claimed", header.Version, header.Claimed)
	case errors.As(err, &socks):
		return "connect: the proxy " + socks.Proxy + ": " + socks.Msg
	case errors.As(err, &notSock):
		return "connect: " + session.SanitizeString(notSock.Error()[len("wire: "):]) + ": give the path of the server's socket"
	case errors.As(err, &pipe):
		var step *StepError
		if errors.As(err, &step) {
			return step.Step + ": " + pipeWords(pipe)
		}
		return pipeWords(pipe)
	case errors.As(err, &dial) && errors.Is(err, wire.ErrFamily):
		return "connect: " + personal(dial.Err.Error()) + " (drop -4/-6)"
	case errors.As(err, &dial) && errors.Is(err, os.ErrNotExist):
		if path, ok := wire.UnixPath(dial.Target); ok {
			return "connect: no unix socket at " + session.SanitizeString(path) + " (nothing there: is the server running, and is the path right?)"
		}
		return "connect: " + personal(err.Error())
	case errors.As(err, &dial) && errors.Is(err, syscall.EADDRNOTAVAIL):
		return "connect: the --local-address is not an address of this machine (or not of the target's family)"
	}
	return ""
}

// pipeWords says how a --pipe program ended, its stderr sanitized.
func pipeWords(e *wire.PipeExitError) string {
	s := fmt.Sprintf("the program %s ended its output before the session did (%s)", session.SanitizeString(fmt.Sprintf("%q", e.Command)), e.State)
	if len(e.Stderr) > 0 {
		s += "; it wrote on stderr: " + session.Sanitize(e.Stderr)
		if e.More > 0 {
			s += fmt.Sprintf(" (and %d bytes more)", e.More)
		}
	}
	return s
}

// routeOf is the route of a connected client, nil before one.
func routeOf(c *Client) *wire.Route {
	if c == nil {
		return nil
	}
	r := c.conn.Route()
	return &r
}

// headerGrace is how long, after the greeting that follows a PROXY header,
// ehlo waits for the answer of a server that took the header for a command.
const headerGrace = 300 * time.Millisecond

// afterHeader checks, after a PROXY header and the greeting, that the
// server said nothing more within headerGrace: a server that expects no
// header greets, then answers it as a command (Postfix: "502 5.5.2 Error:
// command not recognized") or closes. Without a header it does nothing.
func (c *Client) afterHeader(ctx context.Context) error {
	if c.conn.Route().Header == "" {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, headerGrace)
	defer cancel()
	switch err := c.conn.WaitRead(wctx); {
	case err == nil:
		return c.conn.CheckIdle(ctx)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil
	default:
		return err
	}
}

// GreetOrTLSHeader is GreetOrTLS with a failure after a PROXY header told
// as one (doctor reads the greeting this way).
func (c *Client) greetOrTLSHeader(ctx context.Context, keep bool, tell func(string)) GreetResult {
	g := c.GreetOrTLS(ctx, keep, tell)
	if g.Err == nil && g.TLS == nil {
		g.Err = c.afterHeader(ctx)
	}
	g.Err = c.headerRefused(g.Err)
	return g
}

// routeWords is the address a report shows: addr over plain TCP, the route
// in words otherwise ("unix /run/lmtp", "tcp 127.0.0.1:25 via socks5://…"),
// and "LMTP" after it when spoken.
func routeWords(r *wire.Route, addr string, lmtp bool) string {
	s := addr
	if r != nil && (r.Kind != "tcp" || r.Proxy != "" || r.Header != "" || r.Family != "") {
		s = session.SanitizeString(r.String())
	}
	if lmtp && s != "" {
		s += ", LMTP"
	}
	return s
}

// deliveries reads LMTP's replies after the message, one per recipient
// accepted, in RCPT order (RFC 2033 4.2); first is the one read. The send
// fails unless every recipient's reply says delivered.
func (s *sender) deliveries(ctx context.Context, first session.Reply) error {
	var rcpts []string
	for _, o := range s.res.Rcpts {
		if o.Accepted() {
			rcpts = append(rcpts, o.Address)
		}
	}
	r := first
	for i, rcpt := range rcpts {
		if i > 0 {
			var err error
			if r, err = s.c.readFinal(ctx, "the message, for <"+rcpt+">"); err != nil {
				return stepErr(StepDataEnd, err)
			}
		}
		s.res.Deliveries = append(s.res.Deliveries, session.Delivery{Rcpt: rcpt, Reply: r})
	}
	if err := s.c.conn.CheckIdle(ctx); err != nil {
		return stepErr(StepDataEnd, err) // more replies than recipients: out of step
	}
	for _, d := range s.res.Deliveries {
		if !d.Delivered() {
			return stepErr(StepDataEnd, &RefusedError{Command: "delivery to <" + d.Rcpt + ">", Reply: d.Reply})
		}
	}
	for _, o := range s.res.Rcpts { // delivered to the others, not to this one
		if !o.Accepted() {
			return stepErr(StepRcpt, &RefusedError{Command: "recipient <" + o.Address + ">", Reply: o.Reply})
		}
	}
	return nil
}

// DeliveryJSON is one recipient's reply after an LMTP message.
type DeliveryJSON struct {
	Address   string `json:"address"`
	Delivered bool   `json:"delivered"`
	ReplyJSON
}

// deliveries prints LMTP's reply for each recipient after the message.
func (p *printer) deliveries(ds []session.Delivery) {
	for _, d := range ds {
		verdict := "delivered"
		if !d.Delivered() {
			verdict = "NOT DELIVERED"
		}
		p.linef("  %-9s <%s>  %s", verdict, clean(d.Rcpt), clean(oneLine(d.Reply)))
	}
}

// xclient sends Postfix's XCLIENT with cfg.XClient when given: the server
// must offer it, with each attribute; its 220 starts a new session, so
// EHLO (or LHLO) goes again (XCLIENT_README).
func (s *sender) xclient(ctx context.Context) error {
	if len(s.cfg.XClient) == 0 {
		return nil
	}
	line, err := session.XClient(s.cfg.XClient)
	if err != nil {
		return stepErr(StepXClient, err)
	}
	offered, ok := session.XClientOffered(s.caps)
	if !ok {
		return stepErr(StepXClient, policyError("the server does not offer XCLIENT to this client (Postfix offers it only to smtpd_authorized_xclient_hosts): nothing was sent"))
	}
	for _, w := range strings.Fields(line)[1:] {
		name, _, _ := strings.Cut(w, "=")
		if !slices.Contains(offered, name) {
			return stepErr(StepXClient, policyError("the server's XCLIENT takes %s, not %s: nothing was sent", strings.Join(offered, " "), name))
		}
	}
	r, err := s.c.Do(ctx, line)
	if err != nil {
		return stepErr(StepXClient, err)
	}
	s.res.XClient = s.outcome(line, line, r)
	if r.Code != 220 {
		return stepErr(StepXClient, &RefusedError{Command: "XCLIENT", Reply: r})
	}
	return s.hello(ctx)
}
