package session

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

const (
	password = "wonderland"
	b64User  = "YWxpY2U="         // alice
	b64Pass  = "d29uZGVybGFuZA==" // wonderland
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMechanisms(t *testing.T) {
	ir, err := Plain("", "alice", password).Start()
	if err != nil || string(ir) != "\x00alice\x00wonderland" {
		t.Errorf("PLAIN Start = %q, %v", ir, err)
	}
	ir, _ = Plain("admin", "alice", password).Start()
	if string(ir) != "admin\x00alice\x00wonderland" {
		t.Errorf("PLAIN with identity = %q", ir)
	}
	if _, err := Plain("", "alice", password).Next(nil); !errors.Is(err, ErrUnexpectedChallenge) {
		t.Errorf("PLAIN Next error = %v", err)
	}

	login := Login("alice", password)
	ir, err = login.Start()
	if ir != nil || err != nil {
		t.Errorf("LOGIN Start = %q, %v", ir, err)
	}
	// By round, whatever the prompt says.
	for i, want := range []string{"alice", password} {
		got, err := login.Next([]byte("Prompt?"))
		if err != nil || string(got) != want {
			t.Errorf("LOGIN round %d = %q, %v", i+1, got, err)
		}
	}
	if _, err := login.Next([]byte("Password:")); !errors.Is(err, ErrUnexpectedChallenge) {
		t.Errorf("LOGIN third round error = %v", err)
	}

	// RFC 2195 section 2.
	cram := CramMD5("tim", "tanstaaftanstaaf")
	got, err := cram.Next([]byte("<1896.697170952@postoffice.reston.mci.net>"))
	if err != nil || string(got) != "tim b913a602c7eda7a495b4e6e7334d3890" {
		t.Errorf("CRAM-MD5 = %q, %v", got, err)
	}
	if _, err := cram.Next([]byte("again")); !errors.Is(err, ErrUnexpectedChallenge) {
		t.Errorf("CRAM-MD5 second round error = %v", err)
	}

	x := XOAuth2("alice@example.org", "ya29.token")
	ir, _ = x.Start()
	if string(ir) != "user=alice@example.org\x01auth=Bearer ya29.token\x01\x01" {
		t.Errorf("XOAUTH2 Start = %q", ir)
	}
	if resp, err := x.Next([]byte(`{"status":"401"}`)); err != nil || resp == nil || len(resp) != 0 {
		t.Errorf("XOAUTH2 error answer = %q, %v", resp, err)
	}
	if _, err := x.Next(nil); !errors.Is(err, ErrUnexpectedChallenge) {
		t.Errorf("XOAUTH2 second answer error = %v", err)
	}
}

func TestMechanismRefusesSeparators(t *testing.T) {
	for _, m := range []Mechanism{
		Plain("", "alice", "wonder\x00land"),
		Plain("", "al\x00ice", password),
		XOAuth2("alice", "s3cr\x01et"),
	} {
		_, err := m.Start()
		if err == nil {
			t.Errorf("%s accepted a separator in a field", m.Name())
			continue
		}
		if strings.Contains(err.Error(), "wonder") || strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%s error leaks the secret: %v", m.Name(), err)
		}
	}
}

func TestNewMechanism(t *testing.T) {
	for name, want := range map[string]string{"plain": "PLAIN", "Login": "LOGIN", "cram-md5": "CRAM-MD5", "XOAUTH2": "XOAUTH2",
		"scram-sha-1": "SCRAM-SHA-1", "SCRAM-SHA-256": "SCRAM-SHA-256", "oauthbearer": "OAUTHBEARER"} {
		m, err := NewMechanism(name, "alice", password)
		if err != nil || m.Name() != want {
			t.Errorf("NewMechanism(%q) = %v, %v", name, m, err)
		}
	}
	_, err := NewMechanism("GSSAPI", "alice", password)
	if !errors.Is(err, ErrUnsupportedMechanism) || strings.Contains(err.Error(), password) {
		t.Errorf("NewMechanism(GSSAPI) error = %v", err)
	}
}

func TestPreferredMechanism(t *testing.T) {
	tests := []struct {
		adv  []string
		want string
	}{
		{[]string{"LOGIN", "PLAIN", "XOAUTH2", "PLAIN-CLIENTTOKEN", "OAUTHBEARER", "XOAUTH"}, "PLAIN"},
		{[]string{"LOGIN", "PLAIN", "CRAM-MD5"}, "CRAM-MD5"},
		{[]string{"login"}, "LOGIN"},
		{[]string{"XOAUTH2", "OAUTHBEARER"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := PreferredMechanism(tt.adv); got != tt.want {
			t.Errorf("PreferredMechanism(%q) = %q, want %q", tt.adv, got, tt.want)
		}
	}
}

// step is one scripted server reply and what the flow must answer.
type step struct {
	reply string
	line  string // "" when nothing is to be sent
	done  bool
	err   error // matched with errors.Is; for *AuthError use errAuth
}

var errAuth = errors.New("want *AuthError")

// runFlow plays a scripted server against f and checks every line the
// client would write, and that no shown string or error holds a secret.
func runFlow(t *testing.T, f *AuthFlow, start, startShown string, steps []step, secrets ...string) {
	t.Helper()
	line, shown, err := f.Start()
	if err != nil || line != start || shown != startShown {
		t.Fatalf("Start = %q, %q, %v; want %q, %q", line, shown, err, start, startShown)
	}
	visible := []string{shown}
	for i, s := range steps {
		line, shown, done, err := f.Next(mustReply(t, s.reply))
		if line != s.line || done != s.done {
			t.Errorf("step %d (%q): line %q done %v; want %q %v", i+1, s.reply, line, done, s.line, s.done)
		}
		var ae *AuthError
		switch {
		case s.err == errAuth && !errors.As(err, &ae):
			t.Errorf("step %d: error %v, want *AuthError", i+1, err)
		case s.err != errAuth && !errors.Is(err, s.err):
			t.Errorf("step %d: error %v, want %v", i+1, err, s.err)
		}
		switch {
		case line == "":
		case line == "*":
			if shown != "*" {
				t.Errorf("step %d: cancel shown as %q", i+1, shown)
			}
		case shown != "<redacted>":
			t.Errorf("step %d: response shown as %q", i+1, shown)
		}
		visible = append(visible, shown)
		if err != nil {
			visible = append(visible, err.Error())
		}
	}
	visible = append(visible, f.Challenges()...)
	for _, v := range visible {
		for _, secret := range secrets {
			if strings.Contains(v, secret) {
				t.Errorf("secret %q visible in %q", secret, v)
			}
		}
	}
}

func TestAuthFlowPlain(t *testing.T) {
	f := NewAuthFlow(Plain("", "alice", password), "alice")
	runFlow(t, f, "AUTH PLAIN "+b64("\x00alice\x00wonderland"), `AUTH PLAIN <redacted user="alice">`, []step{
		{reply: "235 2.7.0 Accepted", done: true},
	}, password, b64Pass, b64("\x00alice\x00wonderland"))
	if line := "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="; b64("\x00alice\x00wonderland") != line[len("AUTH PLAIN "):] {
		t.Errorf("PLAIN initial response is not %q", line)
	}
	if _, _, _, err := f.Next(mustReply(t, "235 again")); !errors.Is(err, ErrAuthState) {
		t.Errorf("Next after done = %v", err)
	}
}

func TestAuthFlowPlainRejected(t *testing.T) {
	f := NewAuthFlow(Plain("", "alice", password), "alice")
	runFlow(t, f, "AUTH PLAIN "+b64("\x00alice\x00wonderland"), `AUTH PLAIN <redacted user="alice">`, []step{
		{reply: "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials", done: true, err: errAuth},
	}, password, b64Pass)
	// Check the typed error once more on a fresh flow.
	f = NewAuthFlow(Plain("", "alice", password), "alice")
	f.Start()
	_, _, _, err := f.Next(fixture(t, "gmail-535"))
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Reply.Code != 535 || ae.Reply.Enhanced.String() != "5.7.8" {
		t.Fatalf("error %#v", err)
	}
	if want := "session: AUTH failed: 535 5.7.8 Username and Password not accepted. Learn more at  https://support.google.com/mail/?p=BadCredentials"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestAuthFlowLogin(t *testing.T) {
	f := NewAuthFlow(Login("alice", password), "alice")
	runFlow(t, f, "AUTH LOGIN", "AUTH LOGIN", []step{
		{reply: "334 VXNlcm5hbWU6", line: b64User},
		{reply: "334 UGFzc3dvcmQ6", line: b64Pass},
		{reply: "235 2.7.0 Accepted", done: true},
	}, password, b64Pass)
	if got := f.Challenges(); !slices.Equal(got, []string{"Username:", "Password:"}) {
		t.Errorf("Challenges() = %q", got)
	}
}

func TestAuthFlowLoginThirdChallenge(t *testing.T) {
	f := NewAuthFlow(Login("alice", password), "alice")
	runFlow(t, f, "AUTH LOGIN", "AUTH LOGIN", []step{
		{reply: "334 VXNlcm5hbWU6", line: b64User},
		{reply: "334 UGFzc3dvcmQ6", line: b64Pass},
		{reply: "334 UGFzc3dvcmQ6", line: "*", err: ErrUnexpectedChallenge}, // the password is not sent twice
		{reply: "501 5.7.0 AUTH aborted", done: true, err: errAuth},
	}, password, b64Pass)
}

func TestAuthFlowCramMD5(t *testing.T) {
	f := NewAuthFlow(CramMD5("tim", "tanstaaftanstaaf"), "tim")
	runFlow(t, f, "AUTH CRAM-MD5", "AUTH CRAM-MD5", []step{
		// RFC 2195 section 2, base64 as in the RFC's example.
		{reply: "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", line: "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"},
		{reply: "235 Authentication successful", done: true},
	}, "tanstaaftanstaaf", "b913a602c7eda7a495b4e6e7334d3890")
	if got := f.Challenges(); !slices.Equal(got, []string{"<1896.697170952@postoffice.reston.mci.net>"}) {
		t.Errorf("Challenges() = %q", got)
	}
}

// echo answers every challenge, to exercise the round limit.
type echo struct{}

func (echo) Name() string                  { return "X-ECHO" }
func (echo) Start() ([]byte, error)        { return nil, nil }
func (echo) Next(c []byte) ([]byte, error) { return c, nil }

func TestAuthFlowRoundLimit(t *testing.T) {
	f := NewAuthFlow(echo{}, "")
	steps := make([]step, 0, 7)
	for range MaxAuthRounds {
		steps = append(steps, step{reply: "334 " + b64("again"), line: b64("again")})
	}
	steps = append(steps,
		step{reply: "334 " + b64("again"), line: "*", err: ErrTooManyRounds},
		step{reply: "501 5.7.0 cancelled", done: true, err: errAuth})
	runFlow(t, f, "AUTH X-ECHO", "AUTH X-ECHO", steps)
	if n := len(f.Challenges()); n != MaxAuthRounds {
		t.Errorf("%d challenges recorded", n)
	}
}

func TestAuthFlowCancelled(t *testing.T) {
	f := NewAuthFlow(Login("alice", password), "alice")
	runFlow(t, f, "AUTH LOGIN", "AUTH LOGIN", []step{
		{reply: "334 not base64!", line: "*", err: ErrBadChallenge},
		{reply: "334 VXNlcm5hbWU6", done: true, err: ErrUnexpectedChallenge},
	}, password)
}

func TestAuthFlowHeldInitialResponse(t *testing.T) {
	token := strings.Repeat("t", 600)
	ir := "user=alice@example.org\x01auth=Bearer " + token + "\x01\x01"
	f := NewAuthFlow(XOAuth2("alice@example.org", token), "alice@example.org")
	// RFC 4954 section 4: too long for the AUTH line, sent after "334 ".
	runFlow(t, f, "AUTH XOAUTH2", "AUTH XOAUTH2", []step{
		{reply: "334 ", line: b64(ir)},
		{reply: "334 " + b64(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`), line: ""},
		{reply: "535 5.7.8 Username and Password not accepted", done: true, err: errAuth},
	}, token)
}

// emptyIR has an empty initial response, sent as "=".
type emptyIR struct{ echo }

func (emptyIR) Name() string           { return "X-EMPTY" }
func (emptyIR) Start() ([]byte, error) { return []byte{}, nil }

func TestAuthFlowEmptyInitialResponse(t *testing.T) {
	f := NewAuthFlow(emptyIR{}, "")
	runFlow(t, f, "AUTH X-EMPTY =", "AUTH X-EMPTY <redacted>", []step{{reply: "235 ok", done: true}})
}

func TestAuthFlowMisuse(t *testing.T) {
	f := NewAuthFlow(Plain("", "alice", password), "alice")
	if _, _, _, err := f.Next(mustReply(t, "235 ok")); !errors.Is(err, ErrAuthState) {
		t.Errorf("Next before Start = %v", err)
	}
	f.Start()
	if _, _, err := f.Start(); !errors.Is(err, ErrAuthState) {
		t.Errorf("second Start = %v", err)
	}
	f = NewAuthFlow(Plain("", "al\x00ice", password), "alice")
	if line, _, err := f.Start(); err == nil || line != "" {
		t.Errorf("Start with NUL = %q, %v", line, err)
	}
}

func TestDecodeChallenge(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"VXNlcm5hbWU6", "Username:", true},
		{"UGFzc3dvcmQ6", "Password:", true},
		{" VXNlcm5hbWU6 ", "Username:", true},
		{"VXNlcm5hbWU", "Username", true}, // padding dropped by some servers
		{"", "", true},
		{b64("\x1b]52;c;ZXZpbA==\x07"), `\x1b]52;c;ZXZpbA==\x07`, true},
		{"not base64!", "", false},
	}
	for _, tt := range tests {
		got, ok := DecodeChallenge(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DecodeChallenge(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRedactedAuth(t *testing.T) {
	tests := []struct {
		mech, user, want string
	}{
		{"PLAIN", "alice", `AUTH PLAIN <redacted user="alice">`},
		{"plain", "", `AUTH PLAIN <redacted>`},
		{"LOGIN", "a\"b", `AUTH LOGIN <redacted user="a\x22b">`},
		{"PLAIN", "\x1b]0;x\x07", `AUTH PLAIN <redacted user="\x1b]0;x\x07">`},
		{"", "", `AUTH <redacted>`},
	}
	for _, tt := range tests {
		if got := RedactedAuth(tt.mech, tt.user); got != tt.want {
			t.Errorf("RedactedAuth(%q, %q) = %q, want %q", tt.mech, tt.user, got, tt.want)
		}
	}
}

// TestSecretForms: the lines each mechanism sends yield the password (or
// token) itself and its base64, and the line's own base64 decoded; never
// the user name, which the screen shows anyway, nor the verb.
func TestSecretForms(t *testing.T) {
	const user, pw = "alice", "s3cret-pw"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	login, _ := NewMechanism("LOGIN", user, pw)
	u, _ := login.Next([]byte("Username:"))
	p, _ := login.Next([]byte("Password:"))
	plain, _ := NewMechanism("PLAIN", user, pw)
	ir, _ := plain.Start()
	xoauth, _ := NewMechanism("XOAUTH2", user, pw)
	xir, _ := xoauth.Start()
	for _, tt := range []struct {
		name, line string
		want       []string
	}{
		{"PLAIN", "AUTH PLAIN " + b64(string(ir)), []string{pw, b64(pw), string(ir), b64(string(ir))}},
		{"PLAIN after 334", b64(string(ir)), []string{pw, b64(pw)}},
		{"LOGIN user", b64(string(u)), nil},
		{"LOGIN password", b64(string(p)), []string{pw, b64(pw)}},
		{"XOAUTH2", "AUTH XOAUTH2 " + b64(string(xir)), []string{pw, b64(pw), "Bearer " + pw}},
		{"OAUTHBEARER", b64("n,a=alice,\x01auth=Bearer " + pw + "\x01\x01"), []string{pw, b64(pw)}},
		{"CRAM-MD5", b64("alice b913a602c7eda7a495b4e6e7334d3890"), []string{"b913a602c7eda7a495b4e6e7334d3890"}},
	} {
		forms := SecretForms(tt.line, user)
		for _, w := range tt.want {
			if !slices.Contains(forms, w) {
				t.Errorf("%s: forms %q lack %q", tt.name, forms, w)
			}
		}
		for _, f := range forms {
			if f == user || f == "AUTH" || strings.HasPrefix(tt.name, f) {
				t.Errorf("%s: %q is no secret", tt.name, f)
			}
		}
	}
	if got := SecretForms(b64("alice"), ""); !slices.Contains(got, "alice") {
		t.Errorf("a LOGIN response typed by hand, user unknown: %q", got)
	}
	if got := SecretForms("MAIL FROM:<x@example.org> SIZE=1", ""); len(got) != 1 || got[0] != "MAIL FROM:<x@example.org> SIZE=1" {
		t.Errorf("a line that is not base64 is its own form: %q", got)
	}
}
