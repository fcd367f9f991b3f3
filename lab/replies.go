package lab

import (
	"fmt"

	"github.com/emersion/go-smtp"
)

// The replies below are the real-world ones the lab reproduces, each in
// the words of the server it imitates.

// errMustStartTLS is Gmail's and Postfix's answer to AUTH or MAIL before
// STARTTLS (Postfix: smtpd.c, with smtpd_tls_security_level = encrypt).
func errMustStartTLS() error {
	return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message: "Must issue a STARTTLS command first."}
}

// errAuthRequired refuses MAIL before AUTH (RFC 4954 section 6).
func errAuthRequired() error {
	return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message: "Authentication required"}
}

// errBadCredentials is Gmail's answer to a wrong user or password.
func errBadCredentials() error {
	return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Username and Password not accepted"}
}

// errAuthDisabled is Postfix's answer to AUTH where SASL is off, or before
// STARTTLS with smtpd_tls_auth_only.
func errAuthDisabled() error {
	return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
		Message: "Error: authentication not enabled"}
}

// errRelayDenied is Postfix's answer to a recipient it will not relay for
// (smtpd_check.c, reject_unauth_destination).
func errRelayDenied(to string) error {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "<" + to + ">: Relay access denied"}
}

// errPostfixBadCredentials is Postfix's answer to a wrong password with
// Dovecot SASL (smtpd_sasl_glue.c; as the Postfix lab of
// scripts/postfix-lab.sh answers).
func errPostfixBadCredentials() error {
	return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Error: authentication failed: (reason unavailable)"}
}

// errClientRejected is Postfix's answer to every RCPT from a client that
// did not sign in, on a submission port with smtpd_client_restrictions =
// permit_sasl_authenticated, reject: the "reject" restriction of
// smtpd_check.c, "<%s>: %s rejected: Access denied", naming the client as
// name[address] ("unknown" when its address has no name).
func errClientRejected(client string) error {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: fmt.Sprintf("<%s>: Client host rejected: Access denied", client)}
}

// errGreylisted is postgrey's answer through Postfix to a sender and
// recipient it has not seen before (postgrey's default --greylist-text,
// "Greylisted, see http://postgrey.schweikert.ch/help/%r.html", behind
// Postfix's "<%s>: Recipient address rejected: ").
func errGreylisted(to, domain string) error {
	return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
		Message: fmt.Sprintf("<%s>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/%s.html", to, domain)}
}

// Exim's default configuration (src/src/configure.default, smtp_in.c)
// answers without enhanced status codes: it does not advertise
// ENHANCEDSTATUSCODES.

// errEximRelay is the "require message = relay not permitted" of
// configure.default's acl_check_rcpt.
func errEximRelay() error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "relay not permitted"}
}

// errEximUnknownUser is the cannot_route_message of configure.default's
// localuser router.
func errEximUnknownUser() error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "Unknown user"}
}

// errEximBadCredentials is smtp_in.c's answer to failed authentication.
func errEximBadCredentials() error {
	return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.NoEnhancedCode, Message: "Incorrect authentication data"}
}

// errEximAuthNotAdvertised is smtp_in.c's answer to AUTH where it was not
// advertised.
func errEximAuthNotAdvertised() error {
	return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.NoEnhancedCode, Message: "AUTH command used when not advertised"}
}

// errNotRelaying is the refusal of aiosmtpd's documented handler example
// (aiosmtpd docs, "handle_RCPT": return '550 not relaying to that domain').
func errNotRelaying() error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "not relaying to that domain"}
}

// syncError is what Exim answers to a client that sends a command before
// the reply to the previous one where it did not offer PIPELINING
// (smtp_in.c, smtp_enforce_sync), before it drops the connection.
const syncError = "554 SMTP synchronization error\r\n"
