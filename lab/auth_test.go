package lab

import (
	"errors"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestCRAMDigestRFC2195(t *testing.T) {
	// RFC 2195 section 2's example.
	got := cramDigest("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>")
	if want := "b913a602c7eda7a495b4e6e7334d3890"; got != want {
		t.Errorf("cramDigest = %s, want %s", got, want)
	}
}

// step is one sasl.Server.Next call and what it must return.
type step struct {
	response  []byte
	challenge string
	done      bool
	err       bool
}

func runSteps(t *testing.T, s sasl.Server, steps []step) {
	t.Helper()
	for i, st := range steps {
		challenge, done, err := s.Next(st.response)
		if string(challenge) != st.challenge || done != st.done || (err != nil) != st.err {
			t.Fatalf("step %d: Next(%q) = %q, %v, %v; want %q, %v, err %v",
				i, st.response, challenge, done, err, st.challenge, st.done, st.err)
		}
	}
}

func TestLoginServer(t *testing.T) {
	var got [2]string
	auth := func(user, password string) error {
		got = [2]string{user, password}
		if !checkPassword(user, password) {
			return errBadCredentials()
		}
		return nil
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"challenges", []step{
			{nil, "Username:", false, false},
			{[]byte("alice"), "Password:", false, false},
			{[]byte("wonderland"), "", true, false},
			{[]byte("more"), "", false, true},
		}},
		{"initial response", []step{
			{[]byte("alice"), "Password:", false, false},
			{[]byte("wonderland"), "", true, false},
		}},
		{"wrong password", []step{
			{[]byte("alice"), "Password:", false, false},
			{[]byte("alice"), "", true, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, &loginServer{authenticate: auth}, tt.steps)
		})
	}
	if got[0] != "alice" {
		t.Errorf("authenticate saw %q", got)
	}
}

func TestCRAMServer(t *testing.T) {
	const challenge = "<1.2@mail.lab.test>"
	verify := func(user, digest string) error {
		if !checkCRAM(challenge, user, digest) {
			return errBadCredentials()
		}
		return nil
	}
	good := "alice " + cramDigest(Password, challenge)
	runSteps(t, &cramServer{challenge: challenge, verify: verify}, []step{
		{nil, challenge, false, false},
		{[]byte(good), "", true, false},
		{[]byte(good), "", false, true},
	})
	runSteps(t, &cramServer{challenge: challenge, verify: verify}, []step{
		{nil, challenge, false, false},
		{[]byte("alice"), "", true, true},
	})
	_, _, err := (&cramServer{challenge: challenge, verify: verify}).Next([]byte(good))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 501 {
		t.Errorf("initial response: err %v, want 501", err)
	}
}

func TestCheckCRAM(t *testing.T) {
	const c = "<7.8@mail.lab.test>"
	tests := []struct {
		user, digest string
		want         bool
	}{
		{"alice", cramDigest("wonderland", c), true},
		{"alice", "B" + cramDigest("wonderland", c)[1:], false},
		{"alice", cramDigest("wonderland", c+"x"), false},
		{"bob", cramDigest("wonderland", c), false},
		{"alice", "", false},
	}
	for _, tt := range tests {
		if got := checkCRAM(c, tt.user, tt.digest); got != tt.want {
			t.Errorf("checkCRAM(%q, %q) = %v", tt.user, tt.digest, got)
		}
	}
}

func TestLoopbackHost(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.2", "127.0.0.2", true},
		{"::1", "::1", true},
		{"[::1]", "::1", true},
		{"LocalHost", "localhost", true},
		{"0.0.0.0", "", false},
		{"::", "", false},
		{"10.0.0.1", "", false},
		{"example.org", "", false},
	}
	for _, tt := range tests {
		got, err := loopbackHost(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("loopbackHost(%q) = %q, %v", tt.in, got, err)
		}
	}
}
