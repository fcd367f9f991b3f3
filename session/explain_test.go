package session

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestExplainFixtures(t *testing.T) {
	plainGmail := ParseEHLO(fixture(t, "gmail-ehlo-plain"))
	tlsGmail := ParseEHLO(fixture(t, "gmail-ehlo-tls"))
	mx := ParseEHLO(mustReply(t, "250-mx.example\n250-STARTTLS\n250 8BITMIME"))
	tests := []struct {
		name      string
		reply     Reply
		ctx       ExplainContext
		rule      string
		known     string // KnownReply.ID, "" for none
		meaning   string // a fragment of Meaning
		enhanced  string // a fragment of EnhancedMeaning
		challenge string
	}{
		{"gmail 535", fixture(t, "gmail-535"), ExplainContext{Command: `AUTH PLAIN <redacted user="a">`, TLS: true, Caps: tlsGmail},
			"auth-bad-credentials", "gmail-bad-credentials", "Sign-in failed", "Authentication credentials invalid", ""},
		{"gmail 534", fixture(t, "gmail-534"), ExplainContext{Command: "AUTH LOGIN", TLS: true, Caps: tlsGmail},
			"auth-app-password", "gmail-app-password", "stronger mechanism", "Authentication mechanism is too weak", ""},
		{"gmail 530 to MAIL", fixture(t, "gmail-530-starttls"), ExplainContext{Command: "MAIL FROM:<a@x>", Caps: plainGmail},
			"starttls-required", "must-starttls", "sign in with AUTH first", "Other or undefined security status", ""},
		{"gmail 530 to AUTH", fixture(t, "gmail-530-starttls"), ExplainContext{Command: "AUTH PLAIN <redacted>", Caps: plainGmail},
			"starttls-required", "must-starttls", "", "", ""},
		{"relay denied", fixture(t, "relay-denied"), ExplainContext{Command: "RCPT TO:<someone@example.org>", TLS: true, Caps: mx},
			"relay-denied", "relay-denied", "Refused", "Delivery not authorized", ""},
		{"relay by code alone", mustReply(t, "554 5.7.1 <x@y>: not here"), ExplainContext{Command: "RCPT TO:<x@y>"},
			"relay-denied", "", "", "", ""},
		// Issue 17, item 1: on a server that offers AUTH, a client that has
		// not signed in is refused for that, not for the recipient.
		{"Postfix submission without login", mustReply(t, "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied"),
			ExplainContext{Command: "RCPT TO:<bob@lab.test>", TLS: true, Caps: tlsGmail},
			"auth-required", "postfix-client-rejected", "", "", ""},
		{"Postfix client restriction, no AUTH offered", mustReply(t, "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied"),
			ExplainContext{Command: "RCPT TO:<bob@lab.test>", TLS: true, Caps: mx},
			"rcpt-refused", "postfix-client-rejected", "", "", ""},
		{"relay denied, AUTH offered and not used", fixture(t, "relay-denied"), ExplainContext{Command: "RCPT TO:<someone@example.org>", TLS: true, Caps: tlsGmail},
			"auth-required", "relay-denied", "", "", ""},
		{"relay denied when signed in", fixture(t, "relay-denied"), ExplainContext{Command: "RCPT TO:<someone@example.org>", TLS: true, Authenticated: true, Caps: tlsGmail},
			"relay-denied", "relay-denied", "", "", ""},
		{"policy code alone, AUTH offered and not used", mustReply(t, "554 5.7.1 <x@y>: not here"), ExplainContext{Command: "RCPT TO:<x@y>", TLS: true, Caps: tlsGmail},
			"auth-required", "", "", "", ""},
		{"unknown user is no sign-in matter", mustReply(t, "550 5.1.1 <nobody@x>: Recipient address rejected: User unknown in local recipient table"),
			ExplainContext{Command: "RCPT TO:<nobody@x>", TLS: true, Caps: tlsGmail},
			"unknown-user", "unknown-user", "", "", ""},
		{"greylisted", fixture(t, "greylisted"), ExplainContext{Command: "RCPT TO:<bob@example.org>"},
			"greylisted", "greylisting", "mailbox cannot take mail right now", "Delivery not authorized", ""},
		{"greylisted 451 text only", mustReply(t, "451 4.7.1 Please try again later"), ExplainContext{Command: "RCPT TO:<b@x>"},
			"greylisted", "greylisting-code", "", "", ""},
		{"size 552 after data", fixture(t, "size-552"), ExplainContext{Command: "."},
			"size-exceeded", "size-exceeded", "Too big", "Message too big for system", ""},
		{"size by enhanced code on 554", mustReply(t, "554 5.3.4 too big"), ExplainContext{Command: "."},
			"size-exceeded", "size-exceeded-code", "", "", ""},
		{"421 to MAIL", fixture(t, "closing-421"), ExplainContext{Command: "MAIL FROM:<a@x>"},
			"server-closing", "closing", "closing the connection", "", ""},
		{"421 greeting", fixture(t, "closing-421"), ExplainContext{},
			"greeting-refused", "closing", "", "", ""},
		{"554 greeting", mustReply(t, "554 5.7.1 Your IP is on a blocklist"), ExplainContext{},
			"greeting-refused", "", "", "", ""},
		{"username challenge", fixture(t, "challenge-username"), ExplainContext{Command: "AUTH LOGIN", TLS: true},
			"", "", "base64", "", "Username:"},
		{"password challenge", fixture(t, "challenge-password"), ExplainContext{Command: "AUTH LOGIN", TLS: true},
			"", "", "", "", "Password:"},
		{"503 AUTH before STARTTLS", mustReply(t, "503 5.5.1 Error: authentication not enabled"), ExplainContext{Command: "AUTH PLAIN", Caps: mx},
			"auth-after-starttls", "auth-not-enabled", "wrong moment", "Invalid command", ""},
		{"503 AUTH not enabled in TLS", mustReply(t, "503 5.5.1 Error: authentication not enabled"), ExplainContext{Command: "AUTH PLAIN", TLS: true, Caps: mx},
			"auth-missing", "auth-not-enabled", "", "", ""},
		{"503 AUTH not advertised (Mailspring)", mustReply(t, "503 AUTH command used when not advertised"), ExplainContext{Command: "AUTH LOGIN", TLS: true, Caps: mx},
			"auth-missing", "auth-not-enabled", "", "", ""},
		{"503 second AUTH", mustReply(t, "503 5.5.1 Already authenticated"), ExplainContext{Command: "AUTH PLAIN", TLS: true, Authenticated: true, Caps: tlsGmail},
			"bad-sequence", "", "", "", ""},
		{"530 authentication required", mustReply(t, "530 5.7.0 Authentication required"), ExplainContext{Command: "MAIL FROM:<a@x>", TLS: true, Caps: tlsGmail},
			"auth-required", "authentication-required", "", "", ""},
		{"microsoft 5.7.139", mustReply(t, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."), ExplainContext{Command: "AUTH LOGIN", TLS: true},
			"auth-disabled", "microsoft-smtp-auth-disabled", "", "", ""},
		{"unknown user", mustReply(t, "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table"), ExplainContext{Command: "RCPT TO:<nobody@example.org>", TLS: true},
			"unknown-user", "unknown-user", "", "Bad destination mailbox address", ""},
		{"454 to AUTH", mustReply(t, "454 4.7.0 Temporary authentication failure"), ExplainContext{Command: "AUTH PLAIN", TLS: true, Caps: tlsGmail},
			"auth-temporary", "", "", "", ""},
		{"454 to STARTTLS", mustReply(t, "454 4.7.0 TLS not available due to local problem"), ExplainContext{Command: "STARTTLS", Caps: plainGmail},
			"starttls-refused", "", "", "", ""},
		{"235", mustReply(t, "235 2.7.0 Accepted"), ExplainContext{Command: "AUTH PLAIN", TLS: true, Caps: tlsGmail},
			"auth-ok", "", "signed in", "Success", ""},
		{"250 to RCPT", mustReply(t, "250 2.1.5 OK"), ExplainContext{Command: "RCPT TO:<a@x>", TLS: true},
			"rcpt-accepted", "", "", "Destination address valid", ""},
		{"250 after data", mustReply(t, "250 2.0.0 OK 1487123527 - gsmtp"), ExplainContext{Command: "."},
			"message-accepted", "", "", "", ""},
		{"354", mustReply(t, "354  Go ahead"), ExplainContext{Command: "DATA"},
			"", "", "Send the message now", "", ""},
		{"EHLO refused", mustReply(t, "502 5.5.2 Error: command not recognized"), ExplainContext{Command: "EHLO c"},
			"ehlo-refused", "", "", "", ""},
		{"odd code", mustReply(t, "299 hm"), ExplainContext{Command: "NOOP"},
			"", "", "Not a standard reply code", "", ""},
		// a sequence error, whatever the code the server picks for it: not a
		// refused sender or content
		{"go-smtp 502 to MAIL before EHLO", mustReply(t, "502 5.5.1 Please introduce yourself first."), ExplainContext{Command: "MAIL FROM:<a@x>"},
			"bad-sequence", "", "", "", ""},
		{"go-smtp 502 to DATA without RCPT", mustReply(t, "502 5.5.1 Missing RCPT TO command."), ExplainContext{Command: "DATA"},
			"bad-sequence", "", "", "", ""},
		{"postfix 503 to DATA without RCPT", mustReply(t, "503 5.5.1 Error: need RCPT command"), ExplainContext{Command: "DATA"},
			"bad-sequence", "", "", "", ""},
	}
	for _, tt := range tests {
		x := Explain(tt.reply, tt.ctx)
		if x.Rule != tt.rule {
			t.Errorf("%s: Rule = %q, want %q", tt.name, x.Rule, tt.rule)
		}
		known := ""
		if x.Known != nil {
			known = x.Known.ID
		}
		if known != tt.known {
			t.Errorf("%s: Known = %q, want %q", tt.name, known, tt.known)
		}
		if !strings.Contains(x.Meaning, tt.meaning) {
			t.Errorf("%s: Meaning = %q, want it to hold %q", tt.name, x.Meaning, tt.meaning)
		}
		if !strings.Contains(x.EnhancedMeaning, tt.enhanced) {
			t.Errorf("%s: EnhancedMeaning = %q, want it to hold %q", tt.name, x.EnhancedMeaning, tt.enhanced)
		}
		if x.Challenge != tt.challenge {
			t.Errorf("%s: Challenge = %q, want %q", tt.name, x.Challenge, tt.challenge)
		}
		if x.Code != tt.reply.Code || x.Enhanced != tt.reply.Enhanced || x.Class == "" {
			t.Errorf("%s: code %d %v class %q", tt.name, x.Code, x.Enhanced, x.Class)
		}
		if tt.rule != "" {
			r := mustRule(tt.rule)
			if x.Cause != r.Why || x.Action != r.Fix || x.RFC != r.RFC {
				t.Errorf("%s: Cause/Action/RFC do not come from rule %s: %+v", tt.name, tt.rule, x)
			}
		}
		if tt.reply.Class() >= ClassTransient && x.Action == "" {
			t.Errorf("%s: a failure without an Action", tt.name)
		}
	}
}

// TestExplainSanitizes: server text reaches an explanation only through the
// sanitizer, including a decoded challenge.
func TestExplainSanitizes(t *testing.T) {
	evil := base64.StdEncoding.EncodeToString([]byte("\x1b]0;owned\x07User\u202ename:"))
	x := Explain(mustReply(t, "334 "+evil), ExplainContext{Command: "AUTH LOGIN"})
	if x.Challenge != `\x1b]0;owned\x07User\u202ename:` {
		t.Errorf("Challenge = %q", x.Challenge)
	}
	if !strings.Contains(x.Cause, `\x1b`) || strings.ContainsAny(x.Cause, "\x1b\x07\u202e") {
		t.Errorf("Cause = %q", x.Cause)
	}
}

func TestStateExplainContext(t *testing.T) {
	s := ready(t, fixtureText(t, "gmail-ehlo-plain")).Sent("AUTH PLAIN " + b64("\x00alice\x00secret"))
	c := s.ExplainContext("")
	if c.Command != `AUTH PLAIN <redacted user="alice">` || c.TLS || !c.Caps.Has("STARTTLS") {
		t.Fatalf("context = %+v", c)
	}
	x := Explain(mustReply(t, "530 5.7.0 Must issue a STARTTLS command first."), c)
	if x.Rule != "starttls-required" {
		t.Errorf("Rule = %q", x.Rule)
	}
	if c := s.ExplainContext("MAIL FROM:<a@x>"); c.Command != "MAIL FROM:<a@x>" {
		t.Errorf("explicit command = %q", c.Command)
	}
}

func TestMatchKnownReply(t *testing.T) {
	for _, k := range KnownReplies() {
		if k.ID == "" || k.Name == "" || k.Rule == "" {
			t.Errorf("incomplete known reply %+v", k)
		}
		if _, ok := LookupRule(k.Rule); !ok {
			t.Errorf("%s: no rule %q", k.ID, k.Rule)
		}
	}
	if _, ok := MatchKnownReply(mustReply(t, "250 OK"), "RCPT"); ok {
		t.Error("250 OK matched a known reply")
	}
	// Verbs restrict: a relay text to MAIL is not relay-denied.
	if k, ok := MatchKnownReply(mustReply(t, "554 5.7.1 Relay access denied"), "MAIL"); ok && k.Rule == "relay-denied" {
		t.Errorf("relay pattern matched MAIL: %+v", k)
	}
}

func ExampleExplain() {
	r, _ := ParseReply([]string{
		"535-5.7.8 Username and Password not accepted. Learn more at",
		"535 5.7.8  https://support.google.com/mail/?p=BadCredentials",
	})
	x := Explain(r, ExplainContext{Command: `AUTH PLAIN <redacted user="alice">`, TLS: true})
	fmt.Println(x.Code, x.Enhanced, "rule:", x.Rule)
	fmt.Println("known:", x.Known.Name)
	fmt.Println(x.EnhancedMeaning[:strings.Index(x.EnhancedMeaning, ".")])
	// Output:
	// 535 5.7.8 rule: auth-bad-credentials
	// known: Gmail: user name and password not accepted
	// Permanent failure: Authentication credentials invalid
}

// TestExplainBdat: a reply to BDAT is explained as one about the data it
// carries: to the last chunk as the reply to ".", to another as to DATA.
func TestExplainBdat(t *testing.T) {
	tests := []struct {
		command, reply, rule string
	}{
		{"BDAT 512 LAST", "250 2.0.0 Ok: queued as 4Xb", "message-accepted"},
		{"BDAT 512", "250 2.0.0 Ok: 512 bytes", ""},
		{"BDAT 512", "554 5.7.1 spam", "data-refused"},
		{"BDAT 512 LAST", "552 5.3.4 Message too big", "size-exceeded"},
		{"BDAT 512", "503 5.5.1 Error: need RCPT command", "bad-sequence"},
	}
	for _, tt := range tests {
		if x := Explain(mustReply(t, tt.reply), ExplainContext{Command: tt.command}); x.Rule != tt.rule {
			t.Errorf("%s, %s: rule %q, want %q", tt.command, tt.reply, x.Rule, tt.rule)
		}
	}
}
