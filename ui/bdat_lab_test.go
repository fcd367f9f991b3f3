package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// TestLabBDATByHand types a BDAT chunk by hand against the lab's mx
// endpoint (go-smtp implements RFC 3030): the BDAT line waits for its
// octets, typed as lines counted with their CRLF, and goes out with them
// when the count is reached. Before, the line went alone and waited for a
// reply the server would never send while it waited for the data. The
// session saved as a script then replays byte for byte.
func TestLabBDATByHand(t *testing.T) {
	l, obs, send, _ := labTUI(t)
	idle := func(s snapshot) bool { return s.idle && s.conn == phaseOpen }

	send("EHLO test.example")
	obs.wait(t, "EHLO", func(s snapshot) bool { return idle(s) && s.sess.Caps.Has("CHUNKING") })
	send("MAIL FROM:<" + lab.User + "@" + lab.Domain + ">")
	send("RCPT TO:<bob@" + lab.Domain + ">")
	obs.wait(t, "the envelope", func(s snapshot) bool { return idle(s) && len(s.sess.Rcpts) == 1 })

	want := "Subject: by hand\r\n\r\nHello Bob!\r\n" // 18 + 2 + 12 octets
	send("BDAT 32 LAST")
	obs.wait(t, "the chunk's prompt", func(s snapshot) bool { return strings.Contains(s.status, "chunk: 0 of 32 bytes") })
	send("Subject: by hand")
	obs.wait(t, "the count", func(s snapshot) bool { return strings.Contains(s.status, "chunk: 18 of 32 bytes") })
	send("")
	send("Hello Bob!")
	s := obs.wait(t, "the last chunk's reply", func(s snapshot) bool {
		return idle(s) && s.sess.Phase == session.PhaseReady && strings.Contains(s.flash, "accepted")
	})
	msgs := l.Messages()
	if len(msgs) != 1 || string(msgs[0].Data) != want {
		t.Fatalf("mailbox: %q", msgs)
	}
	if !strings.Contains(s.text, "C: BDAT 32 LAST\n") || !strings.Contains(s.text, "C: Hello Bob!\n") {
		t.Errorf("transcript:\n%s", s.text)
	}

	path := filepath.Join(t.TempDir(), "bdat.ehlo")
	send(":save --script " + path)
	obs.wait(t, "the script", func(s snapshot) bool { return strings.HasPrefix(s.flash, "saved") })
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	script, err := client.ParseScript(path, f)
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := l.Endpoint("mx")
	res := client.RunScript(context.Background(), script, client.RunConfig{Target: ep.Addr, Options: client.Options{RootCAs: l.CertPool()}}, nil)
	if !res.OK() || res.Checked != 5 {
		b, _ := os.ReadFile(path)
		t.Fatalf("replay: checked %d, failure %v, err %v; script:\n%s", res.Checked, res.Failure, res.Err, b)
	}
	if msgs := l.Messages(); len(msgs) != 2 || string(msgs[1].Data) != want {
		t.Fatalf("mailbox after the replay: %q", msgs)
	}
}
