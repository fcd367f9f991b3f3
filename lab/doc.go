// Package lab is ehlo's built-in sandbox: loopback SMTP endpoints that
// reproduce the cases people meet in the field, an in-memory mailbox and a
// throwaway certificate authority, all created by Start and gone after Close.
//
//   - mx: an inbound MX. STARTTLS (RFC 3207), never AUTH, relay denied for
//     recipients outside lab.test.
//   - submission: like Gmail's port 587. STARTTLS, AUTH (RFC 4954) advertised
//     only after TLS, MAIL refused until AUTH.
//   - smtps: implicit TLS (RFC 8314), AUTH offered at once.
//   - legacy: no TLS at all, AUTH PLAIN LOGIN in the clear; why the same
//     client code "works" against one server and not another.
//   - postfix: like Postfix's submission port. STARTTLS before MAIL, AUTH
//     after TLS, and every RCPT refused until AUTH with Postfix's
//     "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied".
//   - exim: like Exim's default configuration without TLS: no
//     ENHANCEDSTATUSCODES, AUTH PLAIN LOGIN in the clear, "550 relay not
//     permitted", "550 Unknown user" (only alice, bob and postmaster exist),
//     "535 Incorrect authentication data".
//   - greylist: an MX that greylists (RFC 6647): the first RCPT of a sender
//     and recipient gets "450 4.7.1 ... Greylisted", a retry GreylistDelay
//     later passes.
//   - nopipe: like aiosmtpd: no PIPELINING (RFC 2920), no CHUNKING, no
//     TLS, no AUTH, no enhanced codes, "550 not relaying to that domain"
//     outside lab.test; a client that sends a command before the reply to
//     the previous one gets Exim's "554 SMTP synchronization error" and the
//     connection closes.
//
// Scenarios (scenario.go) are more endpoints, run on request: an EHLO-refusing
// server, a strict bare-LF one, a tarpit that refuses early talkers, a
// rate limit, VRFY and EXPN that tell, STARTTLS with an expired, wrong-name
// or self-signed certificate, and client testers (a stripped STARTTLS, a
// greylist) whose verdict goes to the log. On every endpoint a recipient's
// local part can choose the reply: 451@, 550@ (any code from 400 to 599),
// greylist@, slow@.
//
// Below go-smtp, each connection has a tap (tap.go) that runs STARTTLS
// itself, so it sees the session in plaintext: it writes the server-side
// transcript, one per connection (Config.OpenLog), credentials redacted.
//
// The test account is User / Password. PLAIN (RFC 4616), LOGIN
// (draft-murchison-sasl-login) and CRAM-MD5 (RFC 2195) are accepted.
//
// Beside the endpoints, the lab runs an authoritative DNS server for
// lab.test and ForgedDomain (zone.go: MX hosts MXHosts on the mx endpoint,
// TLSA 3 1 1 of its certificate, MTA-STS, TLS-RPT, SPF and DMARC records,
// and a few broken names for lessons), unsigned and never setting the AD
// bit, and an HTTPS server with lab.test's MTA-STS policy (RFC 8461) for
// PolicyHost. DNS names no ports: a client finds the MX hosts on MXPort
// and the policy on PolicyPort.
//
// The servers are github.com/emersion/go-smtp, github.com/miekg/dns and
// net/http; the lab adds the endpoint policies, the greeting, the zones and
// the certificates. It imports no other ehlo package.
package lab
