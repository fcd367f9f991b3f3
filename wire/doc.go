// Package wire moves bytes between ehlo and an SMTP server: it dials, frames
// replies, keeps deadlines, upgrades to TLS and records every byte in a
// Transcript. It knows nothing of what reply codes mean; package session
// gives them meaning.
//
// It follows these RFCs:
//
//	RFC 5321  SMTP: reply framing (4.2), line limits (4.5.3.1.5), timeouts (4.5.3.2)
//	RFC 3207  STARTTLS: the upgrade and its barrier (4, 4.2)
//	RFC 8314  implicit TLS on the submissions port 465 (3.3)
//	RFC 8446  TLS 1.3, RFC 5246 TLS 1.2
//	RFC 5280  certificate path validation, RFC 6125 name matching
//	RFC 1928  SOCKS5, RFC 1929 its user name and password (socks.go)
//	HAProxy's PROXY protocol, versions 1 and 2 (proxyproto.go)
//
// Besides TCP it dials unix sockets ("unix:/path") and talks to a program's
// stdin and stdout (Transport.Pipe); see dialer.go.
//
// Conn reads replies with its own bounded reader: a hostile server can
// neither grow a line, a reply nor an exchange past the limits and deadlines
// set in Options.
package wire
