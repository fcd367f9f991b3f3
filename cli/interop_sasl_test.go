package cli

import (
	"strings"
	"testing"
)

// TestPostfixSCRAM signs in to the Postfix lab's submission port with
// SCRAM-SHA-1 and SCRAM-SHA-256, which Postfix takes from Dovecot's SASL
// (scripts/postfix-lab.sh): each ends in 235 with the server's signature
// checked, the decoded steps shown without the proof, and no output holds
// the password; over TLS to a server without -PLUS the GS2 header says
// "y". Dovecot 2.3 offers no -PLUS variant: asking for one says what is
// offered.
func TestPostfixSCRAM(t *testing.T) {
	pf := needPostfix(t)
	p := probeJSON(t, pf.submission, "--ca", pf.ca, "--servername", "localhost")
	if offered := p.EHLO[len(p.EHLO)-1].Extensions["AUTH"]; !strings.Contains(offered, "SCRAM-SHA-256") {
		t.Fatalf("the lab's Postfix offers AUTH %q, without SCRAM: run scripts/postfix-lab.sh up from this tree", offered)
	}
	base := []string{"send", pf.submission, "--ca", pf.ca, "--servername", "localhost", "--timeout", "10s",
		"--user", pf.user, "--password-stdin", "--from", pf.user + "@localhost", "--to", pf.user + "@localhost", "--quit-after", "auth"}
	for _, mech := range []string{"SCRAM-SHA-1", "SCRAM-SHA-256"} {
		code, out, errOut := runIn(t, pf.password+"\n", append(base, "--auth", mech)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", mech, code, out, errOut)
		}
		// "y": ehlo could bind the exchange to TLS, and Dovecot offers no -PLUS (RFC 5802 6).
		for _, want := range []string{"AUTH " + mech + ` <redacted user="` + pf.user + `">`, mech + " decoded: y,,n=" + pf.user + ",r=",
			",p=<redacted>", "server decoded: v=", "235 2.7.0", mech + ": the server's signature is right"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the output lacks %q:\n%s", mech, want, out)
			}
		}
		if strings.Contains(out+errOut, pf.password) {
			t.Errorf("%s: the output shows the password", mech)
		}
	}
	// No wrong password here: Dovecot's auth penalty would slow the next
	// logins from 127.0.0.1, which TestPostfixDoctor reads as a tarpit.
	code, _, errOut := runIn(t, pf.password+"\n", append(base, "--auth", "scram-sha-256-plus")...)
	if code != exitAuth || !strings.Contains(errOut, "not SCRAM-SHA-256-PLUS") {
		t.Errorf("-PLUS: exit %d\n%s", code, errOut)
	}
}
