package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// These tests run ehlo against the real components behind its transports:
// Dovecot's LMTP server and two microsocks SOCKS5 proxies
// (scripts/transport-lab.sh), and the Postfix lab's port behind the PROXY
// protocol, its XCLIENT port and its sendmail -bs (scripts/postfix-lab.sh).

// transportLab is scripts/transport-lab.sh's env.
type transportLab struct {
	lmtpTCP, lmtpSocket, maildirs string
	users                         []string
	socks, socksAuth              string
	socksUser, socksPassword      string
}

func needTransportLab(t *testing.T) transportLab {
	t.Helper()
	l := transportLab{lmtpTCP: os.Getenv("EHLO_LMTP_TCP"), lmtpSocket: os.Getenv("EHLO_LMTP_SOCKET"),
		maildirs: os.Getenv("EHLO_LMTP_MAILDIRS"), users: strings.Split(os.Getenv("EHLO_LMTP_USERS"), ","),
		socks: os.Getenv("EHLO_SOCKS"), socksAuth: os.Getenv("EHLO_SOCKS_AUTH"),
		socksUser: os.Getenv("EHLO_SOCKS_USER"), socksPassword: os.Getenv("EHLO_SOCKS_PASSWORD")}
	if l.lmtpTCP == "" || l.socks == "" || len(l.users) < 2 {
		testenv.Need(t, "the transport lab (Dovecot LMTP, microsocks)", "sudo bash scripts/transport-lab.sh up, then load its env file: "+
			"set -a; . /var/lib/ehlo-transport-lab/env; set +a")
	}
	return l
}

// sendJSON decodes `send --json`.
type sendJSON struct {
	Transport *struct {
		Kind, Remote, Proxy, Protocol string
		ProxyProtocol                 string `json:"proxy_protocol"`
		ClaimedSource                 string `json:"claimed_source"`
	} `json:"transport"`
	Recipients []struct {
		Address  string `json:"address"`
		Accepted bool   `json:"accepted"`
		Code     int    `json:"code"`
	} `json:"recipients"`
	Deliveries []struct {
		Address   string `json:"address"`
		Delivered bool   `json:"delivered"`
		Code      int    `json:"code"`
	} `json:"deliveries"`
	Delivered bool   `json:"delivered"`
	Error     string `json:"error"`
}

func decodeSend(t *testing.T, out string) sendJSON {
	t.Helper()
	var j sendJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("send --json: %v\n%s", err, out)
	}
	return j
}

// LMTP over TCP and over the unix socket: two known recipients and one
// unknown. Dovecot refuses the unknown one at RCPT and gives one reply per
// accepted recipient after the message; each is shown, the mail is in both
// maildirs, and the send is no success, for one recipient got nothing.
func TestLMTPDovecot(t *testing.T) {
	l := needTransportLab(t)
	for _, target := range []string{l.lmtpTCP, "unix:" + l.lmtpSocket} {
		subject := fmt.Sprintf("lmtp interop %d", time.Now().UnixNano())
		code, out, errOut := run(t, "send", target, "--protocol", "lmtp", "--from", "sender@example.org",
			"--to", l.users[0], "--to", "nobody@lmtp.test", "--to", l.users[1], "--subject", subject, "--json")
		j := decodeSend(t, out)
		if code != exitRcpt || j.Delivered {
			t.Errorf("%s: exit %d, delivered %v: one recipient refused is no success (stderr %s)", target, code, j.Delivered, errOut)
		}
		if len(j.Deliveries) != 2 || !j.Deliveries[0].Delivered || !j.Deliveries[1].Delivered ||
			j.Deliveries[0].Address != l.users[0] || j.Deliveries[1].Address != l.users[1] {
			t.Errorf("%s: deliveries %+v, want one per accepted recipient, in order", target, j.Deliveries)
		}
		if len(j.Recipients) != 3 || j.Recipients[1].Accepted || j.Recipients[1].Code != 550 {
			t.Errorf("%s: recipients %+v", target, j.Recipients)
		}
		kind := "tcp"
		if strings.HasPrefix(target, "unix:") {
			kind = "unix"
		}
		if j.Transport == nil || j.Transport.Kind != kind || j.Transport.Protocol != "lmtp" {
			t.Errorf("%s: transport %+v", target, j.Transport)
		}
		for _, u := range l.users[:2] {
			box := filepath.Join(l.maildirs, strings.Split(u, "@")[0], "Maildir")
			waitForMaildirHeaderFor(t, box, "Subject", subject, 20*time.Second)
		}
	}
}

// Every recipient known: exit 0, and the text report shows each
// recipient's reply after the message.
func TestLMTPDovecotAllDelivered(t *testing.T) {
	l := needTransportLab(t)
	code, out, errOut := run(t, "send", "unix:"+l.lmtpSocket, "--protocol", "lmtp", "--from", "sender@example.org",
		"--to", l.users[0], "--to", l.users[1], "--subject", "lmtp all")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"C: LHLO ", "delivered <" + l.users[0] + ">  250 2.0.0", "delivered <" + l.users[1] + ">  250 2.0.0",
		"delivered to every recipient"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "probe", "--protocol", "lmtp", l.lmtpTCP)
	if code != 0 || !strings.Contains(out, "LHLO") || !strings.Contains(out, ", LMTP") {
		t.Errorf("probe --protocol lmtp: exit %d\n%s", code, out)
	}
	// run: the expect after "." checks every recipient's reply, the first
	// not 2xx if any; here both are delivered
	script := filepath.Join(t.TempDir(), "lmtp.ehlo")
	body := "expect 220\nLHLO me\nexpect 250\nMAIL FROM:<a@example.org>\nexpect 250\nRCPT TO:<" + l.users[0] + ">\nexpect 250\n" +
		"RCPT TO:<" + l.users[1] + ">\nexpect 250\nDATA\nexpect 354\nSubject: run lmtp\n\nhi\n.\nexpect 250\nQUIT\nexpect 221\n"
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "run", script, "unix:"+l.lmtpSocket, "--protocol", "lmtp")
	if code != 0 || strings.Count(out, "S: 250 2.0.0 <") != 2 {
		t.Errorf("run --protocol lmtp: exit %d\n%s\n%s", code, out, errOut)
	}
}

// doctor --protocol lmtp --send: the findings read every recipient's reply
// after the message, each named, not the first alone.
func TestLMTPDovecotDoctor(t *testing.T) {
	l := needTransportLab(t)
	code, out, errOut := run(t, "doctor", "unix:"+l.lmtpSocket, "--protocol", "lmtp", "--from", "sender@example.org",
		"--to", l.users[0], "--to", l.users[1], "--send", "--json")
	var v struct {
		Findings []struct {
			ID       string   `json:"id"`
			Evidence []string `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
		t.Fatalf("doctor: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	for _, f := range v.Findings {
		if f.ID != "message-accepted" {
			continue
		}
		ev := strings.Join(f.Evidence, "\n")
		for _, u := range l.users[:2] {
			if !strings.Contains(ev, "* LMTP: the reply for <"+u+">") || !strings.Contains(ev, "S: 250 2.0.0 <"+u+">") {
				t.Errorf("message-accepted's evidence lacks %s's reply:\n%s", u, ev)
			}
		}
		return
	}
	t.Errorf("no message-accepted finding: %s", out)
}

// SOCKS5: the open proxy, the one that wants a password (given, wrong,
// missing), and a destination the proxy cannot reach.
func TestSOCKS5Microsocks(t *testing.T) {
	l := needTransportLab(t)
	code, out, errOut := run(t, "probe", l.lmtpTCP, "--protocol", "lmtp", "--proxy", "socks5://"+l.socks, "--json")
	if code != 0 || !strings.Contains(out, `"proxy": "socks5://`+l.socks+`"`) || !strings.Contains(out, `"code": 220`) {
		t.Errorf("through the open proxy: exit %d\n%s\n%s", code, out, errOut)
	}
	withPw := fmt.Sprintf("socks5://%s:%s@%s", l.socksUser, l.socksPassword, l.socksAuth)
	code, out, errOut = run(t, "probe", l.lmtpTCP, "--protocol", "lmtp", "--proxy", withPw, "--transcript")
	if code != 0 || !strings.Contains(out, "via socks5://"+l.socksUser+"@"+l.socksAuth) {
		t.Errorf("through the proxy with a password: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, l.socksPassword) {
		t.Errorf("the proxy's password is shown:\n%s\n%s", out, errOut)
	}
	for _, tt := range []struct{ proxy, want string }{
		{fmt.Sprintf("socks5://%s:wrong-pw@%s", l.socksUser, l.socksAuth), "refused the user name and password"},
		{"socks5://" + l.socksAuth, "accepts none of the authentication methods"},
	} {
		code, out, errOut = run(t, "probe", l.lmtpTCP, "--proxy", tt.proxy)
		if code != 1 || !strings.Contains(errOut, "connect: the proxy") || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tt.proxy, code, errOut, tt.want)
		}
		if strings.Contains(out+errOut, "wrong-pw") {
			t.Errorf("the password is shown: %s", out+errOut)
		}
	}
	code, _, errOut = run(t, "probe", "127.0.0.1:10089", "--proxy", "socks5://"+l.socks, "--timeout", "10s")
	if code != 1 || !strings.Contains(errOut, "could not connect to 127.0.0.1:10089") {
		t.Errorf("an unreachable destination: exit %d, %q", code, errOut)
	}
	// something that is no SOCKS proxy at all: the LMTP server
	code, _, errOut = run(t, "probe", "127.0.0.1:25", "--proxy", "socks5://"+l.lmtpTCP)
	if code != 1 || !strings.Contains(errOut, "does not speak SOCKS5") || !strings.Contains(errOut, "220") {
		t.Errorf("a proxy that is an LMTP server: exit %d, %q", code, errOut)
	}
}

// A unix socket path that is a regular file, or nothing: said so.
func TestUnixTargetNotASocket(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-socket")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "probe", "unix:"+file)
	if code != 1 || !strings.Contains(errOut, file+" is a regular file, not a unix socket") {
		t.Errorf("exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, "send", "unix:"+file+".none", "--from", "a@x.test", "--to", "b@x.test")
	if code != exitConnect || !strings.Contains(errOut, "no unix socket at") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

// postfixTransport is the Postfix lab's env for its transport ports.
type postfixTransport struct {
	postfix
	proxyProto, xclient, conf string
}

func needPostfixTransport(t *testing.T) postfixTransport {
	t.Helper()
	p := postfixTransport{postfix: needMaildir(t), proxyProto: os.Getenv("EHLO_POSTFIX_PROXYPROTO"),
		xclient: os.Getenv("EHLO_POSTFIX_XCLIENT"), conf: os.Getenv("EHLO_POSTFIX_CONF")}
	if p.proxyProto == "" || p.xclient == "" || p.conf == "" {
		testenv.Need(t, "the Postfix lab's PROXY protocol and XCLIENT ports", "sudo bash scripts/postfix-lab.sh up (it writes EHLO_POSTFIX_PROXYPROTO, EHLO_POSTFIX_XCLIENT and EHLO_POSTFIX_CONF to its env file)")
	}
	return p
}

// The PROXY header, v1 and v2: Postfix takes the address claimed as the
// client's and puts it in Received:. A header the server does not expect
// (the MX port) is said so.
func TestProxyProtocolPostfix(t *testing.T) {
	pf := needPostfixTransport(t)
	for i, version := range []string{"v1", "v2"} {
		claimed := fmt.Sprintf("203.0.113.%d", 10+i)
		subject := fmt.Sprintf("proxy protocol %s %d", version, time.Now().UnixNano())
		code, out, errOut := run(t, "send", pf.proxyProto, "--proxy-protocol", version, "--proxy-source", claimed+":40000",
			"--ca", pf.ca, "--servername", "localhost", "--from", "sender@example.org", "--to", pf.user+"@localhost", "--subject", subject, "--json")
		j := decodeSend(t, out)
		if code != 0 || !j.Delivered {
			t.Fatalf("%s: exit %d: %s %s", version, code, j.Error, errOut)
		}
		if j.Transport == nil || j.Transport.ProxyProtocol != version || j.Transport.ClaimedSource != claimed+":40000" {
			t.Errorf("%s: transport %+v", version, j.Transport)
		}
		msg := string(waitForMaildirHeaderFor(t, pf.maildir, "Subject", subject, 20*time.Second))
		if !strings.Contains(msg, "["+claimed+"]") {
			t.Errorf("%s: Received: does not name the claimed %s:\n%s", version, claimed, msg)
		}
	}
	code, out, errOut := run(t, "probe", pf.mx, "--proxy-protocol", "v1", "--proxy-source", "203.0.113.9:1", "--no-starttls")
	if code != 1 || !strings.Contains(out+errOut, "does not expect a PROXY header on this port") {
		t.Errorf("a header where none is expected: exit %d\n%s\n%s", code, out, errOut)
	}
}

// send --xclient: Postfix on the XCLIENT port takes the address claimed
// (Received: names it); the MX port does not offer XCLIENT: exit 12,
// nothing sent.
func TestXClientPostfix(t *testing.T) {
	pf := needPostfixTransport(t)
	subject := fmt.Sprintf("xclient %d", time.Now().UnixNano())
	code, out, errOut := run(t, "send", pf.xclient, "--xclient", "ADDR=192.0.2.55", "--xclient", "NAME=client.example.org",
		"--ca", pf.ca, "--servername", "localhost", "--from", "sender@example.org", "--to", pf.user+"@localhost", "--subject", subject)
	if code != 0 || !strings.Contains(out, "xclient   XCLIENT ADDR=192.0.2.55 NAME=client.example.org  220") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	msg := string(waitForMaildirHeaderFor(t, pf.maildir, "Subject", subject, 20*time.Second))
	if !strings.Contains(msg, "client.example.org [192.0.2.55]") {
		t.Errorf("Received: does not name the client claimed:\n%s", msg)
	}
	code, out, errOut = run(t, "send", pf.mx, "--xclient", "ADDR=192.0.2.55", "--ca", pf.ca, "--servername", "localhost",
		"--from", "sender@example.org", "--to", pf.user+"@localhost")
	if code != exitXClient || !strings.Contains(errOut, "does not offer XCLIENT") || strings.Contains(out, "XCLIENT ADDR") {
		t.Errorf("XCLIENT where not offered: exit %d\n%s\n%s", code, out, errOut)
	}
}

// --pipe: Postfix's sendmail -bs speaks SMTP on its stdin and stdout; the
// message lands in the maildir. A program that exits at once is said so,
// with its stderr sanitized.
func TestPipeSendmail(t *testing.T) {
	pf := needPostfixTransport(t)
	if os.Geteuid() != 0 {
		testenv.Need(t, "root, for Postfix's sendmail -bs of the lab instance", "run the tests as root (CI does)")
	}
	subject := fmt.Sprintf("pipe %d", time.Now().UnixNano())
	code, out, errOut := run(t, "send", "--pipe", "sendmail -C "+pf.conf+" -bs", "--from", "root@localhost",
		"--to", pf.user+"@localhost", "--subject", subject, "--json")
	j := decodeSend(t, out)
	if code != 0 || !j.Delivered || j.Transport == nil || j.Transport.Kind != "pipe" {
		t.Fatalf("exit %d, %+v: %s %s", code, j.Transport, j.Error, errOut)
	}
	waitForMaildirHeaderFor(t, pf.maildir, "Subject", subject, 20*time.Second)
}

// --pipe with programs that are no SMTP server: one that exits at once
// (its exit status and stderr told, sanitized), one that floods its
// output (stopped by the reply limits, the program ended, said so).
func TestPipeBadPrograms(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the commands are for /bin/sh")
	}
	code, out, errOut := run(t, "probe", "--pipe", `printf 'queue \033]0;pwned\007 broken\n' >&2; exit 75`)
	if code != 1 || !strings.Contains(errOut, "ended its output before the session did (exit status 75)") ||
		!strings.Contains(errOut, `\x1b]0;pwned\x07`) || strings.Contains(out+errOut, "\x1b") {
		t.Errorf("a program that exits at once: exit %d\n%q\n%q", code, out, errOut)
	}
	start := time.Now()
	code, out, errOut = run(t, "send", "--pipe", "yes 220-flood", "--from", "a@x.test", "--to", "b@x.test")
	if code != exitBanner || !strings.Contains(errOut, "flooded its output (reply longer than 256 lines)") {
		t.Errorf("a program that floods: exit %d\n%s\n%s", code, out, errOut)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the flood took %v to stop", took)
	}
}
