package wire

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// ChainCheck is a check of the server's certificate chain besides WebPKI's,
// such as DANE (RFC 7672), run during the handshake. A chain it accepts
// completes the handshake even when WebPKI does not trust it: the result
// lands in TLSInfo.Check, apart from TLSInfo.Verified, so a DANE-verified
// session is shown as such.
type ChainCheck struct {
	Name string // what the check is, as shown: "DANE"
	// Check judges the chain, leaf first, as the server sent it.
	Check func(chain []*x509.Certificate) (ok bool, detail string)
	// Required stops the handshake when Check fails, whatever WebPKI says.
	Required bool
}

// CheckResult is what a ChainCheck said.
type CheckResult struct {
	Name   string
	OK     bool
	Detail string // in words, from the check
}

// String is the result as the transcript notes it: "DANE: matched by record 1".
func (r CheckResult) String() string { return r.Name + ": " + r.Detail }

// CheckError is a handshake stopped by a required ChainCheck.
type CheckError struct{ Result CheckResult }

func (e *CheckError) Error() string {
	return fmt.Sprintf("%s check failed: %s", e.Result.Name, e.Result.Detail)
}

// judgeChain runs Options.Check over the chain and decides, with the
// WebPKI result verr, whether the handshake goes on.
func (c *Conn) judgeChain(cs tls.ConnectionState, verr error) error {
	if chk := c.opts.Check; chk != nil && chk.Check != nil {
		ok, detail := chk.Check(cs.PeerCertificates)
		c.checked = &CheckResult{Name: chk.Name, OK: ok, Detail: detail}
		switch {
		case !ok && chk.Required:
			return &VerifyError{Err: &CheckError{Result: *c.checked}, Info: c.describe(cs, verr)}
		case ok:
			return nil // the check vouches for the chain: WebPKI's failure is recorded, not fatal
		}
	}
	if verr != nil && !c.opts.Insecure {
		return &VerifyError{Err: verr, Info: c.describe(cs, verr)}
	}
	return nil
}
