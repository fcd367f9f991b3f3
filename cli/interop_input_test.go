package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitForMaildirText polls the maildir for a message holding text, for at
// most 20 seconds: Postfix delivers, and writes its reports, asynchronously.
func waitForMaildirText(t *testing.T, maildir, text string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(text)) {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message holding %q reached %s", text, maildir)
	return nil
}

// TestPostfixPreparedMessageDSN sends a prepared message with LF line
// endings, a dot line and one CRLF line through Postfix's MX port with
// --data, a header replaced and one added, and DSN parameters: NOTIFY
// SUCCESS, RET HDRS, an ENVID that needs xtext and ORCPT. The message
// arrives with the file's header and body; Postfix's success report quotes
// the ENVID and the ORCPT and returns the header only, which shows each
// parameter reached it.
func TestPostfixPreparedMessageDSN(t *testing.T) {
	pf := needMaildir(t)
	rcpt := pf.user + "@localhost"
	stamp := time.Now().UnixNano()
	subject := fmt.Sprintf("prepared %d", stamp)
	envid := fmt.Sprintf("env+%d=x", stamp)
	file := filepath.Join(t.TempDir(), "msg.eml")
	body := "Hello from a prepared message,\n.a line that starts with a dot\n\r\nthe line above ended in CRLF\n"
	msg := "From: <" + rcpt + ">\nTo: <" + rcpt + ">\nSubject: to be replaced\nX-Kept: kept\n\n" + body
	if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "send", pf.mx, "--ca", pf.ca, "--servername", "localhost", "--timeout", "10s",
		"--from", rcpt, "--to", rcpt, "--data", "@"+file, "--header", "Subject: "+subject, "--add-header", "X-Added: yes",
		"--dsn-notify", "success,failure", "--dsn-ret", "hdrs", "--envid", envid, "--dsn-orcpt")
	if code != 0 || !strings.Contains(out, "result    delivered: 250") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{"RET=HDRS ENVID=env+2B" + fmt.Sprint(stamp) + "+3Dx", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;" + rcpt,
		"bare LF or CR line endings: each goes out as CRLF", "C~ ..a line that starts with a dot"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	got := waitForMaildirHeader(t, pf.maildir, "Subject", subject)
	head, gotBody, _ := bytes.Cut(got, []byte("\n\n"))
	if string(gotBody) != strings.ReplaceAll(body, "\r\n", "\n") {
		t.Errorf("delivered body %q, want %q", gotBody, body)
	}
	for _, want := range []string{"\nX-Kept: kept\n", "\nX-Added: yes\n"} {
		if !bytes.Contains(head, []byte(want)) || bytes.Contains(head, []byte("to be replaced")) {
			t.Errorf("delivered header lacks %q, or kept the replaced subject:\n%s", want, head)
		}
	}
	report := waitForMaildirText(t, pf.maildir, "Original-Envelope-Id: "+envid)
	for _, want := range []string{"Action: delivered", "Original-Recipient: rfc822;" + rcpt, "Content-Type: text/rfc822-headers", "Subject: " + subject} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("the DSN report lacks %q:\n%s", want, report)
		}
	}
	if bytes.Contains(report, []byte("the line above ended in CRLF")) {
		t.Error("RET=HDRS, yet the report returns the body")
	}
}

// TestPostfixRequireTLSAndDrop: Postfix offers no REQUIRETLS, so a send
// with --requiretls stops before MAIL with exit 8; --drop-after rcpt ends
// the session without QUIT, and Postfix logs the lost connection.
func TestPostfixRequireTLSAndDrop(t *testing.T) {
	pf := needPostfix(t)
	rcpt := pf.user + "@localhost"
	base := []string{"send", pf.mx, "--ca", pf.ca, "--servername", "localhost", "--timeout", "10s", "--from", rcpt, "--to", rcpt}
	code, out, errOut := run(t, append(base, "--requiretls")...)
	if code != exitMail || !strings.Contains(errOut, "does not offer REQUIRETLS (RFC 8689)") || strings.Contains(out, "MAIL FROM") {
		t.Errorf("--requiretls: exit %d\n%s\n%s", code, out, errOut)
	}
	logFile := "/var/log/ehlo-postfix-lab/postfix.log"
	lost := func() int {
		b, _ := os.ReadFile(logFile)
		return bytes.Count(b, []byte("lost connection after RCPT from"))
	}
	before := lost()
	code, out, errOut = run(t, append(base, "--drop-after", "rcpt")...)
	if code != 0 || !strings.Contains(out, "dropped the connection after rcpt without QUIT") || strings.Contains(out, "C~ QUIT") {
		t.Fatalf("--drop-after rcpt: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(logFile); err != nil {
		return // Postfix's log is not readable here; the client side was checked
	}
	deadline := time.Now().Add(10 * time.Second)
	for lost() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("Postfix logged no lost connection after RCPT in %s", logFile)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPostfixRunDSNAndDrop: a run script types DSN parameters in its MAIL
// and RCPT lines (RFC 3461), which Postfix takes, and ends with :drop:
// no QUIT is sent, the run is a success, and Postfix logs the lost
// connection after RCPT.
func TestPostfixRunDSNAndDrop(t *testing.T) {
	pf := needPostfix(t)
	rcpt := pf.user + "@localhost"
	script := filepath.Join(t.TempDir(), "drop.ehlo")
	body := "expect 220\nEHLO me.example\nexpect 250 DSN\nSTARTTLS\nexpect 220\nEHLO me.example\nexpect 250\n" +
		"MAIL FROM:<" + rcpt + "> RET=HDRS ENVID=run-42\nexpect 250\n" +
		"RCPT TO:<" + rcpt + "> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;" + rcpt + "\nexpect 250\n:drop\n# a comment may follow\n"
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := "/var/log/ehlo-postfix-lab/postfix.log"
	lost := func() int {
		b, _ := os.ReadFile(logFile)
		return bytes.Count(b, []byte("lost connection after RCPT from"))
	}
	before := lost()
	code, out, errOut := run(t, "run", script, pf.mx, "--ca", pf.ca, "--servername", "localhost", "--timeout", "10s")
	if code != 0 || !strings.Contains(out, ":drop: the connection closed here without QUIT") || strings.Contains(out, "C~ QUIT") ||
		!strings.Contains(out, "ok: "+script+": 6 expectations met") {
		t.Fatalf("run with :drop: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(logFile); err != nil {
		return // Postfix's log is not readable here; the client side was checked
	}
	deadline := time.Now().Add(10 * time.Second)
	for lost() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("Postfix logged no lost connection after RCPT in %s", logFile)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
