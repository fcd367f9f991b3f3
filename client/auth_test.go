package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// session dials the lab's submission endpoint and runs greeting, EHLO,
// STARTTLS and EHLO again.
func secureSession(t *testing.T, l *lab.Lab) *Client {
	t.Helper()
	j := labJob(t, l, "submission")
	ctx := context.Background()
	c, err := Dial(ctx, j.Target, j.Options, wire.NewTranscript())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Greeting(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.StartTLS(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthMechanismsAgainstLab(t *testing.T) {
	l := startLab(t)
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		t.Run(mech, func(t *testing.T) {
			c := secureSession(t, l)
			m, err := session.NewMechanism(mech, lab.User, lab.Password)
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.Auth(context.Background(), m, lab.User)
			if err != nil || r.Code != 235 {
				t.Fatalf("AUTH %s: %d %v", mech, r.Code, err)
			}
			if !c.State().Authenticated {
				t.Error("state not authenticated")
			}
			assertNoSecret(t, c.Conn().Transcript(), lab.Password)
		})
	}
}

func TestAuthRefused(t *testing.T) {
	c := secureSession(t, startLab(t))
	r, err := c.Auth(context.Background(), session.Plain("", lab.User, "wrong-password"), lab.User)
	if r.Code != 535 || !IsAuthRefused(err) {
		t.Fatalf("want 535 and an AuthError, got %d %v", r.Code, err)
	}
	assertNoSecret(t, c.Conn().Transcript(), "wrong-password")
}

func TestDataDeliversDotStuffedMessage(t *testing.T) {
	l := startLab(t)
	c := secureSession(t, l)
	ctx := context.Background()
	if _, err := c.Auth(ctx, session.Plain("", lab.User, lab.Password), lab.User); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"MAIL FROM:<alice@lab.test>", "RCPT TO:<bob@example.org>"} {
		if r, err := c.Do(ctx, line); err != nil || !r.OK() {
			t.Fatalf("%s: %d %v", line, r.Code, err)
		}
	}
	body := "Subject: dots\n\n.leading dot\nbare CR\rend"
	r, err := c.Data(ctx, strings.NewReader(body))
	if err != nil || r.Code != 250 {
		t.Fatalf("DATA: %d %v", r.Code, err)
	}
	msgs := l.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	want := "Subject: dots\r\n\r\n.leading dot\r\nbare CR\r\nend\r\n"
	if got := string(msgs[0].Data); got != want {
		t.Errorf("lab received %q, want %q", got, want)
	}
}

// assertNoSecret searches every recorded form of the transcript for the
// secret, its base64 and the PLAIN blob.
func assertNoSecret(t *testing.T, tr *wire.Transcript, secret string) {
	t.Helper()
	var out bytes.Buffer
	WriteTranscript(&out, tr.Entries(), TranscriptFormat{Times: true})
	for _, e := range tr.Entries() {
		out.WriteString(EntryText(e, false))
	}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + lab.User + "\x00" + secret))
	for _, s := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), plain, plain[4:16]} {
		if strings.Contains(out.String(), s) {
			t.Errorf("the transcript shows %q", s)
		}
	}
}
