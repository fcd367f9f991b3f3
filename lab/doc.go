// Package lab is ehlo's built-in sandbox: four loopback SMTP endpoints that
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
//
// The test account is User / Password. PLAIN (RFC 4616), LOGIN
// (draft-murchison-sasl-login) and CRAM-MD5 (RFC 2195) are accepted.
//
// The servers are github.com/emersion/go-smtp; the lab adds the endpoint
// policies, the greeting and the certificates. It imports no other ehlo
// package.
package lab
