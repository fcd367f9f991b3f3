// Package domain decides how mail reaches a domain and how well its
// transport is protected, from DNS answers and TLS facts: MX routing
// (RFC 5321 section 5.1, null MX RFC 7505, DANE's view of CNAMEs RFC 7672
// section 2.2), DANE for SMTP (RFC 6698, 7671, 7672), MTA-STS (RFC 8461)
// and TLS-RPT (RFC 8460), with verdicts named as the IANA "STARTTLS
// Validation Result Types" registry names them (session.TLSResults).
//
// It asks DNS questions through a dns.Resolver and fetches the MTA-STS
// policy over HTTPS, but never speaks SMTP: the probe of each MX address is
// client's, which hands the facts back (Conn) for Evaluate to judge. Names
// are kept in their A-label form (what is sent) with the U-label form
// beside them (what is shown). Every text it returns (names, records,
// policies, reasons) may hold bytes from DNS, HTTPS or a server as they
// came: the display sanitizes it once (session.Sanitize), as it does
// server lines.
package domain
