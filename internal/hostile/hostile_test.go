package hostile

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
)

func TestFixturesParse(t *testing.T) {
	names := Names()
	if len(names) < 20 {
		t.Fatalf("only %d fixtures: %v", len(names), names)
	}
	for _, n := range names {
		sc := Load(n)
		if sc.Doc == "" || len(sc.Steps) == 0 {
			t.Errorf("%s: no doc comment or no steps", n)
		}
	}
	for _, bad := range []string{"bogus 1", `send "unterminated`, "trickle x \"a\"", "repeat many \"a\"", "tls good 0.9"} {
		if _, err := Parse("bad", bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestServerPlaysScript(t *testing.T) {
	CheckLeaks(t)
	sc, err := Parse("t", `# test
send "220 hi\r\n"
expect ehlo
repeat 3 "250-x\r\n"
fill 5 "ab"
trickle 1ms "\r\n"
close`)
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, sc)
	nc, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tap := NewTap(nc)
	br := bufio.NewReader(tap)
	if l, _ := br.ReadString('\n'); l != "220 hi\r\n" {
		t.Fatalf("greeting %q", l)
	}
	io.WriteString(nc, "NOOP\r\nEHLO me\r\n")
	rest, _ := io.ReadAll(br)
	if string(rest) != "250-x\r\n250-x\r\n250-x\r\nababa\r\n" {
		t.Fatalf("rest %q", rest)
	}
	c := s.Conn(t).Wait(t)
	if got := string(c.Got()); got != "NOOP\r\nEHLO me\r\n" {
		t.Errorf("got %q", got)
	}
	if !bytes.Equal(c.Wrote(), tap.Bytes()) {
		t.Errorf("wrote %q, client read %q", c.Wrote(), tap.Bytes())
	}
}

func TestServerTLSAndReset(t *testing.T) {
	CheckLeaks(t)
	s := Start(t, Load("implicit-tls"))
	tc, err := tls.Dial("tcp", s.Addr, &tls.Config{RootCAs: Roots(), ServerName: "mx.hostile.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	br := bufio.NewReader(tc)
	if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "220 ") {
		t.Fatalf("greeting %q", l)
	}
	for _, name := range []string{"expired", "wrongname", "selfsigned"} {
		if _, err := Certificate(name); err != nil {
			t.Error(err)
		}
	}

	r := Start(t, Load("rst-mid-reply"))
	nc, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, "EHLO x\r\n")
	_, err = io.ReadAll(nc)
	if err == nil || !strings.Contains(err.Error(), "reset") {
		t.Errorf("after RST: %v, want connection reset", err)
	}
}

func TestChecks(t *testing.T) {
	for _, s := range []string{"a\x1bb", "a\rb", "\u009b", "x\u202ey", "\xff", "\x00"} {
		bad := false
		for _, r := range s {
			if Unsafe(r) != "" || r == 0xfffd {
				bad = true
			}
		}
		if !bad {
			t.Errorf("%q passes", s)
		}
	}
	sec := SecretsOf("alice", "Tr0ub4dor&3-hostile")
	if len(sec.Pieces) < 20 {
		t.Fatalf("pieces %v", sec.Pieces)
	}
	if b := Random(100, 1); !bytes.Equal(b, Random(100, 1)) {
		t.Error("Random is not deterministic")
	}
}

func TestEcho(t *testing.T) {
	tmpl := []byte("{b64}|{secret}|{decoded}|{line}")
	for _, tt := range []struct{ line, want string }{
		{"AUTH PLAIN AGFsaWNlAHB3", "AGFsaWNlAHB3|pw|\x00alice\x00pw|AUTH PLAIN AGFsaWNlAHB3"},
		{"cHc=", "cHc=|pw|pw|cHc="}, // a LOGIN response
		{"AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHRvawEB", "dXNlcj1hAWF1dGg9QmVhcmVyIHRvawEB|tok|user=a\x01auth=Bearer tok\x01\x01|AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHRvawEB"},
	} {
		if got := string(Echo(tmpl, tt.line)); got != tt.want {
			t.Errorf("Echo(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
