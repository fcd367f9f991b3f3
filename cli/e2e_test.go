package cli

// End-to-end tests: build the real binary and drive it in tmux, reading the
// screen as a user would. They need tmux (CI installs it); without it they
// are skipped with a message that says so.

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
	"github.com/ehlo-sh/ehlo/lab"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ehloBinary builds the binary once per test run.
func ehloBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ehlo-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ehlo")
		out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// term is one program running in a private tmux server.
type term struct {
	t      *testing.T
	socket string
}

func newTerm(t *testing.T, w, h int, env []string, argv ...string) *term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		testenv.Need(t, "tmux", "install it (apt-get install tmux, brew install tmux)")
	}
	tm := &term{t: t, socket: fmt.Sprintf("ehlo-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())}
	// the command history goes to a directory of the test's, never the
	// user's; the screens are read in English, whatever the user's locale
	// (LC_ALL=zh_CN.UTF-8 made every explorer test fail), and the lab's
	// names go to the lab, whatever resolver the user named; env, after
	// these, may say otherwise
	env = append([]string{"XDG_STATE_HOME=" + t.TempDir(), "LC_ALL=", "LC_MESSAGES=", "LANG=C.UTF-8", "EHLO_RESOLVER="}, env...)
	shell := strings.Join(append(append([]string{"env", "TERM=xterm-256color"}, env...), quoteAll(argv)...), " ")
	tm.tmux("new-session", "-d", "-s", "e2e", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), shell)
	tm.tmux("set-option", "-t", "e2e", "remain-on-exit", "on")
	pid := strings.TrimSpace(tm.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}"))
	// Runs before TempDir's removal (cleanups run last first): the program
	// is gone before its state directory is removed, or a history file it
	// writes as it exits races the removal.
	t.Cleanup(func() {
		exec.Command("tmux", "-L", tm.socket, "kill-server").Run()
		waitGone(t, pid)
	})
	return tm
}

// waitGone polls until process pid has exited (gone, or a zombie no one
// has reaped yet), for at most 10 seconds.
func waitGone(t *testing.T, pid string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return
		}
		// pid (comm) STATE ...: the state follows the last ')'.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("process %s still running 10 s after its terminal was closed", pid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func quoteAll(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", "e2e") }

// typeLine types text literally and presses Enter.
func (tm *term) typeLine(text string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", "e2e", "-l", text)
	tm.tmux("send-keys", "-t", "e2e", "Enter")
}

func (tm *term) keys(keys ...string) { tm.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...) }

// waitFor polls the screen until re matches, for at most 10 seconds, and
// returns the screen. Polling a condition is the only way to know what a
// terminal shows; nothing here sleeps for a fixed time to let work finish.
func (tm *term) waitFor(re string) string {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := tm.screen()
		if rx.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never matched %q:\n%s", re, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// line returns the screen lines that match re, joined.
func lines(screen, re string) string {
	rx := regexp.MustCompile(re)
	var out []string
	for _, l := range strings.Split(screen, "\n") {
		if rx.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// secrets lists the password and the encodings a leak would take.
func secrets(user, password string) []string {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	return []string{password, base64.StdEncoding.EncodeToString([]byte(password)), plain, plain[8:20]}
}

func assertClean(t *testing.T, what, text string, secret []string) {
	t.Helper()
	for _, s := range secret {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", what, s)
		}
	}
}

// explore drives the classic lesson in the TUI: EHLO without AUTH,
// STARTTLS, EHLO with AUTH, AUTH PLAIN, one message, :save, QUIT. It
// returns the saved transcript's path.
func explore(t *testing.T, tm *term, user, password, from, rcpt, subject string) string {
	t.Helper()
	tm.waitFor(`S: 220 `)

	tm.typeLine("EHLO e2e.test")
	s := tm.waitFor(`S: 250 `)
	if !strings.Contains(s, "*STARTTLS") || strings.Contains(s, "AUTH PLAIN") {
		t.Errorf("before TLS the side panel should highlight STARTTLS and show no AUTH:\n%s", s)
	}
	if !strings.Contains(s, "no AUTH before STARTTLS") {
		t.Errorf("the missing AUTH is not pointed out:\n%s", s)
	}

	tm.typeLine("STARTTLS")
	tm.waitFor(`TLS 1\.[23] handshake`)
	tm.typeLine("EHLO e2e.test")
	s = tm.waitFor(`AUTH appeared after STARTTLS`)
	if !regexp.MustCompile(`\+\*AUTH PLAIN LOGIN`).MatchString(s) || !strings.Contains(s, " TLS ") {
		t.Errorf("after TLS, AUTH should appear marked as new, with a TLS badge:\n%s", s)
	}

	tm.typeLine(":auth PLAIN " + user)
	tm.waitFor(`password ›`)
	tm.typeLine(password)
	s = tm.waitFor(`S: 235 `)
	if !strings.Contains(s, `AUTH PLAIN <redacted user="`+user+`">`) {
		t.Errorf("the AUTH line is not shown redacted:\n%s", s)
	}

	tm.typeLine("MAIL FROM:<" + from + ">")
	tm.waitFor(`RCPT TO ›`)
	tm.typeLine("RCPT TO:<" + rcpt + ">")
	tm.waitFor(`DATA or more RCPT TO ›`)
	tm.typeLine("DATA")
	tm.waitFor(`S: 354 `)
	for _, l := range []string{"Subject: " + subject, "", "Hello from the explorer.", ".a line with a leading dot"} {
		tm.typeLine(l)
	}
	tm.typeLine(".")
	s = tm.waitFor(`S: 250 .*(queued|Ok|OK)`)

	saved := filepath.Join(t.TempDir(), "session.txt")
	tm.typeLine(":save " + saved)
	tm.waitFor(`saved`)
	tm.typeLine("QUIT")
	s = tm.waitFor(`S: 221 `)
	assertClean(t, "the screen", s, secrets(user, password))
	return saved
}

func TestTUIExploresTheLab(t *testing.T) {
	bin := ehloBinary(t)
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, l.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "live.txt")
	ep, _ := l.Endpoint("submission")
	tm := newTerm(t, 120, 40, []string{"NO_COLOR=1"}, bin, ep.Addr, "--ca", ca, "--transcript", live)

	saved := explore(t, tm, lab.User, lab.Password, "alice@lab.test", "bob@example.org", "e2e over tmux")

	msgs := l.Messages()
	if len(msgs) != 1 || msgs[0].Subject() != "e2e over tmux" || msgs[0].User != lab.User {
		t.Fatalf("lab mailbox: %+v", msgs)
	}
	if !strings.Contains(string(msgs[0].Data), "\r\n.a line with a leading dot\r\n") {
		t.Errorf("dot-stuffing: the lab received %q", msgs[0].Data)
	}
	for _, f := range []string{saved, live} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
		if !strings.Contains(string(b), "AUTH PLAIN <redacted") || !strings.Contains(string(b), "235") {
			t.Errorf("%s lacks the AUTH exchange:\n%s", f, b)
		}
		assertClean(t, f, string(b), secrets(lab.User, lab.Password))
	}
}

// TestErrorToldOnceOnATerminal: a failed probe or send writes its report to
// the terminal, and the report says why; standard error, the same
// terminal, does not say it again. The commands end with "done" so that
// the screen is read once they have; cat then holds the pane open until
// the test ends it.
func TestErrorToldOnceOnATerminal(t *testing.T) {
	bin := ehloBinary(t)
	for _, argv := range [][]string{
		{bin, "probe", "--timeout", "2s", "127.0.0.1:1"},
		{bin, "send", "--timeout", "2s", "127.0.0.1:1", "--from", "a@example.org", "--to", "b@example.org"},
	} {
		tm := newTerm(t, 120, 20, nil, "sh", "-c", strings.Join(quoteAll(argv), " ")+"; echo done $?; exec cat")
		s := tm.waitFor(`done \d+`)
		if n := strings.Count(s, "nothing listens on 127.0.0.1:1"); n != 1 {
			t.Errorf("%s: the cause is on the screen %d times, want once:\n%s", argv[1], n, s)
		}
	}
}
