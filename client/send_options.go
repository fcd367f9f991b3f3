package client

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/session"
)

// DSN is what RFC 3461 lets a sender ask of delivery status notifications:
// the parameters go on MAIL (RET, ENVID) and RCPT (NOTIFY, ORCPT), and only
// to a server that offers DSN.
type DSN struct {
	Notify string // "NEVER", or a comma list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1)
	Ret    string // "FULL" or "HDRS" (RFC 3461 4.3)
	EnvID  string // the envelope identifier (RFC 3461 4.4), printable ASCII, at most 100 characters
	ORcpt  bool   // ORCPT=rfc822;ADDRESS on each RCPT (RFC 3461 4.2)
}

// Asked reports whether any DSN parameter was asked for.
func (d DSN) Asked() bool { return d.Notify != "" || d.Ret != "" || d.EnvID != "" || d.ORcpt }

// Check normalises the keywords to upper case and rejects what RFC 3461
// does not allow.
func (d *DSN) Check() error {
	d.Notify, d.Ret = strings.ToUpper(strings.ReplaceAll(d.Notify, " ", "")), strings.ToUpper(d.Ret)
	if d.Notify != "" && d.Notify != "NEVER" {
		for _, n := range strings.Split(d.Notify, ",") {
			if !slices.Contains([]string{"SUCCESS", "FAILURE", "DELAY"}, n) {
				return fmt.Errorf("--dsn-notify %q: want NEVER, or a comma list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1)", d.Notify)
			}
		}
	}
	if d.Ret != "" && d.Ret != "FULL" && d.Ret != "HDRS" {
		return fmt.Errorf("--dsn-ret %q: want FULL or HDRS (RFC 3461 4.3)", d.Ret)
	}
	if len(d.EnvID) > 100 || strings.ContainsFunc(d.EnvID, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return errors.New("--envid: at most 100 printable ASCII characters (RFC 3461 4.4)")
	}
	return nil
}

// mailParams are the MAIL parameters of a DSN request.
func (d DSN) mailParams() []string {
	var p []string
	if d.Ret != "" {
		p = append(p, "RET="+d.Ret)
	}
	if d.EnvID != "" {
		p = append(p, "ENVID="+session.XText(d.EnvID))
	}
	return p
}

// rcptParams are the RCPT parameters of a DSN request for addr.
func (d DSN) rcptParams(addr string) []string {
	var p []string
	if d.Notify != "" {
		p = append(p, "NOTIFY="+d.Notify)
	}
	if d.ORcpt {
		p = append(p, "ORCPT=rfc822;"+session.XText(addr))
	}
	return p
}

// DropAfter names the points where Send can drop the connection without
// QUIT, as swaks's --drop-after: after the connection, the greeting, EHLO,
// STARTTLS and the EHLO after it, AUTH, MAIL, RCPT, the 354 to DATA (or,
// with BDAT, before the first chunk), and the reply to the final "." (or
// to the last chunk). It tests how a server copes with a client that
// vanishes.
var DropAfter = []string{"connect", "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "dot"}

// stepOrder is every stop point in session order, as Send names them.
var stepOrder = []string{"connect", "banner", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "dot"}

// dropStep is the stop point of --drop-after: "greeting" is the banner.
func (cfg SendConfig) dropStep() string {
	if cfg.DropAfter == "greeting" {
		return "banner"
	}
	return cfg.DropAfter
}

// checkOptions rejects message-input options that cannot run.
func (cfg SendConfig) checkOptions() error {
	switch {
	case cfg.DropAfter != "" && !slices.Contains(DropAfter, cfg.DropAfter):
		return fmt.Errorf("--drop-after %q: want one of %s", cfg.DropAfter, strings.Join(DropAfter, ", "))
	case cfg.DropAfter != "" && cfg.QuitAfter != "":
		return errors.New("--drop-after and --quit-after: give one (--quit-after ends with QUIT, --drop-after without)")
	}
	d := cfg.DSN
	return d.Check()
}

// EnvelopePreview is the envelope a send would give, for --dump: MAIL and
// each RCPT with the parameters asked for. SIZE, BODY and SMTPUTF8 depend
// on the server's EHLO, and the DSN parameters go only to a server that
// offers DSN: the lines say so.
func EnvelopePreview(cfg SendConfig) []string {
	_ = cfg.DSN.Check()
	params := cfg.DSN.mailParams()
	if cfg.RequireTLS {
		params = append(params, "REQUIRETLS")
	}
	mail, err := session.MailFrom(cfg.from(), params...)
	if err != nil {
		mail = "MAIL: " + err.Error()
	}
	lines := []string{mail + "   (and SIZE, BODY, SMTPUTF8 as the server's EHLO allows)"}
	for _, r := range cfg.Rcpts {
		line, err := session.RcptTo(r, cfg.DSN.rcptParams(r)...)
		if err != nil {
			line = "RCPT: " + err.Error()
		}
		lines = append(lines, line)
	}
	if cfg.DSN.Asked() {
		lines = append(lines, "(the DSN parameters go only to a server that offers DSN, RFC 3461)")
	}
	return lines
}
