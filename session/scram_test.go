package session

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/xdg-go/stringprep"
)

// The exchanges of RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677 section 3
// (SCRAM-SHA-256): user "user", password "pencil", the client nonce fixed.
var scramVectors = []struct {
	mech, nonce, serverFirst, clientFinal, serverFinal string
}{
	{"SCRAM-SHA-1", "fyko+d2lbbFgONRv9qkxdawL",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="},
	{"SCRAM-SHA-256", "rOprNGfwEbeRWgbNEkqO",
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
}

func reply334(s string) Reply { return Reply{Code: 334, Lines: []string{b64(s)}} }

// TestSCRAMVectors runs each RFC exchange through AuthFlow: the client
// messages are the RFC's byte for byte, the right server signature ends
// in success, and the decoded steps never show the proof.
func TestSCRAMVectors(t *testing.T) {
	for _, v := range scramVectors {
		t.Run(v.mech, func(t *testing.T) {
			m, err := newSCRAM(v.mech, "user", "pencil", ChannelBinding{}, func() string { return v.nonce })
			if err != nil {
				t.Fatal(err)
			}
			f := NewAuthFlow(m, "user")
			line, shown, err := f.Start()
			if err != nil {
				t.Fatal(err)
			}
			if want := "AUTH " + v.mech + " " + b64("n,,n=user,r="+v.nonce); line != want {
				t.Errorf("AUTH line %q, want %q", line, want)
			}
			if shown != `AUTH `+v.mech+` <redacted user="user">` || f.Step() != "n,,n=user,r="+v.nonce {
				t.Errorf("shown %q, step %q", shown, f.Step())
			}
			line, shown, done, err := f.Next(reply334(v.serverFirst))
			if err != nil || done || line != b64(v.clientFinal) || shown != "<redacted>" {
				t.Fatalf("client-final %q (%q) done=%v err=%v", line, shown, done, err)
			}
			proof := v.clientFinal[strings.Index(v.clientFinal, ",p=")+3:]
			if strings.Contains(f.Step(), proof) || !strings.HasSuffix(f.Step(), ",p=<redacted>") {
				t.Errorf("step shows %q", f.Step())
			}
			forms := SecretForms(line, "user")
			if !contains(forms, proof) || !contains(forms, line) {
				t.Errorf("secret forms %q miss the proof", forms)
			}
			if first := SecretForms("AUTH "+v.mech+" "+b64("n,,n=user,r="+v.nonce), "user"); contains(first, v.nonce) || contains(first, "n,,n=user,r="+v.nonce) {
				t.Errorf("client-first hides its public parts: %q", first)
			}
			line, _, done, err = f.Next(reply334(v.serverFinal))
			if err != nil || done || line != "" {
				t.Fatalf("after server-final: %q done=%v err=%v", line, done, err)
			}
			if _, _, done, err = f.Next(Reply{Code: 235}); !done || err != nil {
				t.Errorf("235: done=%v err=%v", done, err)
			}
		})
	}
}

// TestSCRAMWrongServerSignature: a server-final whose signature is not
// the one the password gives is refused with "*", and so is a 235 that
// comes before any server-final.
func TestSCRAMWrongServerSignature(t *testing.T) {
	v := scramVectors[1]
	start := func() *AuthFlow {
		m, err := newSCRAM(v.mech, "user", "pencil", ChannelBinding{}, func() string { return v.nonce })
		if err != nil {
			t.Fatal(err)
		}
		f := NewAuthFlow(m, "user")
		if _, _, err := f.Start(); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.Next(reply334(v.serverFirst)); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := start()
	line, shown, done, err := f.Next(reply334("v=" + b64("not the server's signature....")))
	if !errors.Is(err, ErrServerNotProven) || done || line != "*" || shown != "*" {
		t.Fatalf("wrong signature: %q %q done=%v err=%v", line, shown, done, err)
	}
	if _, _, done, err := f.Next(Reply{Code: 501}); !done || err == nil {
		t.Errorf("after *: done=%v err=%v", done, err)
	}
	f = start()
	if _, _, done, err := f.Next(Reply{Code: 235}); !done || !errors.Is(err, ErrServerNotProven) {
		t.Errorf("235 without server-final: done=%v err=%v", done, err)
	}
	f = start()
	if _, _, _, err := f.Next(reply334("e=invalid-proof")); !errors.Is(err, ErrSCRAMServer) || !strings.Contains(err.Error(), "invalid-proof") {
		t.Errorf("e=: %v", err)
	}
}

// TestSCRAMPlus: the -PLUS variants put the binding type in the GS2
// header and the header plus the binding data in c=, and refuse to start
// without a channel.
func TestSCRAMPlus(t *testing.T) {
	cb := ChannelBinding{Type: "tls-exporter", Data: []byte("0123456789abcdef0123456789abcdef")}
	m, err := newSCRAM("scram-sha-256-plus", "user", "pencil", cb, func() string { return "abc" })
	if err != nil {
		t.Fatal(err)
	}
	f := NewAuthFlow(m, "user")
	line, _, err := f.Start()
	if err != nil || line != "AUTH SCRAM-SHA-256-PLUS "+b64("p=tls-exporter,,n=user,r=abc") {
		t.Fatalf("%q %v", line, err)
	}
	line, _, _, err = f.Next(reply334("r=abcdef,s=" + b64("salt") + ",i=4096"))
	if err != nil {
		t.Fatal(err)
	}
	final, _ := base64.StdEncoding.DecodeString(line)
	if want := "c=" + b64("p=tls-exporter,,"+string(cb.Data)) + ",r=abcdef,p="; !strings.HasPrefix(string(final), want) {
		t.Errorf("client-final %q, want prefix %q", final, want)
	}
	if _, err := NewMechanism("SCRAM-SHA-1-PLUS", "user", "pencil"); err == nil || !strings.Contains(err.Error(), "channel binding") {
		t.Errorf("-PLUS without a channel: %v", err)
	}
}

// TestOAuthBearer: RFC 7628 section 3.1's initial response, the token
// out of the shown step and among the secret forms, and ^A after an
// error challenge.
func TestOAuthBearer(t *testing.T) {
	f := NewAuthFlow(OAuthBearer("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="), "user@example.com")
	line, shown, err := f.Start()
	want := "n,a=user@example.com,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
	if err != nil || line != "AUTH OAUTHBEARER "+b64(want) || shown != `AUTH OAUTHBEARER <redacted user="user@example.com">` {
		t.Fatalf("%q %q %v", line, shown, err)
	}
	if strings.Contains(f.Step(), "vF9dft4") || !strings.Contains(f.Step(), "Bearer <redacted>") {
		t.Errorf("step %q", f.Step())
	}
	if forms := SecretForms(line, "user@example.com"); !contains(forms, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==") {
		t.Errorf("forms %q", forms)
	}
	line, _, _, err = f.Next(reply334(`{"status":"invalid_token","scope":"example_scope"}`))
	if err != nil || line != b64("\x01") {
		t.Errorf("answer to the error: %q %v", line, err)
	}
}

// TestPreferredMechanismSCRAM: SCRAM before CRAM-MD5 and PLAIN; -PLUS
// only with a channel.
func TestPreferredMechanismSCRAM(t *testing.T) {
	offered := []string{"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "XOAUTH2", "OAUTHBEARER"}
	if got := PreferredMechanism(offered); got != "SCRAM-SHA-256" {
		t.Errorf("unbound: %s", got)
	}
	if got := PreferredMechanismBound(offered, true); got != "SCRAM-SHA-256-PLUS" {
		t.Errorf("bound: %s", got)
	}
}

// TestSCRAMUnofferedBinding: over TLS to a server that offers no -PLUS,
// SCRAM says "y" (RFC 5802 6) and binds nothing; with the -PLUS offered
// and not chosen, or without TLS, it says "n".
func TestSCRAMUnofferedBinding(t *testing.T) {
	cb := ChannelBinding{Type: "tls-exporter", Data: []byte("0123456789abcdef0123456789abcdef")}
	for _, tt := range []struct {
		cb   ChannelBinding
		want string
	}{
		{ChannelBinding{Type: cb.Type, Data: cb.Data, Unoffered: true}, "y,,n=user,r=abc"},
		{cb, "n,,n=user,r=abc"},
		{ChannelBinding{Unoffered: true}, "n,,n=user,r=abc"},
	} {
		m, err := newSCRAM("SCRAM-SHA-256", "user", "pencil", tt.cb, func() string { return "abc" })
		if err != nil {
			t.Fatal(err)
		}
		if first, err := m.Start(); err != nil || string(first) != tt.want {
			t.Errorf("%+v: client-first %q %v, want %q", tt.cb, first, err, tt.want)
		}
	}
}

// TestSASLprep: RFC 4013 section 3's examples, and the same answers as
// github.com/xdg-go/stringprep (what ehlo used before its own) on names and
// passwords in several scripts, spaces, mapped and prohibited characters;
// but code points unassigned in Unicode 3.2 are allowed, as RFC 5802 5.1
// says (SASLprep "treating it as a query string"), where stringprep
// refused them.
func TestSASLprep(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"I\u00ADX", "IX"}, {"user", "user"}, {"USER", "USER"}, {"\u00AA", "a"}, {"\u2168", "IX"},
		{"\u0007", ""}, {"\u0627\u0031", ""},
	} {
		got, err := saslPrep(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("saslPrep(%+q) = %+q, %v; want %+q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		"", "pencil", "p a s s", "pass,word=", "\x7f", "tab\tbed",
		"caf\u00e9", "cafe\u0301", "\u00A0nbsp\u3000ideo", "zero\u200Bwidth", "ﬁnancial", "Ⅻ", "ｆｕｌｌ",
		"пароль", "密码", "パスワード", "\u05D0\u05D1", "\u05D0a\u05D1", "\u0627\u0644\u0633\u0631", "\u05D01",
		"\uE000private", "\uFDD0", "\u2FF0", "\u202Eevil", "\u0340", "\U000E0001",
		"\u2028", "\u0085", "\uFFFD", "soft\u00ADhyphen\uFE0F",
	} {
		want, wantErr := stringprep.SASLprep.Prepare(in)
		got, err := saslPrep(in)
		if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
			t.Errorf("saslPrep(%+q) = %+q, %v; stringprep says %+q, %v", in, got, err, want, wantErr)
		}
	}
	for _, in := range []string{"\U0001F600", "\u0378", "new\u20C0"} {
		if got, err := saslPrep(in); err != nil || got != in {
			t.Errorf("saslPrep(%+q) = %+q, %v; unassigned in Unicode 3.2, allowed in a query string", in, got, err)
		}
	}
}
