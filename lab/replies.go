package lab

import (
	"fmt"
	"slices"
	"strings"

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

// errByCode is the reply a recipient such as 451@lab.test asks for: the
// code, an enhanced code of its class (RFC 3463) and the meaning RFC 5321
// section 4.2.2 gives it. A 421 closes the connection (the tap).
func errByCode(code int, to, domain string) error {
	text, ok := codeTexts[code]
	if !ok {
		text = "refused, as the address asks"
	}
	enh := smtp.EnhancedCode{code / 100, 0, 0}
	switch code {
	case 421:
		enh, text = smtp.EnhancedCode{4, 3, 2}, domain+" Service not available, closing transmission channel"
	case 450, 550:
		enh = smtp.EnhancedCode{code / 100, 1, 1}
	case 451:
		enh = smtp.EnhancedCode{4, 3, 0}
	case 452, 552:
		enh = smtp.EnhancedCode{code / 100, 2, 2}
	}
	if code != 421 {
		text = "<" + to + ">: " + text
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: text}
}

// codeTexts are RFC 5321 section 4.2.2's meanings of the negative codes.
var codeTexts = map[int]string{
	450: "Requested mail action not taken: mailbox unavailable",
	451: "Requested action aborted: local error in processing, try again later",
	452: "Requested action not taken: insufficient system storage",
	550: "Requested action not taken: mailbox unavailable",
	551: "User not local",
	552: "Requested mail action aborted: exceeded storage allocation",
	553: "Requested action not taken: mailbox name not allowed",
	554: "Transaction failed",
}

// tell answers VRFY or EXPN truthfully, as servers did before address
// harvesting made them stop (RFC 5321 section 3.5; most now answer VRFY
// 252 and EXPN 502, as go-smtp does). EXPN knows one list, "staff".
func tell(verb, arg string) string {
	name := strings.Trim(arg, "<> ")
	local, _, _ := strings.Cut(name, "@")
	switch {
	case verb == "EXPN" && strings.EqualFold(local, "staff"):
		return "250-2.1.5 Alice <alice@" + Domain + ">\r\n250 2.1.5 Bob <bob@" + Domain + ">\r\n"
	case local == "":
		return "501 5.5.4 Syntax: " + verb + " address\r\n"
	case slices.ContainsFunc(mailboxNames, func(m string) bool { return strings.EqualFold(m, local) }):
		return fmt.Sprintf("250 2.1.5 <%s@%s>\r\n", strings.ToLower(local), Domain)
	}
	return fmt.Sprintf("550 5.1.1 <%s>: Recipient address rejected: User unknown\r\n", name)
}
