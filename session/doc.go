// Package session gives SMTP meaning to the lines that package wire frames:
// replies and enhanced status codes, EHLO capabilities, the knowledge table
// of extensions and codes, command building, AUTH mechanisms, the session
// state machine and the sanitizer that stands between server bytes and any
// display. It is pure: it opens no socket and imports neither net nor
// crypto/tls.
//
// RFCs: 5321 (SMTP), 3207 (STARTTLS), 4954 (AUTH), 4616 (PLAIN),
// 2034 and 3463 (enhanced status codes), 1870 (SIZE), 2920 (PIPELINING),
// 3030 (CHUNKING, BINARYMIME), 6531 (SMTPUTF8), 6152 (8BITMIME).
package session
