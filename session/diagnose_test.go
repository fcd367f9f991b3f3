package session

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

// xch builds an exchange; reply lines are separated by "\n".
func xch(t *testing.T, command string, inTLS bool, reply string) Exchange {
	t.Helper()
	return Exchange{Command: command, TLS: inTLS, Reply: mustReply(t, reply)}
}

var (
	testNow   = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	validCert = Cert{Subject: "CN=smtp.example.com", Issuer: "CN=Example CA", Names: []string{"smtp.example.com"},
		NotBefore: testNow.AddDate(0, -1, 0), NotAfter: testNow.AddDate(0, 2, 0), SHA256: "ab12cd"}
)

// builder assembles Facts step by step, the way doctor does.
type builder struct {
	t *testing.T
	f Facts
}

func scenario(t *testing.T, target string) *builder {
	b := &builder{t: t, f: Facts{Target: target, Now: testNow}}
	b.f.Add(xch(t, "", false, "220 smtp.example.com ESMTP"))
	return b
}

func (b *builder) ehlo(inTLS bool, reply string) *builder {
	b.f.Add(xch(b.t, "EHLO ehlo.localhost", inTLS, reply))
	return b
}

func (b *builder) starttls(cert Cert) *builder {
	b.f.Add(xch(b.t, "STARTTLS", false, "220 2.0.0 Ready to start TLS"))
	b.f.TLS = &TLSFacts{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: "smtp.example.com", Verified: true, Chain: []Cert{cert}}
	return b
}

func (b *builder) auth(reply string) *builder {
	b.f.Add(xch(b.t, `AUTH PLAIN <redacted user="alice">`, true, reply))
	b.f.Auth.User = "alice"
	return b
}

func (b *builder) add(command string, inTLS bool, reply string) *builder {
	b.f.Add(xch(b.t, command, inTLS, reply))
	return b
}

func (b *builder) with(change func(*Facts)) *builder {
	change(&b.f)
	return b
}

const (
	plainNoAuth = "250-smtp.example.com\n250-PIPELINING\n250-SIZE 10240000\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250 8BITMIME"
	tlsAuth     = "250-smtp.example.com\n250-PIPELINING\n250-SIZE 10240000\n250-AUTH PLAIN LOGIN\n250-ENHANCEDSTATUSCODES\n250 8BITMIME"
	tlsNoAuth   = "250-mx.example.com\n250-PIPELINING\n250-SIZE 10240000\n250 8BITMIME"
	legacyEHLO  = "250-old.example.com\n250-AUTH PLAIN LOGIN\n250 SIZE 1000000"
)

// submission is a healthy 587: AUTH appears after STARTTLS.
func submission(t *testing.T) *builder {
	return scenario(t, "smtp.example.com:587").ehlo(false, plainNoAuth).starttls(validCert).ehlo(true, tlsAuth)
}

func mx(t *testing.T) *builder {
	return scenario(t, "mx.example.com:25").ehlo(false, plainNoAuth).starttls(validCert).ehlo(true, tlsNoAuth)
}

func withProblem(p Problem) func(*Facts) {
	return func(f *Facts) { f.Problems = append(f.Problems, p) }
}

func withCert(verified bool, problem CertProblem, cert Cert) func(*Facts) {
	return func(f *Facts) {
		f.TLS.Verified, f.TLS.Problem, f.TLS.Chain = verified, problem, []Cert{cert}
	}
}

func TestDiagnoseScenarios(t *testing.T) {
	selfSigned := validCert
	selfSigned.Issuer, selfSigned.SelfSigned = selfSigned.Subject, true
	expired := validCert
	expired.NotBefore, expired.NotAfter = testNow.AddDate(-1, 0, 0), testNow.AddDate(0, 0, -3)
	future := validCert
	future.NotBefore = testNow.AddDate(0, 0, 2)
	soon := validCert
	soon.NotAfter = testNow.AddDate(0, 0, 5)
	other := validCert
	other.Names = []string{"mail.other.example", "other.example"}

	tests := []struct {
		name     string
		facts    Facts
		first    string   // the first finding's ID
		want     []string // IDs that must be there
		severity string   // of the finding named first; "" not checked
		title    string   // a fragment of the first finding's title
		evidence string   // a fragment of one of the first finding's evidence lines
		fix      string   // a fragment of the first finding's fix
	}{
		{name: "submission without credentials: the smtplib story",
			facts: submission(t).f, first: "auth-after-starttls", severity: "advice",
			want:     []string{"tls-ok", "extensions"},
			title:    "SMTP AUTH extension not supported by server",
			evidence: "S~ 250-AUTH PLAIN LOGIN", fix: "s.ehlo(); s.starttls("},
		{name: "gmail fixtures",
			facts: scenario(t, "smtp.gmail.com:587").add("EHLO [127.0.1.1]", false, fixtureText(t, "gmail-ehlo-plain")).starttls(validCert).
				add("EHLO [127.0.1.1]", true, fixtureText(t, "gmail-ehlo-tls")).f,
			first: "auth-after-starttls", severity: "advice",
			want: []string{"extensions"}, evidence: "S: 250 SMTPUTF8"},
		{name: "signed in", facts: submission(t).auth("235 2.7.0 Authentication successful").f,
			first: "auth-after-starttls", want: []string{"auth-ok"}},
		{name: "bad credentials at Gmail", facts: submission(t).auth(fixtureText(t, "gmail-535")).f,
			first: "auth-bad-credentials", severity: "error", want: []string{"auth-after-starttls"},
			evidence: `C~ AUTH PLAIN <redacted user="alice">`, fix: "app password"},
		{name: "app password", facts: submission(t).auth(fixtureText(t, "gmail-534")).f,
			first: "auth-app-password", severity: "error", fix: "apppasswords"},
		{name: "temporary auth failure", facts: submission(t).auth("454 4.7.0 Temporary authentication failure").f,
			first: "auth-temporary", severity: "error"},
		{name: "SMTP AUTH disabled (Microsoft 365)", facts: submission(t).auth("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.").f,
			first: "auth-disabled", fix: "Authenticated SMTP"},
		{name: "other AUTH refusal", facts: submission(t).auth("504 5.5.4 Unrecognized authentication type").f,
			first: "auth-failed"},
		{name: "credentials held back", facts: submission(t).with(func(f *Facts) {
			f.Auth = &AuthFacts{User: "alice", Skipped: "the certificate did not verify"}
		}).f, first: "auth-after-starttls", want: []string{"auth-not-tried"}},
		{name: "the mechanism asked for is not offered", facts: submission(t).with(func(f *Facts) {
			f.Auth = &AuthFacts{User: "alice", Wanted: "CRAM-MD5", Skipped: "AUTH CRAM-MD5 is not offered (the server offers PLAIN LOGIN)"}
		}).f, first: "auth-mechanism-not-offered", severity: "error", title: "AUTH CRAM-MD5 is not offered: the server offers PLAIN LOGIN",
			evidence: "S~ 250-AUTH PLAIN LOGIN", fix: "--auth MECH"},
		{name: "mx without credentials", facts: mx(t).f, first: "auth-missing", severity: "advice",
			evidence: "* no AUTH in the list"},
		{name: "mx with credentials", facts: mx(t).with(func(f *Facts) { f.Auth = &AuthFacts{User: "alice"} }).f,
			first: "auth-missing", severity: "error"},
		{name: "mx relay denied", facts: mx(t).add("MAIL FROM:<a@x.example>", true, "250 2.1.0 Ok").
			add("RCPT TO:<b@example.org>", true, fixtureText(t, "relay-denied")).add("RSET", true, "250 2.0.0 Ok").f,
			first: "relay-denied", severity: "error", want: []string{"auth-missing", "mail-accepted"},
			title: "<b@example.org>", evidence: "Relay access denied", fix: "submission"},
		{name: "legacy: AUTH in clear", facts: scenario(t, "old.example.com:25").ehlo(false, legacyEHLO).f,
			first: "auth-plaintext", severity: "error", want: []string{"no-starttls"}, evidence: "S: 250-AUTH PLAIN LOGIN", title: "would travel in clear"},
		{name: "legacy: signed in, in clear", facts: scenario(t, "old.example.com:25").ehlo(false, legacyEHLO).
			add(`AUTH PLAIN <redacted user="alice">`, false, "235 2.7.0 Authentication successful").f,
			first: "auth-plaintext", title: "the credentials travelled in clear"},
		{name: "legacy: AUTH LOGIN refused before any challenge", facts: scenario(t, "old.example.com:25").ehlo(false, legacyEHLO).
			add("AUTH LOGIN", false, "504 5.5.4 Unrecognized authentication type").f,
			first: "auth-failed", want: []string{"auth-plaintext"}},
		{name: "legacy: wrong password in clear", facts: scenario(t, "old.example.com:25").ehlo(false, legacyEHLO).
			add(`AUTH PLAIN <redacted user="alice">`, false, "535 5.7.8 Authentication credentials invalid").f,
			first: "auth-bad-credentials", want: []string{"auth-plaintext"}},
		{name: "legacy: unknown user, no credentials", facts: scenario(t, "old.example.com:25").ehlo(false, legacyEHLO).
			add("MAIL FROM:<a@x>", false, "250 ok").add("RCPT TO:<nobody@old.example.com>", false, "550 5.1.1 <nobody@old.example.com>: Recipient address rejected: User unknown in local recipient table").f,
			first: "unknown-user", want: []string{"auth-plaintext"}},
		{name: "AUTH before STARTTLS too", facts: scenario(t, "qq.example:25").ehlo(false, fixtureText(t, "qq-ehlo")).f,
			first: "auth-offered-in-clear", severity: "warning"},
		{name: "no STARTTLS, no AUTH", facts: scenario(t, "mx.example.com:25").ehlo(false, tlsNoAuth).f,
			first: "no-starttls", want: []string{"auth-missing"}},
		{name: "implicit TLS with AUTH", facts: scenario(t, "smtp.example.com:465").with(func(f *Facts) {
			f.ImplicitTLS, f.Greeting.TLS = true, true
			f.TLS = &TLSFacts{Version: "TLS 1.3", ServerName: "smtp.example.com", Verified: true, Chain: []Cert{validCert}}
		}).ehlo(true, tlsAuth).f, first: "tls-ok", want: []string{"auth-offered"}},
		{name: "465 spoken in plaintext, retried with TLS",
			facts: scenario(t, "smtp.example.com:465").with(func(f *Facts) {
				f.ImplicitTLS, f.Greeting.TLS = true, true
				f.Retry = &Retry{ImplicitTLS: true, Worked: true}
			}).with(withProblem(Problem{Kind: ProblemNoGreeting, Step: "greeting", After: 5 * time.Second})).ehlo(true, tlsAuth).f,
			first: "port-expects-implicit-tls", severity: "error",
			title:    "Port 465 expects implicit TLS: no greeting in plaintext within 5.0s; with TLS it greeted",
			evidence: "S~ 220 smtp.example.com ESMTP", fix: "SMTP_SSL"},
		{name: "no greeting in plaintext, not retried",
			facts: Facts{Target: "[2001:db8::1]:1465", Problems: []Problem{{Kind: ProblemNoGreeting, Step: "greeting", After: 5 * time.Second}}},
			first: "port-expects-implicit-tls", title: "Port 1465 expects"},
		{name: "no greeting, and TLS did not help",
			facts: Facts{Target: "x:2525", Retry: &Retry{ImplicitTLS: true, Detail: "the server answered in plaintext"},
				Problems: []Problem{{Kind: ProblemNoGreeting, Step: "greeting", After: 30 * time.Second}}},
			first: "no-greeting", evidence: "retried with implicit TLS: the server answered in plaintext"},
		{name: "TLS spoken to a plaintext port",
			facts: scenario(t, "smtp.example.com:587").with(func(f *Facts) {
				f.Retry = &Retry{ImplicitTLS: false, Worked: true}
			}).with(withProblem(Problem{Kind: ProblemPlaintextAnswer, Step: "connect", TLS: true, Bytes: []byte("220 smtp.example.com ESMTP\r\n")})).
				ehlo(false, plainNoAuth).f,
			first: "port-expects-plaintext", title: "Port 587 speaks plaintext first", evidence: "S: 220 smtp.example.com ESMTP", fix: "starttls()"},
		{name: "could not connect", facts: Facts{Target: "x:25", Problems: []Problem{{Kind: ProblemConnect, Step: "connect", Detail: "connection refused"}}},
			first: "connect-failed", evidence: "connection refused"},
		{name: "greeting refused", facts: Facts{Target: "x:25", Greeting: &Exchange{Reply: mustReply(t, "554 5.7.1 Your IP is listed at zen.spamhaus.org")}},
			first: "greeting-refused", title: "(554)", evidence: "S: 554 5.7.1 Your IP is listed"},
		{name: "EHLO refused, HELO accepted", facts: scenario(t, "x:25").add("EHLO c", false, "502 5.5.2 Error: command not recognized").add("HELO c", false, "250 x").f,
			first: "ehlo-refused", severity: "warning", evidence: "C: HELO c"},
		{name: "LHLO refused (an SMTP server)", facts: scenario(t, "x:25").add("LHLO c", false, "500 5.5.1 This is not a LMTP server").f,
			first: "lhlo-refused", severity: "error", evidence: "S: 500 5.5.1 This is not a LMTP server", fix: "without --protocol lmtp"},
		{name: "STARTTLS refused", facts: scenario(t, "x:587").ehlo(false, plainNoAuth).add("STARTTLS", false, "454 4.7.0 TLS not available due to local problem").f,
			first: "starttls-refused"},
		{name: "STARTTLS injection", facts: scenario(t, "x:587").ehlo(false, plainNoAuth).add("STARTTLS", false, "220 ready").
			with(withProblem(Problem{Kind: ProblemInjection, Step: "STARTTLS", Bytes: []byte("250-PIPELINING\x1b[2J\r\n")})).f,
			first: "starttls-injection", evidence: `S: 250-PIPELINING\x1b[2J`},
		{name: "handshake failed", facts: scenario(t, "x:587").ehlo(false, plainNoAuth).add("STARTTLS", false, "220 ready").
			with(withProblem(Problem{Kind: ProblemTLS, Step: "STARTTLS", Detail: "remote error: tls: protocol version not supported"})).f,
			first: "tls-failed"},
		{name: "self-signed", facts: submission(t).with(withCert(false, CertUnknownAuthority, selfSigned)).f,
			first: "tls-unknown-authority", title: "self-signed", evidence: "sha256 ab12cd", fix: "--ca FILE"},
		{name: "self-signed, the rest withheld", facts: scenario(t, "x:587").ehlo(false, plainNoAuth).starttls(selfSigned).
			with(withCert(false, CertUnknownAuthority, selfSigned)).with(func(f *Facts) {
			f.Withheld = []string{"EHLO inside TLS", "AUTH as alice", "MAIL FROM:<a@x>"}
		}).f, first: "tls-unknown-authority", want: []string{"not-tested"}},
		{name: "name mismatch", facts: submission(t).with(withCert(false, CertNameMismatch, other)).f,
			first: "tls-name-mismatch", title: "for mail.other.example, other.example, not smtp.example.com"},
		{name: "expired", facts: submission(t).with(withCert(false, CertExpired, expired)).f,
			first: "tls-expired", title: "expired on 2025-03-11 (3 days ago)"},
		{name: "not yet valid", facts: submission(t).with(withCert(false, CertNotYetValid, future)).f,
			first: "tls-not-yet-valid", title: "valid only from 2025-03-16"},
		{name: "other verification failure", facts: submission(t).with(withCert(false, CertOther, validCert)).with(func(f *Facts) {
			f.TLS.Detail = "x509: unhandled critical extension"
		}).f, first: "tls-failed", evidence: "unhandled critical extension"},
		{name: "expiring soon", facts: submission(t).with(withCert(true, CertOK, soon)).f,
			first: "tls-expiring-soon", want: []string{"auth-after-starttls", "tls-ok"}},
		{name: "TLS 1.0, allowed by --tls-min", facts: mx(t).with(func(f *Facts) {
			f.TLS.Version, f.TLS.Weak, f.TLS.Cipher = "TLS 1.0", true, "TLS_RSA_WITH_AES_128_CBC_SHA"
		}).f, first: "tls-weak-version", want: []string{"tls-ok"}, severity: "warning", title: "The server speaks TLS 1.0, deprecated (RFC 8996)",
			evidence: "below TLS 1.2, allowed by --tls-min"},
		{name: "stapled OCSP: revoked", facts: mx(t).with(func(f *Facts) {
			f.TLS.OCSP = &OCSPFacts{Status: "revoked", RevokedAt: testNow.AddDate(0, 0, -2)}
		}).f, first: "tls-ocsp-revoked", want: []string{"tls-ok"}, severity: "error", title: "revoked on 2025-03-12", evidence: "stapled OCSP response: revoked"},
		{name: "stapled OCSP: stale", facts: mx(t).with(func(f *Facts) {
			f.TLS.OCSP = &OCSPFacts{Status: "good", Problem: "it is stale: its nextUpdate was 2025-03-13 10:00:00 UTC"}
		}).f, first: "tls-ocsp-invalid", want: []string{"tls-ok"}, severity: "warning", evidence: "good; it does not hold: it is stale"},
		{name: "stapled OCSP: revoked, but not signed by the issuer", facts: mx(t).with(func(f *Facts) {
			f.TLS.OCSP = &OCSPFacts{Status: "revoked", Problem: "its signature does not verify: bad signature"}
		}).f, first: "tls-ocsp-invalid", severity: "warning", evidence: "revoked; it does not hold"},
		{name: "stapled OCSP: unreadable", facts: mx(t).with(func(f *Facts) {
			f.TLS.OCSP = &OCSPFacts{Problem: "it does not parse: malformed"}
		}).f, first: "tls-ocsp-invalid", evidence: "unreadable; it does not hold"},
		{name: "RSA key exchange", facts: mx(t).with(func(f *Facts) {
			f.TLS.Version, f.TLS.Cipher, f.TLS.NoForwardSecrecy = "TLS 1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256", true
		}).f, first: "tls-no-forward-secrecy", want: []string{"tls-ok"}, severity: "warning", evidence: "TLS_RSA_WITH_AES_128_GCM_SHA256: RSA key exchange"},
		{name: "TLS 1.0 with the RSA key exchange: both said", facts: mx(t).with(func(f *Facts) {
			f.TLS.Version, f.TLS.Weak, f.TLS.Cipher, f.TLS.NoForwardSecrecy = "TLS 1.0", true, "TLS_RSA_WITH_AES_128_CBC_SHA", true
		}).f, first: "tls-weak-version", want: []string{"tls-no-forward-secrecy", "tls-ok"}},
		{name: "resumed (--reconnect)", facts: mx(t).with(func(f *Facts) {
			f.Resumption = &ResumptionFacts{Ticket: true, Resumed: true, Version: "TLS 1.3"}
		}).f, first: "auth-missing", want: []string{"tls-ok", "tls-resumed"}},
		{name: "not resumed (--reconnect)", facts: mx(t).with(func(f *Facts) {
			f.Resumption = &ResumptionFacts{Ticket: true, Version: "TLS 1.3"}
		}).f, first: "auth-missing", want: []string{"tls-ok", "tls-not-resumed"}},
		{name: "STARTTLS first (530 to MAIL in plaintext)", facts: scenario(t, "smtp.gmail.com:587").add("EHLO c", false, fixtureText(t, "gmail-ehlo-plain")).
			add("MAIL FROM:<a@x>", false, fixtureText(t, "gmail-530-starttls")).f,
			first: "starttls-required", title: "Port 587 requires TLS first: it refused MAIL FROM in plaintext (530 5.7.0)", fix: "ehlo(); starttls(); ehlo(); login()"},
		{name: "STARTTLS first (530 to AUTH in plaintext)", facts: scenario(t, "x:587").ehlo(false, "250-x\n250-STARTTLS\n250 AUTH PLAIN").
			add(`AUTH PLAIN <redacted user="alice">`, false, fixtureText(t, "gmail-530-starttls")).f,
			first: "starttls-required", title: "Port 587 requires TLS first: it refused AUTH in plaintext (530 5.7.0)"},
		{name: "STARTTLS refused, then 530 to MAIL", facts: scenario(t, "x:587").ehlo(false, plainNoAuth).
			add("STARTTLS", false, "454 4.7.0 TLS not available due to local problem").add("MAIL FROM:<a@x>", false, fixtureText(t, "gmail-530-starttls")).f,
			first: "starttls-refused", want: []string{"starttls-required"}},
		{name: "authentication required", facts: submission(t).add("MAIL FROM:<a@x>", true, "530 5.7.0 Authentication required").f,
			first: "auth-required"},
		{name: "authentication required, credentials held back", facts: submission(t).with(func(f *Facts) {
			f.Auth = &AuthFacts{User: "alice", Skipped: "in clear to a host that is not loopback"}
		}).add("MAIL FROM:<a@x>", true, "530 5.7.0 Authentication required").f,
			first: "auth-required", fix: "did not send them: in clear to a host that is not loopback"},
		{name: "SPF predicted to fail, and the server refused MAIL for it", facts: mx(t).with(identityOf("spf-fail", "identity")).
			add("MAIL FROM:<alice@example.com>", true, "250 2.1.0 Ok").
			add("RCPT TO:<bob@example.org>", true, "550 5.7.23 <bob@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.open-spf.org/Why;id=alice%40example.com;ip=192.0.2.1;r=<UNKNOWN>").f,
			first: "spf-fail", severity: "error", want: []string{"identity", "mail-accepted"},
			evidence: "S~ 550 5.7.23", fix: "predicted fix for spf-fail"},
		{name: "a DMARC refusal the check did not predict gets the check's summary", facts: mx(t).with(identityOf("spf-softfail", "identity")).
			add("MAIL FROM:<alice@example.com>", true, "250 2.1.0 Ok").add("RCPT TO:<bob@example.org>", true, "250 2.1.5 Ok").
			add("DATA", true, "354 go").add(".", true, "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject.").f,
			first: "dmarc-reject", severity: "error", want: []string{"spf-softfail"}, evidence: "identity summary line"},
		{name: "identity predictions before MAIL", facts: mx(t).with(identityOf("dmarc-reject", "dmarc-quarantine", "spf-permerror", "spf-temperror",
			"spf-none", "ptr-missing", "ptr-mismatch", "helo-mismatch", "dnsbl-listed", "identity")).f,
			first: "dnsbl-listed", want: []string{"dmarc-reject", "dmarc-quarantine", "spf-permerror", "spf-temperror", "spf-none", "ptr-missing",
				"ptr-mismatch", "helo-mismatch", "identity"}},
		{name: "direct delivery: the DANE mismatch before the warnings and the route",
			facts: Facts{Target: "example.org", Delivery: []Finding{NewFinding("mx-route", "* mx1.example.org (preference 10) 192.0.2.1:25: answered"),
				NewFinding("sts-policy-error", "* sts-policy-fetch-error: 404"), NewFinding("mx-host-unresolvable", "* gone.example.org: NXDOMAIN"),
				NewFinding("dane-mismatch", "* mx1.example.org 192.0.2.1:25: no record matched")}},
			first: "dane-mismatch", severity: "error", want: []string{"mx-route", "sts-policy-error", "mx-host-unresolvable"},
			title: "no TLSA record matches", evidence: "no record matched", fix: "TLSA record for the current key"},
		{name: "direct delivery: every root cause, in the order a sender meets them",
			facts: Facts{Target: "example.org", Delivery: []Finding{NewFinding("sts-mx-invalid", "* x"), NewFinding("sts-mx-not-listed", "* x"),
				NewFinding("dnssec-bogus", "* x"), NewFinding("dane-no-starttls", "* x"), NewFinding("mx-unreachable", "* x"),
				NewFinding("mx-unresolvable", "* x"), NewFinding("no-route", "* x"), NewFinding("null-mx", "* mx-null.test has a null MX")}},
			first: "null-mx", severity: "error", evidence: "null MX",
			want:  []string{"no-route", "mx-unresolvable", "mx-unreachable", "dane-no-starttls", "dnssec-bogus", "sts-mx-not-listed", "sts-mx-invalid"},
			title: "accepts no mail", fix: "replace the null MX"},
		{name: "port 25 blocked", facts: Facts{Target: "example.org", Identity: []Finding{NewFinding("port25-blocked", "* every MX timed out")}},
			first: "port25-blocked", severity: "error", fix: "submission server"},
		{name: "Postfix refuses a client without reverse DNS", facts: mx(t).add("MAIL FROM:<a@x.example>", true, "250 ok").
			add("RCPT TO:<b@example.com>", true, "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]").f,
			first: "ptr-missing", severity: "error", fix: "reject_unknown_client_hostname"},
		{name: "503 out of sequence", facts: submission(t).add("MAIL FROM:<a@x>", true, "503 5.5.1 Error: nested MAIL command").f,
			first: "bad-sequence"},
		{name: "sender refused", facts: submission(t).auth("235 ok").add("MAIL FROM:<ceo@bank.example>", true, "553 5.7.1 <ceo@bank.example>: Sender address rejected: not owned by user alice").f,
			first: "mail-refused"},
		{name: "Postfix submission without login", facts: submission(t).add("MAIL FROM:<alice@example.com>", true, "250 2.1.0 Ok").
			add("RCPT TO:<bob@example.com>", true, "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied").add("RSET", true, "250 2.0.0 Ok").f,
			first: "auth-required", severity: "error", title: "<bob@example.com>",
			evidence: "S~ 554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied", fix: "--user"},
		{name: "relay denied at a submission port without login", facts: submission(t).add("MAIL FROM:<alice@example.com>", true, "250 2.1.0 Ok").
			add("RCPT TO:<b@example.org>", true, fixtureText(t, "relay-denied")).f,
			first: "auth-required", title: "did not sign in", evidence: "Relay access denied"},
		{name: "unknown user", facts: mx(t).add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<nobody@example.com>", true, "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table").f,
			first: "unknown-user", title: "<nobody@example.com>"},
		{name: "greylisted", facts: mx(t).add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<bob@example.org>", true, fixtureText(t, "greylisted")).f,
			first: "greylisted", want: []string{"auth-missing"}},
		{name: "recipient refused otherwise", facts: submission(t).auth("235 ok").add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<b@x>", true, "452 4.5.3 Too many recipients").f,
			first: "rcpt-refused"},
		{name: "sent", facts: submission(t).auth("235 ok").add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<b@x>", true, "250 2.1.5 ok").
			add("RCPT TO:<c@x>", true, "250 2.1.5 ok").add("DATA", true, "354 go ahead").add(".", true, "250 2.0.0 queued as 4F2").f,
			first: "auth-after-starttls", want: []string{"auth-ok", "mail-accepted", "rcpt-accepted", "message-accepted"}},
		{name: "too big", facts: submission(t).auth("235 ok").add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<b@x>", true, "250 ok").
			add("DATA", true, "354 go ahead").add(".", true, fixtureText(t, "size-552")).f,
			first: "size-exceeded"},
		{name: "content refused", facts: submission(t).auth("235 ok").add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<b@x>", true, "250 ok").
			add("DATA", true, "354 go ahead").add(".", true, "554 5.7.1 Message rejected as spam").f,
			first: "data-refused"},
		{name: "closing mid-session", facts: submission(t).add("MAIL FROM:<a@x>", true, fixtureText(t, "closing-421")).f,
			first: "server-closing"},
		{name: "slow greeting", facts: submission(t).with(func(f *Facts) { f.Greeting.Took = 6 * time.Second }).f,
			first: "slow-greeting", want: []string{"auth-after-starttls"}},
		{name: "tarpit", facts: mx(t).add("MAIL FROM:<a@x>", true, "250 ok").with(func(f *Facts) { f.Mail.Took = 12 * time.Second }).f,
			first: "tarpit", want: []string{"auth-missing"}},
		{name: "timeout", facts: submission(t).with(withProblem(Problem{Kind: ProblemTimeout, Step: "RCPT", After: 30 * time.Second, Detail: "no reply"})).f,
			first: "timeout"},
		{name: "closed", facts: submission(t).with(withProblem(Problem{Kind: ProblemClosed, Step: "MAIL", Detail: "the server closed the connection"})).f,
			first: "connection-closed"},
		{name: "protocol", facts: submission(t).with(withProblem(Problem{Kind: ProblemProtocol, Step: "EHLO", Detail: "reply line does not start with a three-digit code"})).f,
			first: "protocol-error"},
		{name: "other", facts: submission(t).with(withProblem(Problem{Step: "DATA", Detail: "broken pipe"})).f,
			first: "session-error"},
		{name: "mixed codes", facts: submission(t).auth("235 ok").add("MAIL FROM:<a@x>", true, "250 ok").add("RCPT TO:<b@x>", true, "250 ok").
			add("DATA", true, "354 go ahead").with(withProblem(Problem{Kind: ProblemMixedCodes, Step: "end of data", TLS: true,
			Detail: "its lines carry different codes", Bytes: []byte("250-queued as 4F2\r\n554 5.7.1 rejected\x1b[2J\r\n")})).f,
			first: "mixed-codes", title: "end of data", evidence: `S~ 554 5.7.1 rejected\x1b[2J`},
		{name: "desync", facts: scenario(t, "mx.example.com:25").with(withProblem(Problem{Kind: ProblemDesync, Step: "greeting",
			Detail: "out of step", Bytes: []byte("250-mx.example.com\r\n250 8BITMIME\r\n")})).f,
			first: "desync", title: "greeting", evidence: "S: 250 8BITMIME"},
		{name: "unsolicited 421", facts: scenario(t, "mx.example.com:25").with(withProblem(Problem{Kind: ProblemDesync, Step: "greeting",
			Detail: "out of step", Bytes: []byte("421 4.3.2 Service shutting down\r\n")})).f,
			first: "desync", title: "421", evidence: "S: 421 4.3.2 Service shutting down"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := Diagnose(tt.facts)
		ids := findingIDs(got)
		for _, id := range ids {
			seen[id] = true
		}
		if len(got) == 0 || got[0].ID != tt.first {
			t.Errorf("%s: findings %q, want %s first", tt.name, ids, tt.first)
			continue
		}
		for _, id := range tt.want {
			if !slices.Contains(ids, id) {
				t.Errorf("%s: findings %q, want %s among them", tt.name, ids, id)
			}
		}
		first := got[0]
		if tt.severity != "" && first.Severity.String() != tt.severity {
			t.Errorf("%s: severity %v, want %s", tt.name, first.Severity, tt.severity)
		}
		if !strings.Contains(first.Title, tt.title) {
			t.Errorf("%s: title %q, want %q in it", tt.name, first.Title, tt.title)
		}
		if tt.evidence != "" && !slices.ContainsFunc(first.Evidence, func(l string) bool { return strings.Contains(l, tt.evidence) }) {
			t.Errorf("%s: evidence %q, want a line with %q", tt.name, first.Evidence, tt.evidence)
		}
		if !strings.Contains(first.Fix, tt.fix) {
			t.Errorf("%s: fix %q, want %q in it", tt.name, first.Fix, tt.fix)
		}
		checkInvariants(t, tt.name, got)
	}
	for _, r := range Rules() {
		if !seen[r.ID] {
			t.Errorf("no scenario gives finding %s", r.ID)
		}
	}
}

func findingIDs(fs []Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

// checkInvariants: the failed steps first, in rule order, then the rest by
// severity and rule order; every finding
// has a known ID, a title and evidence, and nothing carries a raw control
// character.
func checkInvariants(t *testing.T, name string, fs []Finding) {
	t.Helper()
	for i, f := range fs {
		if _, ok := LookupRule(f.ID); !ok {
			t.Errorf("%s: unknown finding ID %q", name, f.ID)
		}
		if f.Title == "" || len(f.Evidence) == 0 {
			t.Errorf("%s: %s has no title or no evidence: %+v", name, f.ID, f)
		}
		if f.Severity <= SeverityAdvice && f.Fix == "" {
			t.Errorf("%s: %s is a %v without a fix", name, f.ID, f.Severity)
		}
		for _, s := range append([]string{f.Title}, f.Evidence...) {
			if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u202e' }) {
				t.Errorf("%s: %s carries a control character: %q", name, f.ID, s)
			}
		}
		if i > 0 && compareFindings(fs[i-1], f) > 0 {
			t.Errorf("%s: %s before %s", name, fs[i-1].ID, f.ID)
		}
		if i > 0 && failedStep(f) && !failedStep(fs[i-1]) {
			t.Errorf("%s: the failed step %s comes after %s", name, f.ID, fs[i-1].ID)
		}
	}
}

// TestDiagnoseSanitizes feeds hostile server text everywhere it can go.
// TestDiagnoseExtensions: the extensions are one finding, not one each
// (issue 17, item 3), named in the server's order, without STARTTLS and
// AUTH, which have findings of their own; each evidence line is quoted.
func TestDiagnoseExtensions(t *testing.T) {
	got := Diagnose(submission(t).f)
	var ext []Finding
	for _, f := range got {
		if f.Severity == SeverityInfo && f.ID != "tls-ok" {
			ext = append(ext, f)
		}
	}
	if len(ext) != 1 || ext[0].ID != "extensions" {
		t.Fatalf("info findings %q, want one extensions finding", findingIDs(ext))
	}
	const title = "Extensions: PIPELINING, SIZE 10240000 (messages up to 9.8 MiB), ENHANCEDSTATUSCODES, 8BITMIME"
	want := []string{"S~ 250-PIPELINING", "S~ 250-SIZE 10240000", "S~ 250-ENHANCEDSTATUSCODES", "S~ 250 8BITMIME"}
	if ext[0].Title != title || !slices.Equal(ext[0].Evidence, want) {
		t.Errorf("extensions %q %q, want %q %q", ext[0].Title, ext[0].Evidence, title, want)
	}
	odd := Diagnose(scenario(t, "x:25").ehlo(false, "250-x\n250-SIZE lots\n250 X-VENDOR a b").f)
	i := slices.IndexFunc(odd, func(f Finding) bool { return f.ID == "extensions" })
	if i < 0 || odd[i].Title != "Extensions: SIZE lots (not a number of bytes), X-VENDOR a b" {
		t.Errorf("findings %+v", odd)
	}
}

func TestDiagnoseSanitizes(t *testing.T) {
	evil := "250-x\x1b]0;pwned\x07\n250-AUTH PLAIN\u202e\n250 SIZE 10"
	f := scenario(t, "x\x1b:25").ehlo(false, evil).with(func(f *Facts) {
		f.Greeting.Reply = Reply{Code: 554, Lines: []string{"x\x9b31m"}, Raw: []string{"554 x\x9b31m"}}
		f.Problems = []Problem{{Kind: ProblemInjection, Bytes: []byte("\x1b[2J\r\r\n")}}
	}).f
	checkInvariants(t, "hostile", Diagnose(f))
}

func TestDiagnoseEmpty(t *testing.T) {
	if got := Diagnose(Facts{}); len(got) != 0 {
		t.Errorf("Diagnose(Facts{}) = %+v", got)
	}
}

func TestFactsAdd(t *testing.T) {
	var f Facts
	for _, c := range []string{"", "EHLO a", "HELO a", "STARTTLS", "AUTH LOGIN", "MAIL FROM:<a>", "RCPT TO:<b>", "RCPT TO:<c>", "DATA", ".", "RSET", "QUIT"} {
		f.Add(Exchange{Command: c, Reply: Reply{Code: 250}})
	}
	if f.Greeting == nil || len(f.Hellos) != 2 || f.StartTLS == nil || f.Auth == nil || f.Auth.Mechanism != "LOGIN" ||
		f.Mail == nil || len(f.Rcpts) != 2 || f.Data == nil || f.DataEnd == nil || len(f.Others) != 2 {
		t.Errorf("Add filed %+v", f)
	}
}

func TestExchangeLines(t *testing.T) {
	got := xch(t, "EHLO c", true, "250-mx\n250 AUTH PLAIN").Lines()
	want := []string{"C~ EHLO c", "S~ 250-mx", "S~ 250 AUTH PLAIN"}
	if !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	// Quoted as received, never rebuilt from the parsed code, enhanced
	// code and text (issue 17, item 5).
	got = xch(t, ".", true, "250-2.0.0 Ok: queued\n250 2.0.0 as 4F2").Lines()
	want = []string{"C~ .", "S~ 250-2.0.0 Ok: queued", "S~ 250 2.0.0 as 4F2"}
	if !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	got = xch(t, "", false, fixtureText(t, "gmail-535")).Lines()
	want = []string{"S: 535-5.7.8 Username and Password not accepted. Learn more at", "S: 535 5.7.8  https://support.google.com/mail/?p=BadCredentials"}
	if !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

// identityOf gives the facts identity findings as package identity would
// make them, each with a fix and evidence of its own.
func identityOf(ids ...string) func(*Facts) {
	return func(f *Facts) {
		for _, id := range ids {
			x := NewFinding(id, "* "+id+" evidence")
			x.Fix = "predicted fix for " + id
			if id == "identity" {
				x.Evidence = []string{"* identity summary line"}
			}
			f.Identity = append(f.Identity, x)
		}
	}
}

// TestDiagnoseTLSFacts: what the handshake agreed beyond the certificate
// gives a finding only when it matters; resumption (doctor --reconnect)
// is said either way, with why it was not resumed.
func TestDiagnoseTLSFacts(t *testing.T) {
	tests := []struct {
		name  string
		with  func(*Facts)
		id    string // "" for none of the OCSP, forward secrecy and resumption findings
		title string
		ev    string
	}{
		{"a good stapled response", func(f *Facts) { f.TLS.OCSP = &OCSPFacts{Status: "good"} }, "", "", ""},
		{"nothing stapled, ECDHE, no --reconnect", func(f *Facts) {}, "", "", ""},
		{"resumed", func(f *Facts) { f.Resumption = &ResumptionFacts{Ticket: true, Resumed: true, Version: "TLS 1.3"} },
			"tls-resumed", "resumption works", "resumed on a second connection (TLS 1.3)"},
		{"a full handshake again", func(f *Facts) { f.Resumption = &ResumptionFacts{Ticket: true, Version: "TLS 1.2"} },
			"tls-not-resumed", "are not resumed", "the server made a full handshake (TLS 1.2)"},
		{"no ticket", func(f *Facts) { f.Resumption = &ResumptionFacts{} },
			"tls-not-resumed", "the server issued no ticket", "issued no session ticket"},
		{"the second connection failed", func(f *Facts) {
			f.Resumption = &ResumptionFacts{Ticket: true, Detail: "connection refused\x1b[2J"}
		}, "tls-not-resumed", "not tested", `connection refused\x1b[2J`},
	}
	extra := []string{"tls-ocsp-revoked", "tls-ocsp-invalid", "tls-no-forward-secrecy", "tls-resumed", "tls-not-resumed"}
	for _, tt := range tests {
		got := Diagnose(mx(t).with(tt.with).f)
		var found []Finding
		for _, f := range got {
			if slices.Contains(extra, f.ID) {
				found = append(found, f)
			}
		}
		switch {
		case tt.id == "" && len(found) > 0:
			t.Errorf("%s: %q, want none of %q", tt.name, findingIDs(found), extra)
		case tt.id == "":
		case len(found) != 1 || found[0].ID != tt.id:
			t.Errorf("%s: %q, want %s alone", tt.name, findingIDs(found), tt.id)
		case found[0].Severity != SeverityInfo || !strings.Contains(found[0].Title, tt.title) ||
			!slices.ContainsFunc(found[0].Evidence, func(l string) bool { return strings.Contains(l, tt.ev) }):
			t.Errorf("%s: %v %q %q, want info, %q in the title, %q in the evidence", tt.name, found[0].Severity, found[0].Title, found[0].Evidence, tt.title, tt.ev)
		}
		checkInvariants(t, tt.name, got)
	}
}

// TestDiagnoseLMTPReplies: in LMTP the replies after the message are one
// per recipient accepted (RFC 2033 4.2); a refusal in the second is a
// finding, with the recipient it was for, beside the first's acceptance.
func TestDiagnoseLMTPReplies(t *testing.T) {
	f := mx(t).add("MAIL FROM:<a@x>", true, "250 OK").add("RCPT TO:<bob@x>", true, "250 OK").
		add("RCPT TO:<nobody@x>", true, "550 5.1.1 no such user").add("RCPT TO:<carol@x>", true, "250 OK").
		add("DATA", true, "354 go ahead").f
	f.AddLMTPReplies([]Exchange{
		xch(t, ".", true, "250 2.0.0 <bob@x> saved"),
		xch(t, ".", true, "452 4.2.2 <carol@x> mailbox full"),
	})
	if f.DataEnd == nil || f.DataEnd.Rcpt != "bob@x" || len(f.Deliveries) != 1 || f.Deliveries[0].Rcpt != "carol@x" {
		t.Fatalf("DataEnd %+v, deliveries %+v: want bob's, then carol's (nobody was refused at RCPT)", f.DataEnd, f.Deliveries)
	}
	got := Diagnose(f)
	var accepted, refused *Finding
	for i := range got {
		switch {
		case got[i].ID == "message-accepted":
			accepted = &got[i]
		case slices.ContainsFunc(got[i].Evidence, func(l string) bool { return strings.Contains(l, "452 4.2.2") }):
			refused = &got[i]
		}
	}
	if accepted == nil || !slices.Contains(accepted.Evidence, "* LMTP: the reply for <bob@x>") {
		t.Errorf("bob's delivery: %+v", accepted)
	}
	if refused == nil || refused.Severity > SeverityWarning || !slices.Contains(refused.Evidence, "* LMTP: the reply for <carol@x>") {
		t.Errorf("carol's refusal after the message: %+v (findings %q)", refused, findingIDs(got))
	}
	checkInvariants(t, "lmtp", got)
}
