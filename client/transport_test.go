package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/wire"
)

// scripted is a fake server that answers each command line by its verb
// (and "." after the data, "BDAT LAST" after the last chunk, whose octets
// it reads) with the lines of replies[verb], in order, and records what it
// read.
type scripted struct {
	addr  string
	lines chan string
}

func startScripted(t *testing.T, replies map[string]string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &scripted{addr: ln.Addr().String(), lines: make(chan string, 100)}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		c.Write([]byte("220 fake.test ready\r\n"))
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			key := strings.ToUpper(strings.Fields(line + " x")[0])
			switch {
			case inData && line != ".":
				continue
			case inData:
				inData, key = false, "."
			}
			s.lines <- line
			if f := strings.Fields(line); key == "BDAT" && len(f) > 1 { // the chunk's octets, then its reply
				n, _ := strconv.Atoi(f[1])
				if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
					return
				}
				if len(f) > 2 && strings.EqualFold(f[2], "LAST") {
					key = "BDAT LAST"
				}
			}
			out, ok := replies[key]
			if !ok {
				out = "250 ok"
			}
			if key == "DATA" && strings.HasPrefix(out, "354") {
				inData = true
			}
			c.Write([]byte(strings.ReplaceAll(out, "\n", "\r\n") + "\r\n"))
			if key == "QUIT" {
				return
			}
		}
	}()
	return s
}

func (s *scripted) sent() []string {
	var out []string
	for {
		select {
		case l := <-s.lines:
			out = append(out, l)
		default:
			return out
		}
	}
}

func lmtpConfig(target string) SendConfig {
	return SendConfig{Target: target, Options: Options{Timeout: 5 * time.Second, DataTimeout: 2 * time.Second, LMTP: true},
		Message: &Message{From: addr("a@x.test"), Text: Content{Text: "hi\n"}}, Rcpts: []string{"b@x.test", "c@x.test"}, StartTLS: StartTLSNever}
}

// LMTP: LHLO, then one reply per recipient after the message, each shown;
// one refused is no success (RFC 2033 4.2).
func TestSendLMTPPerRecipient(t *testing.T) {
	s := startScripted(t, map[string]string{
		"LHLO": "250-fake.test\n250 PIPELINING",
		"DATA": "354 go on",
		".":    "250 2.0.0 <b@x.test> saved\n452 4.2.2 <c@x.test> mailbox full",
	})
	cfg := lmtpConfig(s.addr)
	if err := cfg.Message.Scan(); err != nil {
		t.Fatal(err)
	}
	res := Send(context.Background(), cfg, nil)
	if res.Delivered() {
		t.Fatal("counted as delivered with one recipient refused after the message")
	}
	if len(res.Deliveries) != 2 || !res.Deliveries[0].Delivered() || res.Deliveries[1].Delivered() || res.Deliveries[1].Rcpt != "c@x.test" {
		t.Fatalf("deliveries %+v", res.Deliveries)
	}
	var re *RefusedError
	if !errors.As(res.Err, &re) || !isStep(res.Err, StepDataEnd) || !strings.Contains(re.Command, "<c@x.test>") {
		t.Errorf("err = %v", res.Err)
	}
	if sent := s.sent(); len(sent) == 0 || sent[0] != "LHLO ehlo.localhost" {
		t.Errorf("sent %q, want LHLO first", sent)
	}
	var out strings.Builder
	WriteSend(&out, res)
	for _, want := range []string{"delivered <b@x.test>", "NOT DELIVERED <c@x.test>  452 4.2.2", "NOT delivered to every recipient"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	j := res.JSON(10)
	if len(j.Deliveries) != 2 || j.Deliveries[1].Delivered || j.Transport == nil || j.Transport.Protocol != "lmtp" {
		t.Errorf("JSON deliveries %+v, transport %+v", j.Deliveries, j.Transport)
	}
}

func TestSendLMTPAllDelivered(t *testing.T) {
	s := startScripted(t, map[string]string{
		"LHLO": "250 fake.test",
		"DATA": "354 go on",
		".":    "250 2.0.0 <b@x.test> saved\n250 2.0.0 <c@x.test> saved",
	})
	cfg := lmtpConfig(s.addr)
	cfg.Message.Scan()
	if res := Send(context.Background(), cfg, nil); !res.Delivered() || res.Err != nil || len(res.Deliveries) != 2 {
		t.Fatalf("delivered %v, err %v, deliveries %+v", res.Delivered(), res.Err, res.Deliveries)
	}
}

// One reply where two are due: the second recipient's fate is unknown,
// said as such, never a success.
func TestSendLMTPMissingReply(t *testing.T) {
	s := startScripted(t, map[string]string{
		"LHLO": "250 fake.test",
		"DATA": "354 go on",
		".":    "250 2.0.0 <b@x.test> saved",
	})
	cfg := lmtpConfig(s.addr)
	cfg.Options.DataTimeout = 300 * time.Millisecond
	cfg.Message.Scan()
	res := Send(context.Background(), cfg, nil)
	var ue *UnansweredError
	if res.Delivered() || !errors.As(res.Err, &ue) {
		t.Fatalf("delivered %v, err %v", res.Delivered(), res.Err)
	}
}

// A recipient refused at RCPT in LMTP: the others get the message, the
// send is no success.
func TestSendLMTPRecipientRefused(t *testing.T) {
	s := startScripted(t, map[string]string{
		"LHLO": "250 fake.test",
		"RCPT": "550 5.1.1 unknown",
		"DATA": "354 go on",
	})
	cfg := lmtpConfig(s.addr)
	cfg.Rcpts = []string{"b@x.test"}
	cfg.Message.Scan()
	if res := Send(context.Background(), cfg, nil); res.Delivered() || !isStep(res.Err, StepRcpt) {
		t.Fatalf("delivered %v, err %v", res.Delivered(), res.Err)
	}
}

func TestSendXClient(t *testing.T) {
	s := startScripted(t, map[string]string{
		"EHLO":    "250-fake.test\n250 XCLIENT NAME ADDR",
		"XCLIENT": "220 fake.test ready again",
		"DATA":    "354 go on",
	})
	cfg := SendConfig{Target: s.addr, Options: Options{Timeout: 5 * time.Second}, StartTLS: StartTLSNever,
		Message: &Message{From: addr("a@x.test"), Text: Content{Text: "hi\n"}}, Rcpts: []string{"b@x.test"}, XClient: []string{"ADDR=192.0.2.7"}}
	cfg.Message.Scan()
	res := Send(context.Background(), cfg, nil)
	if !res.Delivered() || res.XClient == nil || res.XClient.Reply.Code != 220 {
		t.Fatalf("delivered %v, err %v, xclient %+v", res.Delivered(), res.Err, res.XClient)
	}
	sent := s.sent()
	if len(sent) < 3 || sent[0] != "EHLO ehlo.localhost" || sent[1] != "XCLIENT ADDR=192.0.2.7" || sent[2] != "EHLO ehlo.localhost" {
		t.Errorf("sent %q: want EHLO, XCLIENT, EHLO again", sent)
	}
}

func TestSendXClientNotOffered(t *testing.T) {
	for caps, want := range map[string]string{
		"250 fake.test":                   "does not offer XCLIENT",
		"250-fake.test\n250 XCLIENT NAME": "takes NAME, not ADDR",
	} {
		s := startScripted(t, map[string]string{"EHLO": caps})
		cfg := SendConfig{Target: s.addr, Options: Options{Timeout: 5 * time.Second}, StartTLS: StartTLSNever,
			Message: &Message{From: addr("a@x.test"), Text: Content{Text: "hi\n"}}, Rcpts: []string{"b@x.test"}, XClient: []string{"ADDR=192.0.2.7"}}
		cfg.Message.Scan()
		res := Send(context.Background(), cfg, nil)
		if !isStep(res.Err, StepXClient) || !strings.Contains(Explain(res.Err), want) {
			t.Errorf("%q: err %v", caps, res.Err)
		}
		for _, l := range s.sent() {
			if strings.HasPrefix(l, "XCLIENT") || strings.HasPrefix(l, "MAIL") {
				t.Errorf("%q: sent %q", caps, l)
			}
		}
	}
}

func TestRouteWords(t *testing.T) {
	if got := routeWords(nil, "127.0.0.1:25", false); got != "127.0.0.1:25" {
		t.Errorf("plain TCP: %q", got)
	}
	r := &wire.Route{Kind: "tcp", Remote: "mx.test:25", Proxy: "socks5://u@127.0.0.1:1080"}
	if got := routeWords(r, "mx.test:25", true); got != "tcp mx.test:25 via socks5://u@127.0.0.1:1080, LMTP" {
		t.Errorf("through a proxy: %q", got)
	}
}

// A server that expects no PROXY header greets, then answers the header
// as a command: told as a header not accepted, with the command line to
// drop. One that takes it is not held up past the short wait.
func TestProxyHeaderNotExpected(t *testing.T) {
	for _, tt := range []struct {
		name    string
		after   string // what the server writes after reading the header
		refused bool
	}{
		{"answered as a command", "502 5.5.2 Error: command not recognized\r\n", true},
		{"taken", "", false},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			c.Write([]byte("220 mx.test ESMTP\r\n"))
			r := bufio.NewReader(c)
			line, _ := r.ReadString('\n')
			if strings.HasPrefix(line, "PROXY TCP4 ") {
				c.Write([]byte(tt.after))
			}
			io.Copy(io.Discard, r) // open until the client closes
		}()
		h, _ := wire.ParseProxyHeader("v1", "203.0.113.9:1")
		opts := Options{Timeout: 5 * time.Second, Transport: wire.Transport{Header: h}}
		c, err := Dial(context.Background(), ln.Addr().String(), opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Greeting(context.Background())
		c.Close()
		var he *ProxyHeaderError
		if got := errors.As(err, &he); got != tt.refused {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if tt.refused && !strings.Contains(Explain(err), "does not expect a PROXY header on this port (drop --proxy-protocol)") {
			t.Errorf("%s: %s", tt.name, Explain(err))
		}
	}
}

// LMTP with BDAT (RFC 2033 + RFC 3030): the last chunk gets one reply per
// accepted recipient, as "." does; each is shown, one refused is no
// success, and one missing is a fate unknown, never a success.
func TestSendLMTPBDAT(t *testing.T) {
	for _, c := range []struct {
		name, last string
		delivered  bool
		refused    string // the recipient named in the refusal
		unanswered bool
	}{
		{"both delivered", "250 2.0.0 <b@x.test> saved\n250 2.0.0 <c@x.test> saved", true, "", false},
		{"one refused", "250 2.0.0 <b@x.test> saved\n452 4.2.2 <c@x.test> mailbox full", false, "<c@x.test>", false},
		{"one missing", "250 2.0.0 <b@x.test> saved", false, "", true},
	} {
		s := startScripted(t, map[string]string{"LHLO": "250-fake.test\n250 CHUNKING", "BDAT LAST": c.last})
		cfg := lmtpConfig(s.addr)
		cfg.BodyMode, cfg.Options.DataTimeout = BodyBDAT, 300*time.Millisecond
		if err := cfg.Message.Scan(); err != nil {
			t.Fatal(err)
		}
		res := Send(context.Background(), cfg, nil)
		if res.Delivered() != c.delivered || res.BodyMode != "BDAT" {
			t.Errorf("%s: delivered %v, body %s, err %v", c.name, res.Delivered(), res.BodyMode, res.Err)
		}
		var re *RefusedError
		var ue *UnansweredError
		switch {
		case c.refused != "" && (!errors.As(res.Err, &re) || !strings.Contains(re.Command, c.refused) || !isStep(res.Err, StepDataEnd)):
			t.Errorf("%s: err %v, want the delivery to %s refused", c.name, res.Err, c.refused)
		case c.unanswered && !errors.As(res.Err, &ue):
			t.Errorf("%s: err %v, want a reply missing", c.name, res.Err)
		case c.delivered && (res.Err != nil || len(res.Deliveries) != 2):
			t.Errorf("%s: err %v, deliveries %+v", c.name, res.Err, res.Deliveries)
		}
		if sent := s.sent(); !slices.ContainsFunc(sent, func(l string) bool { return strings.HasSuffix(l, " LAST") }) {
			t.Errorf("%s: sent %q, want a BDAT ... LAST", c.name, sent)
		}
	}
}
