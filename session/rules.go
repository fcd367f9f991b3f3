package session

import (
	"slices"
	"strconv"
)

// This file holds ehlo's advice: one Rule per thing worth telling a user
// about a session, with a stable ID, a severity, a title, why it happens and
// the fix. Doctor's findings (Diagnose), reply explanations (Explain), the
// TUI's pre-send warnings (State.Check, through Warning.Rule) and guided
// cards all take their words from here, so they agree. What the codes and
// extensions mean stays in knowledge.go; this file says what to do.

// Severity ranks a finding and says who must act: the server's
// administrator (or whoever typed the wrong password) for an error or a
// warning, the client for advice, nobody for information. Correct server
// behaviour is never a warning.
type Severity int

// The severities, most serious first.
const (
	SeverityError   Severity = iota // something fails, or is unsafe
	SeverityWarning                 // works, but a risk or a fault on the server's side
	SeverityAdvice                  // the server is right; clients must do it a certain way
	SeverityInfo                    // worth knowing
)

// String returns "error", "warning", "advice" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityAdvice:
		return "advice"
	case SeverityInfo:
		return "info"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// Rule is one piece of advice. Its ID is stable and documented: scripts
// read it from `ehlo doctor --json`, and the TUI keys cards on it.
type Rule struct {
	ID       string   // stable identifier, e.g. "auth-after-starttls"
	Severity Severity // the usual severity of a finding; Diagnose may lower or raise it with the facts
	Title    string   // one line: what is the matter
	Why      string   // what usually causes it, in plain words
	Fix      string   // what to do; may hold several lines
	RFC      string   // where the behaviour is defined, e.g. "RFC 3207 4.2"
	// Failure marks a rule whose findings report a step of the session
	// that failed (connect, greeting, TLS, AUTH, MAIL, RCPT, DATA), as
	// opposed to how the server is set up, advice and facts. Diagnose puts
	// a failure that is an error or a warning before everything else.
	Failure bool
}

// knownRules is in priority order: the order in which a session meets the
// problems, so that sorting findings by severity and then by this order
// puts the root cause of what fails first. Never written after
// initialisation.
var knownRules = []Rule{
	// ---- direct delivery (doctor --mx): the route and what the domain publishes, before any session ----
	{
		ID: "null-mx", Severity: SeverityError, Failure: true,
		Title: "The domain accepts no mail: it publishes a null MX (MX 0 .)",
		Why:   "A single MX record \"0 .\" says the domain never receives mail; senders bounce at once, without connecting anywhere.",
		Fix:   "Check the address's domain. If the domain should receive mail, replace the null MX with MX records naming its mail servers.",
		RFC:   "RFC 7505 3",
	},
	{
		ID: "no-route", Severity: SeverityError, Failure: true,
		Title: "Mail to the domain has no route: the domain does not exist, or its MX lookup fails",
		Why:   "The MX question got NXDOMAIN (the domain does not exist), a DNSSEC validation failure (bogus), or no answer at all (SERVFAIL, timeouts): a sender bounces the first and retries the others later.",
		Fix:   "Check the domain's spelling; for a DNS failure, check its name servers and DNSSEC signatures (dig +dnssec MX DOMAIN) and the resolver asked (--resolver).",
		RFC:   "RFC 5321 5.1, RFC 4035 5.5",
	},
	{
		ID: "mx-unresolvable", Severity: SeverityError, Failure: true,
		Title: "No MX host of the domain resolves to an address",
		Why:   "Every host the MX records name has no A or AAAA record (a typo, a removed server, a record pointing at a CNAME that leads nowhere), or its lookup fails: a sender has nowhere to connect.",
		Fix:   "Give each MX host an A (and AAAA) record, or correct the MX records to name hosts that have them.",
		RFC:   "RFC 5321 5.1",
	},
	{
		ID: "mx-unreachable", Severity: SeverityError, Failure: true,
		Title: "No MX host answered on port 25 from here",
		Why:   "Every address of every MX host refused the connection, was unreachable or gave no greeting: the servers are down, or a firewall refuses port 25. (When every one times out instead, while DNS answers and other ports connect, the finding is port25-blocked.)",
		Fix:   "Check that the MX hosts run and accept connections on port 25 from the Internet; test from another network to tell their side from this one.",
		RFC:   "RFC 5321 5.1",
	},
	{
		ID: "dane-mismatch", Severity: SeverityError, Failure: true,
		Title: "DANE: no TLSA record matches an MX's certificate; senders that enforce DANE do not deliver to it",
		Why:   "The MX's TLSA records are DNSSEC-authentic, so a DANE sender (Postfix with smtp_tls_security_level=dane, Exim, Microsoft 365, Google) checks the certificate against them; none matched (a certificate or key replaced without updating TLSA, a stale rollover). IANA result type tlsa-invalid.",
		Fix:   "Publish a TLSA record for the current key (3 1 1 is the usual) before the certificate changes, keep the old one until the change is done; or remove the TLSA records.",
		RFC:   "RFC 7672 2.2, 3.1, RFC 7671 8.1",
	},
	{
		ID: "dane-no-starttls", Severity: SeverityError, Failure: true,
		Title: "DANE: an MX with TLSA records does not offer STARTTLS; senders that enforce DANE do not deliver to it",
		Why:   "Authentic TLSA records make TLS mandatory for the MX (RFC 7672 2.2); a server that does not offer STARTTLS, or whose handshake fails, gets no mail from DANE senders. IANA result type starttls-not-supported.",
		Fix:   "Enable STARTTLS on the MX (Postfix: smtpd_tls_security_level=may with a certificate), or remove its TLSA records.",
		RFC:   "RFC 7672 2.2",
	},
	{
		ID: "dnssec-bogus", Severity: SeverityError, Failure: true,
		Title: "DNSSEC validation fails for an MX's TLSA records; DANE senders defer mail to it",
		Why:   "The TLSA answer is bogus: signatures expired or wrong, a DS that does not match the zone's key. A DANE sender neither trusts nor ignores it: it defers delivery. IANA result type dnssec-invalid.",
		Fix:   "Re-sign the zone (or fix its DS at the parent); check with dig +dnssec TLSA _25._tcp.MXHOST or a DNSSEC analyzer.",
		RFC:   "RFC 7672 2.1.1, RFC 4035 5.5",
	},
	{
		ID: "sts-mx-not-listed", Severity: SeverityError, Failure: true,
		Title: "MTA-STS: the policy's mx patterns do not list an MX host",
		Why:   "An MTA-STS policy in enforce mode names the MX hosts a sender may use; a sender that enforces it (Gmail, Microsoft 365) skips an MX it does not list, and defers the mail when none is left. In testing mode it is only reported. IANA result type validation-failure.",
		Fix:   "Add the MX host (or a *.domain pattern that covers it) to the policy's mx lines, then change the id in the _mta-sts TXT record so senders fetch it again.",
		RFC:   "RFC 8461 4.1, 5",
	},
	{
		ID: "sts-mx-invalid", Severity: SeverityError, Failure: true,
		Title: "MTA-STS: an MX fails the policy: no STARTTLS, or a certificate not valid for the MX name",
		Why:   "Under an MTA-STS policy a listed MX must offer STARTTLS and present a certificate that verifies under WebPKI for the MX host name. In enforce mode a sender does not deliver to one that fails; in testing mode it reports it.",
		Fix:   "Enable STARTTLS, and give the MX a certificate from a public CA whose names include the MX host name (not only the domain).",
		RFC:   "RFC 8461 4.2, 5",
	},
	{
		ID: "sts-policy-error", Severity: SeverityWarning,
		Title: "MTA-STS: the domain publishes an _mta-sts record but its policy cannot be fetched or read",
		Why:   "The policy is fetched over HTTPS from mta-sts.DOMAIN/.well-known/mta-sts.txt, with a certificate valid for that name, no redirect, content-type text/plain, at most 64 KiB. A sender that cannot fetch it applies no policy (or a cached one).",
		Fix:   "Serve the policy file at that URL with a valid certificate, or remove the _mta-sts record.",
		RFC:   "RFC 8461 3.3, 3.2",
	},
	{
		ID: "mx-host-unresolvable", Severity: SeverityWarning,
		Title: "An MX host does not resolve to an address",
		Why:   "One of the MX records names a host without an A or AAAA record; senders skip it and use the others, after a wasted lookup.",
		Fix:   "Remove the MX record, or give the host an address.",
		RFC:   "RFC 5321 5.1",
	},
	{
		ID: "mx-route", Severity: SeverityInfo,
		Title: "How mail reaches the domain",
		Why:   "The MX hosts by preference (or the implicit MX: the domain's own address), each one tried as a sender tries them, and what DANE and MTA-STS require of each.",
		RFC:   "RFC 5321 5.1",
	},
	{
		ID: "connect-failed", Severity: SeverityError, Failure: true,
		Title: "Could not connect",
		Why:   "Nothing accepted the TCP connection: a wrong host or port, a firewall, or an ISP that blocks outgoing port 25.",
		Fix:   "Check the host name and port. Many networks block port 25 to the outside; submission uses 587 (STARTTLS) or 465 (implicit TLS).",
		RFC:   "RFC 6409 3.1, RFC 8314 3.3",
	},
	{
		ID: "port-expects-implicit-tls", Severity: SeverityError, Failure: true,
		Title: "This port expects implicit TLS: it stays silent in plaintext",
		Why:   "On an implicit-TLS port such as 465 the server waits for the client's TLS ClientHello and sends its greeting only inside TLS. A plaintext client waits for a greeting that never comes, then times out.",
		Fix: "Speak TLS from the first byte on this port: ehlo --tls; Python smtplib.SMTP_SSL(host, port); nodemailer secure: true; " +
			"PHPMailer SMTPSecure = 'ssl' (ENCRYPTION_SMTPS); msmtp tls on, tls_starttls off; Go tls.Dial then smtp.NewClient.\n" +
			"Or use the STARTTLS port (usually 587) with STARTTLS.",
		RFC: "RFC 8314 3.3",
	},
	{
		ID: "port-expects-plaintext", Severity: SeverityError, Failure: true,
		Title: "This port speaks plaintext first: it answered the TLS ClientHello in plaintext",
		Why:   "The client started TLS at once (implicit TLS), but this port begins in plaintext, as 25 and 587 do, and upgrades with STARTTLS. OpenSSL reports it as \"wrong version number\".",
		Fix: "Connect in plaintext and send STARTTLS after EHLO: drop --tls; Python smtplib.SMTP(host, port) then starttls(); " +
			"nodemailer secure: false with requireTLS: true; PHPMailer SMTPSecure = 'tls' (ENCRYPTION_STARTTLS); msmtp tls_starttls on.\n" +
			"Or use the implicit-TLS port (usually 465).",
		RFC: "RFC 3207, RFC 8314 3.3",
	},
	{
		ID: "no-greeting", Severity: SeverityError, Failure: true,
		Title: "The server sent no greeting",
		Why:   "Connected, but the 220 greeting never came: an overloaded or tarpitting server, a firewall that accepts and then drops, or a port that is not SMTP.",
		Fix:   "Try again with a longer --timeout; check that this port is SMTP; try implicit TLS (--tls) if it is a submissions port.",
		RFC:   "RFC 5321 3.1, 4.5.3.2.1",
	},
	{
		ID: "greeting-refused", Severity: SeverityError, Failure: true,
		Title: "The server refused the session in its greeting",
		Why:   "A 554 greeting means the server will not talk to this client at all, most often because its IP address is on a blocklist or not allowed; 421 means it is busy or limiting connections.",
		Fix:   "Read the text of the greeting: it often names the blocklist. Send from an address the server accepts (your provider's submission server), or retry later after a 421.",
		RFC:   "RFC 5321 3.1, 4.2.2",
	},
	{
		ID: "server-closing", Severity: SeverityError, Failure: true,
		Title: "The server closed the session (421)",
		Why:   "421 means the server is shutting this connection down: too many connections or errors from this address, overload, or a timeout on its side.",
		Fix:   "Reconnect later, with fewer connections at once; if it keeps happening, ask the server's administrator.",
		RFC:   "RFC 5321 3.8, 4.2.2",
	},
	{
		ID: "ehlo-refused", Severity: SeverityWarning,
		Title: "The server refused EHLO and accepted only HELO",
		Why:   "A server that knows only HELO speaks SMTP without extensions: no STARTTLS, no AUTH, no SIZE, no 8BITMIME.",
		Fix:   "Mail to it travels in clear and cannot be authenticated. Use another server for submission.",
		RFC:   "RFC 5321 3.2",
	},
	{
		ID: "lhlo-refused", Severity: SeverityError, Failure: true,
		Title: "The server refused LHLO: it does not speak LMTP here",
		Why:   "LHLO is LMTP's hello (RFC 2033 4.1); an SMTP server refuses it (go-smtp: \"500 This is not a LMTP server\", Postfix: \"502 5.5.2 Error: command not recognized\"). LMTP has no HELO to fall back to.",
		Fix:   "Check the address: an LMTP server listens where the MTA delivers to it (Dovecot: port 24 or a unix socket such as /var/run/dovecot/lmtp). For an SMTP server, connect again without --protocol lmtp.",
		RFC:   "RFC 2033 4.1",
	},
	{
		ID: "starttls-injection", Severity: SeverityError, Failure: true,
		Title: "Possible STARTTLS response injection: bytes arrived after 220 and before TLS",
		Why:   "Something sent data after the server's 220 to STARTTLS and before the TLS handshake. A man in the middle can plant replies this way that a client would read as coming from inside TLS (CVE-2011-0411).",
		Fix:   "Do not use this path for credentials. Check for a middlebox between you and the server; the server itself may be broken. ehlo aborted the session without parsing those bytes.",
		RFC:   "RFC 3207 4.2, 5",
	},
	{
		ID: "starttls-refused", Severity: SeverityError, Failure: true,
		Title: "STARTTLS was advertised but refused",
		Why:   "The server lists STARTTLS but did not answer it with 220: a 454 means TLS is unavailable for now (often a missing or unreadable certificate on the server).",
		Fix:   "The session stays in plaintext: send no credentials over it. Retry later, or use implicit TLS on port 465; the server's administrator should check its TLS setup.",
		RFC:   "RFC 3207 4",
	},
	{
		ID: "tls-failed", Severity: SeverityError, Failure: true,
		Title: "The TLS handshake failed",
		Why:   "Client and server could not agree on TLS: no common protocol version or cipher (ehlo requires TLS 1.2 or later unless --tls-min allows 1.0 or 1.1), or the server broke off the handshake.",
		Fix:   "Check the server's TLS configuration, e.g. with openssl s_client -starttls smtp -connect HOST:PORT.",
		RFC:   "RFC 8446, RFC 3207",
	},
	{
		ID: "tls-unknown-authority", Severity: SeverityError, Failure: true,
		Title: "The certificate is signed by an unknown authority",
		Why:   "The chain does not lead to a CA this client trusts: a self-signed certificate, a private CA, or a server that does not send its intermediate certificate.",
		Fix: "If this is your server, install a certificate from a public CA (e.g. Let's Encrypt) with its full chain. " +
			"To trust a private CA, pass it with --ca FILE; to look anyway, --insecure, and check the fingerprint against one you got another way.",
		RFC: "RFC 5280 6, RFC 7817",
	},
	{
		ID: "tls-name-mismatch", Severity: SeverityError, Failure: true,
		Title: "The certificate is for another name",
		Why:   "The certificate does not cover the host name the client connected to: the server is reached under an alias, or serves the certificate of another site.",
		Fix:   "Connect with a name the certificate covers, or give the server a certificate that covers the name clients use (--servername tests a name without changing the address).",
		RFC:   "RFC 6125 6, RFC 7817 3",
	},
	{
		ID: "tls-expired", Severity: SeverityError, Failure: true,
		Title: "The certificate has expired",
		Why:   "Its validity period is over: the renewal did not happen, or the server still serves the old certificate after renewal.",
		Fix:   "Renew the certificate and reload the mail server (a renewed file is not read until the server reloads).",
		RFC:   "RFC 5280 4.1.2.5",
	},
	{
		ID: "tls-not-yet-valid", Severity: SeverityError, Failure: true,
		Title: "The certificate is not valid yet",
		Why:   "Its validity period has not started: a clock that is wrong, on this machine or on the one that issued the certificate.",
		Fix:   "Check this machine's clock (and the server's); otherwise wait until the certificate's start date.",
		RFC:   "RFC 5280 4.1.2.5",
	},
	{
		ID: "not-tested", Severity: SeverityAdvice,
		Title: "Not tested: the certificate did not verify",
		Why:   "Over TLS whose certificate did not verify, ehlo sends nothing more than QUIT unless told to: the other end may not be the server, and whatever it is would see the credentials, the addresses and the message.",
		Fix: "Fix the certificate (the finding above says what is wrong), or trust its CA with --ca FILE. To test the rest over this connection anyway, " +
			"run again with --insecure, after checking the certificate's SHA-256 fingerprint against one you got another way; the session is then shown as TLS UNVERIFIED.",
		RFC: "RFC 3207 5, RFC 7817",
	},
	{
		ID: "auth-plaintext", Severity: SeverityError,
		Title: "AUTH is offered in plaintext and STARTTLS is not: credentials would travel in clear",
		Why:   "The server lets clients sign in on an unencrypted connection and offers no way to encrypt it. PLAIN and LOGIN are only base64; anyone on the path can read the password. If the server should offer STARTTLS, something on the path (a firewall's SMTP inspection) may be stripping it.",
		Fix:   "Use implicit TLS (port 465) if the server has it; otherwise configure TLS on the server. Compare from another network to rule out STARTTLS stripping.",
		RFC:   "RFC 3207, RFC 8314, RFC 4954 4",
	},
	{
		ID: "auth-after-starttls", Severity: SeverityAdvice,
		Title: "AUTH is offered only after STARTTLS: logging in before STARTTLS fails with \"SMTP AUTH extension not supported by server\"",
		Why:   "Like Gmail's 587 and Postfix with smtpd_tls_auth_only, this server advertises AUTH only inside TLS. A client that logs in on the first, plaintext EHLO finds no AUTH: Python's smtplib raises SMTPNotSupportedError(\"SMTP AUTH extension not supported by server.\").",
		Fix: "Upgrade before logging in: EHLO, STARTTLS, EHLO again, then AUTH (RFC 3207 4.2: what was learnt before TLS is void).\n" +
			"Python smtplib: s = smtplib.SMTP(host, 587); s.ehlo(); s.starttls(context=ssl.create_default_context()); s.ehlo(); s.login(user, password)\n" +
			"Other clients: nodemailer secure: false, requireTLS: true; PHPMailer SMTPSecure = 'tls' (ENCRYPTION_STARTTLS) with Port = 587; " +
			"msmtp tls on, tls_starttls on; Go net/smtp: c.StartTLS(cfg) before c.Auth(a) (smtp.SendMail does both).",
		RFC: "RFC 3207 4.2, RFC 4954",
	},
	{
		ID: "auth-missing", Severity: SeverityAdvice, Failure: true,
		Title: "No AUTH, even inside TLS: this is not a submission server",
		Why:   "The server offers no login at all, as an inbound MX (port 25) or a relay that trusts clients by IP address does. Clients that need to log in fail (smtplib: \"SMTP AUTH extension not supported by server\"), and mail for other domains is refused as relaying.",
		Fix:   "To send as a user, use your provider's submission server (port 587 with STARTTLS, or 465) and its credentials. To deliver to this server's own domains, send without logging in.",
		RFC:   "RFC 6409, RFC 4954",
	},
	{
		ID: "auth-mechanism-not-offered", Severity: SeverityError, Failure: true,
		Title: "The SASL mechanism asked for is not offered",
		Why:   "The server lists the mechanisms it accepts in the EHLO reply's AUTH line; a client set to another one (\"PLAIN works in my app, not here\") cannot sign in, and ehlo does not send credentials with a mechanism the server did not offer.",
		Fix:   "Sign in with one of the mechanisms offered (doctor --auth MECH), and configure the client the same way: nodemailer's authMethod, PHPMailer's AuthType, msmtp's auth.",
		RFC:   "RFC 4954 3",
	},
	{
		ID: "auth-offered-in-clear", Severity: SeverityWarning,
		Title: "AUTH is offered before STARTTLS",
		Why:   "The server accepts credentials on the plaintext connection. A client that skips STARTTLS, or a man in the middle that strips it, sends the password in clear.",
		Fix:   "Clients: always STARTTLS before AUTH. Servers: offer AUTH only after TLS (Postfix smtpd_tls_auth_only = yes).",
		RFC:   "RFC 3207 4.2, RFC 4954 4",
	},
	{
		ID: "auth-not-tried", Severity: SeverityAdvice,
		Title: "Credentials were not sent",
		Why:   "ehlo does not send a password where it could leak: over an unverified TLS link, in clear to a host that is not loopback, or when no advertised mechanism is one it implements.",
		Fix:   "Fix the reason given; pass --insecure to send the credentials anyway.",
		RFC:   "RFC 4954 4",
	},
	{
		ID: "starttls-required", Severity: SeverityError, Failure: true,
		Title: "The server wants STARTTLS first (530 5.7.0)",
		Why:   "\"530 5.7.0 Must issue a STARTTLS command first\": the client sent AUTH or MAIL on a plaintext connection to a server that requires TLS. Some libraries whose \"starttls\" option really means implicit TLS cause it too.",
		Fix:   "Send STARTTLS after EHLO, then EHLO again, then AUTH and MAIL. In Python: ehlo(); starttls(); ehlo(); login().",
		RFC:   "RFC 3207 4",
	},
	{
		ID: "auth-bad-credentials", Severity: SeverityError, Failure: true,
		Title: "The server refused the user name or password (535)",
		Why:   "535 5.7.8 means the credentials were not accepted. Beyond a typo, providers with two-step verification (Gmail, Outlook.com, iCloud, Yahoo) refuse the normal password for SMTP and want an app password or OAuth.",
		Fix:   "Check the user name (often the full address) and the password. With two-step verification, create an app password for mail and use it instead.",
		RFC:   "RFC 4954 6",
	},
	{
		ID: "auth-app-password", Severity: SeverityError, Failure: true,
		Title: "The account needs an application-specific password (534 5.7.9)",
		Why:   "The account has two-step verification, and the provider refuses the normal password over SMTP.",
		Fix:   "Create an app password (Google: myaccount.google.com/apppasswords) and sign in with it, or use OAuth (XOAUTH2).",
		RFC:   "RFC 4954 6",
	},
	{
		ID: "auth-temporary", Severity: SeverityError, Failure: true,
		Title: "The server could not check the credentials right now (454)",
		Why:   "454 4.7.0 is a temporary failure on the server's side, such as an unreachable password database, or a temporary block after too many attempts.",
		Fix:   "Wait a few minutes and try again; if it persists, the server's administrator should look at its authentication backend.",
		RFC:   "RFC 4954 6",
	},
	{
		ID: "auth-disabled", Severity: SeverityError, Failure: true,
		Title: "SMTP sign-in is disabled for this account",
		Why:   "The password may be right, but the provider does not allow this account to authenticate over SMTP.",
		Fix:   "Enable SMTP AUTH for the mailbox or the organisation in the provider's admin settings, or send through the provider's API.",
		RFC:   "RFC 4954 6",
	},
	{
		ID: "auth-failed", Severity: SeverityError, Failure: true,
		Title: "AUTH failed",
		Why:   "The server ended the AUTH exchange with a refusal that is neither bad credentials nor a temporary failure, e.g. a mechanism it does not accept for this account.",
		Fix:   "Read the reply's text (and its enhanced code, when it has one); try another mechanism the server advertises (doctor --auth MECH).",
		RFC:   "RFC 4954 6",
	},
	{
		ID: "auth-required", Severity: SeverityError, Failure: true,
		Title: "The server wants the client to sign in before sending",
		Why: "MAIL or RCPT came before a successful AUTH on a server that takes mail only from clients that sign in. " +
			"A submission port refuses every recipient then, its own domains' too (Postfix: \"Client host rejected: Access denied\"), " +
			"and no server relays for a client that has not signed in.",
		Fix: "Sign in with AUTH before MAIL: in the explorer, :auth MECH USER; with doctor or send, --user and the password from --password-stdin or EHLO_PASSWORD.",
		RFC: "RFC 4954 6, RFC 6409 4.3",
	},
	{
		ID: "bad-sequence", Severity: SeverityError, Failure: true,
		Title: "Command out of sequence (503; 502 from some servers)",
		Why:   "The command is valid but not now: RCPT before MAIL, DATA before an accepted RCPT, AUTH when already signed in or during a transaction, MAIL before EHLO.",
		Fix:   "Follow the order EHLO, [STARTTLS, EHLO], [AUTH], MAIL FROM, RCPT TO, DATA; RSET to start a transaction over.",
		RFC:   "RFC 5321 4.1.4",
	},
	{
		ID: "size-exceeded", Severity: SeverityError, Failure: true,
		Title: "The message is too big for this server (552)",
		Why:   "The message, or the size declared with MAIL FROM SIZE=, is over the server's limit (the SIZE in its EHLO reply), or the mailbox is over its quota.",
		Fix:   "Send it smaller: share a link instead of a large attachment, or split it. Base64 makes attachments about a third larger.",
		RFC:   "RFC 1870 6, RFC 5321 4.2.2",
	},
	// ---- identity (package identity): who the server thinks the client is ----
	{
		ID: "port25-blocked", Severity: SeverityError, Failure: true,
		Title: "Outbound port 25 is probably blocked by this network",
		Why: "Every MX host timed out on port 25 while DNS answered and other ports connect: cloud providers (AWS, Google Cloud, Azure) " +
			"and most ISPs drop outgoing port 25 to stop spam from their customers' machines.",
		Fix: "Send through a submission server with AUTH (your provider's, port 587 or 465) instead of delivering directly; " +
			"some clouds lift the block on request.",
		RFC: "RFC 6409, RFC 5068 3",
	},
	{
		ID: "dnsbl-listed", Severity: SeverityError, Failure: true,
		Title: "The client's address is on a DNS blocklist",
		Why:   "Receivers ask blocklists about the connecting address and refuse or mark mail from listed ones. End-user and cloud address ranges are listed as a rule (Spamhaus PBL).",
		Fix:   "Send through your provider's submission server (587 or 465, with AUTH), whose address is not listed; to delist an address you own, follow the list's lookup page.",
		RFC:   "RFC 5782",
	},
	{
		ID: "spf-fail", Severity: SeverityError, Failure: true,
		Title: "SPF fails: the sender's domain does not allow this address to send its mail",
		Why:   "The SPF record of the MAIL FROM domain ends with -all and lists no mechanism that matches the client's address, so receivers refuse the mail (Postfix policyd-spf, Gmail 5.7.26, Outlook 5.7.23) or count it as forged.",
		Fix:   "Send from an address whose domain lists this server, or add this address to the domain's SPF record.",
		RFC:   "RFC 7208 2.6.4, 8.4",
	},
	{
		ID: "spf-permerror", Severity: SeverityError,
		Title: "SPF record is broken (permerror)",
		Why:   "The SPF record cannot be evaluated: a syntax error, two SPF records, more than 10 DNS lookups or 2 void lookups, or an include of a domain without SPF. Receivers treat it as a failure or as no SPF at all.",
		Fix:   "Fix the record; the trace shows the term where evaluation stopped.",
		RFC:   "RFC 7208 2.6.7, 4.6.4",
	},
	{
		ID: "spf-temperror", Severity: SeverityWarning,
		Title: "SPF could not be checked (temperror)",
		Why:   "A DNS lookup the evaluation needed timed out or failed (SERVFAIL). Receivers defer the mail with a 4xx and try again later.",
		Fix:   "Check the domain's DNS servers (and the resolver asked: --resolver); the trace shows the lookup that failed.",
		RFC:   "RFC 7208 2.6.6",
	},
	{
		ID: "dmarc-reject", Severity: SeverityError, Failure: true,
		Title: "DMARC says reject: this mail would be refused unless DKIM passes",
		Why:   "The From: domain publishes a DMARC policy of p=reject, and SPF does not pass for a domain aligned with it. Only a DKIM signature of that domain could save it (ehlo does not sign with DKIM).",
		Fix:   "Make SPF pass for the MAIL FROM domain and keep it aligned with the From: domain (same organizational domain), or sign with DKIM for that domain at the sending server.",
		RFC:   "RFC 7489 6.6, 3.1",
	},
	{
		ID: "dmarc-quarantine", Severity: SeverityWarning,
		Title: "DMARC says quarantine: this mail would go to spam unless DKIM passes",
		Why:   "The From: domain publishes p=quarantine, and SPF does not pass for an aligned domain: receivers put such mail in the spam folder.",
		Fix:   "Make SPF pass for an aligned MAIL FROM domain, or sign with DKIM for the From: domain at the sending server.",
		RFC:   "RFC 7489 6.6, 3.1",
	},
	{
		ID: "spf-softfail", Severity: SeverityWarning,
		Title: "SPF softfails: the domain says this address probably should not send its mail",
		Why:   "The record ends with ~all and no mechanism matches the client's address. Receivers usually accept the mail but mark it, and DMARC counts it as not authenticated.",
		Fix:   "Add this address to the domain's SPF record, or send through a server it lists.",
		RFC:   "RFC 7208 2.6.5, 8.5",
	},
	{
		ID: "spf-none", Severity: SeverityWarning,
		Title: "The sender's domain publishes no SPF record",
		Why:   "Without SPF a receiver cannot tell this address from a forger; Gmail and Outlook require SPF or DKIM from every sender and refuse unauthenticated mail.",
		Fix:   "Publish a TXT record \"v=spf1 ... ~all\" listing the servers that send the domain's mail.",
		RFC:   "RFC 7208 2.6.1",
	},
	{
		ID: "ptr-missing", Severity: SeverityError, Failure: true,
		Title: "The client's address has no reverse DNS (PTR)",
		Why:   "Many receivers refuse mail from an address without a PTR record (Gmail 550 5.7.25, Postfix reject_unknown_client_hostname), or score it as spam: home and cloud addresses often have none.",
		Fix:   "Set a PTR record for the address at whoever owns it (the hosting or cloud provider's console), naming a host whose A record points back to it; or send through your provider's submission server.",
		RFC:   "RFC 1912 2.1, RFC 8601 2.7.3 (iprev)",
	},
	{
		ID: "ptr-mismatch", Severity: SeverityWarning,
		Title: "The client's reverse DNS is not forward-confirmed",
		Why:   "The PTR name of the address does not resolve back to it (FCrDNS fails): receivers that check \"iprev\" treat it as no reverse DNS at all.",
		Fix:   "Make the PTR name's A (or AAAA) record point to this address, or change the PTR to a name that does.",
		RFC:   "RFC 8601 2.7.3 (iprev)",
	},
	{
		ID: "helo-mismatch", Severity: SeverityAdvice,
		Title: "The EHLO name does not match the client's address",
		Why:   "The name given in EHLO is neither a confirmed PTR name of the client's address nor resolves to it. Postfix can refuse it (reject_unknown_helo_hostname) and spam filters score it.",
		Fix:   "Say EHLO with the client's own host name, the one its PTR record names (--helo NAME).",
		RFC:   "RFC 5321 4.1.4, RFC 7208 2.3",
	},
	{
		ID: "identity", Severity: SeverityInfo,
		Title: "Who the server thinks the client is",
		Why:   "What a receiving server learns about the client from DNS before DATA: its address, SPF for the MAIL FROM domain, the DMARC policy of the From: domain, reverse DNS, blocklists.",
		RFC:   "RFC 7208, RFC 7489, RFC 5782",
	},
	{
		ID: "mail-refused", Severity: SeverityError, Failure: true,
		Title: "The server refused the sender (MAIL FROM)",
		Why:   "The sender address was refused: you may not send as it (not your account's address), its domain does not resolve, or policy (SPF, a blocklist).",
		Fix:   "Send from the address of the account you signed in with; the reply's text says what it objects to.",
		RFC:   "RFC 5321 4.1.1.2",
	},
	{
		ID: "relay-denied", Severity: SeverityError, Failure: true,
		Title: "Relay access denied: the server will not pass this mail on",
		Why:   "The recipient is not in one of the server's own domains, and the server does not trust this client to forward mail: it has not signed in, or its account or address may not relay. Forwarding for anyone would make it an open relay.",
		Fix:   "To send to anyone, submit through your provider's submission server (587 or 465) and sign in with AUTH; if you are signed in, check that the account may send from this MAIL FROM address. Without signing in, send only to this server's own domains.",
		RFC:   "RFC 5321 3.6.2, 7.1",
	},
	{
		ID: "unknown-user", Severity: SeverityError, Failure: true,
		Title: "The recipient does not exist here (550 5.1.1)",
		Why:   "The server knows the domain but not the mailbox: a typo, or an address that was removed.",
		Fix:   "Check the spelling of the address before the @.",
		RFC:   "RFC 3463 3.2 (X.1.1)",
	},
	{
		ID: "greylisted", Severity: SeverityWarning, Failure: true,
		Title: "Greylisted: the server asks to retry later",
		Why:   "Greylisting refuses mail from a sender it has not seen before with a temporary error, expecting a real mail server to come back in a few minutes; spam software often does not.",
		Fix:   "Retry in a few minutes. A real mail server's queue retries by itself; the first message is merely delayed.",
		RFC:   "RFC 6647",
	},
	{
		ID: "rcpt-refused", Severity: SeverityError, Failure: true,
		Title: "The server refused the recipient",
		Why:   "RCPT TO was refused, and neither the reply's code nor its text is one ehlo knows as relaying or an unknown user: a policy, a full mailbox, too many recipients.",
		Fix:   "Read the reply's text: it says why (an enhanced code such as 5.2.2, when the server sends one, names the kind of refusal).",
		RFC:   "RFC 5321 4.1.1.3",
	},
	{
		ID: "data-refused", Severity: SeverityError, Failure: true,
		Title: "The server refused the message",
		Why:   "After DATA, a BDAT chunk or the final \".\", the server refused the content: a spam or virus verdict, a policy such as DMARC, or a malformed message.",
		Fix:   "Read the reply's text: it names the reason (an enhanced code 5.7.x, when the server sends one, names the policy).",
		RFC:   "RFC 5321 4.1.1.4",
	},
	{
		ID: "timeout", Severity: SeverityError, Failure: true,
		Title: "The server stopped answering",
		Why:   "A reply did not come within the deadline: a very slow or overloaded server, a tarpit, or a middlebox that dropped the connection silently.",
		Fix:   "Retry with a longer --timeout; if it keeps happening at the same step, that step is where the server or the path stalls.",
		RFC:   "RFC 5321 4.5.3.2",
	},
	{
		ID: "connection-closed", Severity: SeverityError, Failure: true,
		Title: "The server closed the connection",
		Why:   "The server hung up without a reply: it may drop clients it dislikes (rate limits, blocklists), or it crashed.",
		Fix:   "Retry later; if it happens at once, your address may be blocked.",
		RFC:   "RFC 5321 3.8",
	},
	{
		ID: "mixed-codes", Severity: SeverityError, Failure: true,
		Title: "A reply carries different codes on its lines: it answers nothing",
		Why: "Every line of a multi-line reply must carry the same code. A reply that begins with 250 and ends with 554 says yes and no at once: " +
			"a client that reads its first line reports a success the server may not have meant, one that reads its last line a refusal. " +
			"A broken server, or a proxy or filter that splices two replies into one.",
		Fix: "Take the outcome of that command as unknown (a message may or may not have been taken) and report it to the server's administrator with this evidence; " +
			"ehlo stopped the session there.",
		RFC: "RFC 5321 4.2.1",
	},
	{
		ID: "desync", Severity: SeverityError, Failure: true,
		Title: "The server is out of step: it sent a reply nothing asked for",
		Why: "Bytes arrived while no command was waiting for its reply: right after the greeting, or more replies than commands. " +
			"From there every reply is read as the answer to the wrong command: a fake reply to EHLO can hide the real STARTTLS offer, " +
			"and a client then sends its password in clear. A broken server, a proxy, or something on the path injecting replies. " +
			"A 421 sent unasked is a server closing the session (RFC 5321 3.8).",
		Fix: "ehlo stopped the session and sent nothing more, credentials least of all. Look for a middlebox between you and the server " +
			"(try from another network), and report it to the server's administrator with this evidence.",
		RFC: "RFC 5321 4.2, 3.8",
	},
	{
		ID: "protocol-error", Severity: SeverityError, Failure: true,
		Title: "The server broke SMTP's reply format",
		Why:   "A reply line did not start with a three-digit code, or a reply exceeded sane limits: a broken server, or a port that is not SMTP.",
		Fix:   "Check that this port is SMTP; the transcript shows the exact bytes.",
		RFC:   "RFC 5321 4.2",
	},
	{
		ID: "session-error", Severity: SeverityError, Failure: true,
		Title: "The session failed",
		Why:   "Something went wrong that ehlo has no more specific advice for.",
		Fix:   "The evidence and the transcript show where it stopped.",
		RFC:   "RFC 5321",
	},
	{
		ID: "tarpit", Severity: SeverityWarning,
		Title: "The server answers commands slowly (tarpit)",
		Why:   "Some servers delay each reply on purpose to slow down spammers, or are overloaded. Clients with short timeouts give up halfway.",
		Fix:   "Give clients generous timeouts (RFC 5321 allows 5 minutes for MAIL and RCPT); if this is your server, check its load and delay settings.",
		RFC:   "RFC 5321 4.5.3.2",
	},
	{
		ID: "slow-greeting", Severity: SeverityWarning,
		Title: "The greeting was slow",
		Why:   "Some servers wait before greeting on purpose (Postfix postscreen, greet_pause) to catch spam software that talks first; others are overloaded or do slow DNS lookups on the client's address.",
		Fix:   "Do not talk before the greeting; give clients a greeting timeout of at least 30 seconds (RFC 5321 allows 5 minutes). If this is your server, check its reverse-DNS lookups and load.",
		RFC:   "RFC 5321 4.5.3.2.1",
	},
	{
		ID: "tls-expiring-soon", Severity: SeverityWarning,
		Title: "The certificate expires soon",
		Why:   "When it expires, clients that verify certificates will refuse the connection.",
		Fix:   "Renew it and reload the mail server; check that automatic renewal works.",
		RFC:   "RFC 5280 4.1.2.5",
	},
	{
		ID: "tls-weak-version", Severity: SeverityWarning,
		Title: "The server speaks only an old TLS, deprecated",
		Why:   "TLS 1.0 and 1.1 are deprecated (RFC 8996): they lack modern ciphers, and clients that require TLS 1.2, as most current mail software and ehlo without --tls-min do, cannot connect at all.",
		Fix:   "Enable TLS 1.2 and 1.3 on the server, e.g. Postfix smtpd_tls_protocols = >=TLSv1.2 with a current OpenSSL; Exchange: enable TLS 1.2 in SChannel.",
		RFC:   "RFC 8996",
	},
	{
		ID: "tls-ocsp-revoked", Severity: SeverityError,
		Title: "The stapled OCSP response says the certificate is revoked",
		Why: "The server staples (RFC 6066) its certificate authority's signed answer to \"is this certificate still good?\", and the answer is no: " +
			"the authority revoked it (a leaked key, a mis-issued certificate). Clients that read stapled responses refuse the connection.",
		Fix: "Install a new certificate (and a new key if the old one leaked), reload the server, and check that it staples a fresh response.",
		RFC: "RFC 6960 2.2, RFC 6066 8",
	},
	{
		ID: "tls-ocsp-invalid", Severity: SeverityWarning,
		Title: "The stapled OCSP response does not hold",
		Why: "The server staples an OCSP response (RFC 6066) that is stale (past its nextUpdate), dated in the future, not signed by the certificate's issuer, " +
			"about another certificate, or unreadable. A client that checks stapled responses, or any client for a certificate with Must-Staple (RFC 7633), refuses the connection.",
		Fix: "Have the server fetch a fresh response before the old one's nextUpdate (the job that writes the response file it staples, " +
			"for example openssl ocsp ... -respout for a file given to the TLS library), for this certificate, from its issuer's responder; or stop stapling.",
		RFC: "RFC 6960 4.2.2.1, RFC 6066 8",
	},
	{
		ID: "tls-no-forward-secrecy", Severity: SeverityWarning,
		Title: "No forward secrecy: the session used the RSA key exchange",
		Why: "With the RSA key exchange the client sends the session's secret encrypted with the certificate's key, so whoever records the session " +
			"and later gets that key decrypts it. ECDHE suites and TLS 1.3 make a fresh key for each session and do not allow that.",
		Fix: "Offer ECDHE suites before the RSA key exchange, or drop it, and enable TLS 1.3 (Postfix: tls_preempt_cipherlist = yes, " +
			"smtpd_tls_exclude_ciphers = kRSA); if you gave --ciphers with only TLS_RSA_ suites, the server had no other choice.",
		RFC: "RFC 9325 4.2, RFC 8446 1.2",
	},
	{
		ID: "no-starttls", Severity: SeverityWarning,
		Title: "No STARTTLS: mail to this port travels in clear",
		Why:   "The server does not offer to encrypt the connection, so everything sent, message included, can be read on the path. Something on the path may also be stripping STARTTLS.",
		Fix:   "If this is your server, configure a certificate and enable STARTTLS; otherwise use a port with implicit TLS (465).",
		RFC:   "RFC 3207",
	},
	{
		ID: "tls-ok", Severity: SeverityInfo,
		Title: "TLS is in place and the certificate verified",
		RFC:   "RFC 3207, RFC 8314",
	},
	{
		ID: "tls-not-resumed", Severity: SeverityInfo,
		Title: "TLS sessions are not resumed",
		Why: "A second connection offered the first session's ticket and the server made a full handshake, or issued no ticket to offer. " +
			"Each connection then pays a full handshake; nothing fails. Clients that deliver often to this server (other MTAs) gain from resumption.",
		Fix: "If this is your server, enable session tickets or a session cache (Postfix: smtpd_tls_session_cache_database, " +
			"tls_session_ticket_cipher; Exim: tls_resumption_hosts).",
		RFC: "RFC 8446 2.2, RFC 5077",
	},
	{
		ID: "tls-resumed", Severity: SeverityInfo,
		Title: "TLS session resumption works",
		Why:   "A second connection offered the first session's ticket and the server resumed the session: no certificate sent again, a shorter handshake.",
		RFC:   "RFC 8446 2.2, RFC 5077",
	},
	{
		ID: "auth-ok", Severity: SeverityInfo,
		Title: "Signed in (235)",
		Why:   "The server accepted the credentials.",
		RFC:   "RFC 4954 6",
	},
	{
		ID: "auth-offered", Severity: SeverityInfo,
		Title: "AUTH is offered",
		Why:   "The server lets clients sign in with the listed SASL mechanisms.",
		Fix:   "Run ehlo doctor with --user (and --password-stdin or EHLO_PASSWORD) to test signing in.",
		RFC:   "RFC 4954",
	},
	{
		ID: "mail-accepted", Severity: SeverityInfo,
		Title: "The sender was accepted (MAIL FROM)",
		RFC:   "RFC 5321 4.1.1.2",
	},
	{
		ID: "rcpt-accepted", Severity: SeverityInfo,
		Title: "The recipient was accepted (RCPT TO)",
		RFC:   "RFC 5321 4.1.1.3",
	},
	{
		ID: "message-accepted", Severity: SeverityInfo,
		Title: "The message was accepted",
		Why:   "The server took responsibility for delivering it.",
		RFC:   "RFC 5321 4.1.1.4",
	},
	{
		ID: "extensions", Severity: SeverityInfo,
		Title: "Extensions the server offers",
		Why: "The EHLO reply lists the SMTP extensions the server supports, such as SIZE (the largest message, RFC 1870), " +
			"PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES (RFC 2034) and CHUNKING (RFC 3030).",
		RFC: "RFC 5321 4.1.1.1",
	},
}

// LookupRule returns the rule with the given ID.
func LookupRule(id string) (Rule, bool) {
	i := slices.IndexFunc(knownRules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return knownRules[i], true
}

// Rules returns every rule in priority order (see Diagnose). The slice is
// the caller's to change. The IDs, in that order (TestRuleIDsDocumented
// keeps this list true):
//
//	null-mx, no-route, mx-unresolvable, mx-unreachable, dane-mismatch, dane-no-starttls, dnssec-bogus,
//	sts-mx-not-listed, sts-mx-invalid, sts-policy-error, mx-host-unresolvable, mx-route,
//	connect-failed, port-expects-implicit-tls, port-expects-plaintext, no-greeting,
//	greeting-refused, server-closing, ehlo-refused, lhlo-refused, starttls-injection, starttls-refused,
//	tls-failed, tls-unknown-authority, tls-name-mismatch, tls-expired, tls-not-yet-valid,
//	not-tested, auth-plaintext, auth-after-starttls, auth-missing, auth-mechanism-not-offered,
//	auth-offered-in-clear, auth-not-tried, starttls-required, auth-bad-credentials, auth-app-password,
//	auth-temporary, auth-disabled, auth-failed, auth-required, bad-sequence, size-exceeded,
//	port25-blocked, dnsbl-listed, spf-fail, spf-permerror, spf-temperror, dmarc-reject, dmarc-quarantine,
//	spf-softfail, spf-none, ptr-missing, ptr-mismatch, helo-mismatch, identity,
//	mail-refused, relay-denied,
//	unknown-user, greylisted, rcpt-refused, data-refused, timeout, connection-closed,
//	mixed-codes, desync, protocol-error, session-error, tarpit, slow-greeting, tls-expiring-soon, tls-weak-version,
//	tls-ocsp-revoked, tls-ocsp-invalid, tls-no-forward-secrecy, no-starttls, tls-ok, tls-not-resumed, tls-resumed,
//	auth-ok, auth-offered, mail-accepted, rcpt-accepted, message-accepted, extensions.
//
// Each rule's Severity is the finding's, except that Diagnose makes
// auth-missing an error when credentials were given, and ehlo-refused an
// error when HELO was refused too.
func Rules() []Rule { return slices.Clone(knownRules) }

// rulePriority is the index of id in knownRules, len(knownRules) if absent.
func rulePriority(id string) int {
	i := slices.IndexFunc(knownRules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return len(knownRules)
	}
	return i
}

// mustRule returns the rule with the given ID; the IDs used in this package
// are checked by TestRuleIDsExist.
func mustRule(id string) Rule {
	r, ok := LookupRule(id)
	if !ok {
		panic("session: no rule " + strconv.Quote(id))
	}
	return r
}

// knownChecks ties State.Check's warning codes to the rules about the same
// problem, and holds the text Check shows for those whose text is fixed.
var knownChecks = []struct{ code, rule, text string }{
	{"auth-before-starttls-needed", "auth-after-starttls", "credentials would travel in clear, and this server advertises AUTH only after STARTTLS"},
	{"auth-plaintext", "auth-plaintext", "credentials would travel in clear: the connection is not encrypted"},
	{"auth-cram-plaintext", "auth-plaintext", "the connection is not encrypted: an eavesdropper could guess the password offline from CRAM-MD5"},
	{"auth-not-advertised", "auth-missing", ""},
	{"starttls-not-offered", "no-starttls", ""},
	{"size-exceeds", "size-exceeded", ""},
	{"already-authenticated", "bad-sequence", ""},
	{"auth-in-transaction", "bad-sequence", ""},
	{"mail-before-ehlo", "bad-sequence", ""},
	{"mail-in-transaction", "bad-sequence", ""},
	{"rcpt-before-mail", "bad-sequence", ""},
	{"data-before-rcpt", "bad-sequence", ""},
}

// Rule returns the rule that explains the warning, so that a pre-send
// warning can show the same fix as doctor's finding: "auth-before-starttls-needed"
// gives "auth-after-starttls". ok is false for warnings no rule covers.
func (w Warning) Rule() (Rule, bool) {
	for _, c := range knownChecks {
		if c.code == w.Code {
			return LookupRule(c.rule)
		}
	}
	return Rule{}, false
}

// warning returns the Warning with code and its text from knownChecks.
func warning(code string) Warning {
	for _, c := range knownChecks {
		if c.code == code {
			return Warning{Code: code, Text: c.text}
		}
	}
	panic("session: no check " + strconv.Quote(code))
}
