package session

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fixture parses testdata/name.txt, one reply line per file line.
func fixture(t testing.TB, name string) Reply {
	t.Helper()
	return mustReply(t, fixtureText(t, name))
}

// fixtureText returns the lines of testdata/name.txt separated by "\n".
func fixtureText(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// mustReply parses text whose lines are separated by "\n".
func mustReply(t testing.TB, text string) Reply {
	t.Helper()
	r, err := ParseReply(strings.Split(text, "\n"))
	if err != nil {
		t.Fatalf("ParseReply(%q): %v", text, err)
	}
	return r
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		lines []string
		want  Reply
	}{
		{[]string{"250 OK"}, Reply{Code: 250, Lines: []string{"OK"}}},
		{[]string{"250"}, Reply{Code: 250, Lines: []string{""}}},
		{[]string{"250 "}, Reply{Code: 250, Lines: []string{""}}},
		{[]string{"250-smtp.gmail.com at your service", "250 SMTPUTF8"},
			Reply{Code: 250, Lines: []string{"smtp.gmail.com at your service", "SMTPUTF8"}}},
		{[]string{"530 5.7.0 Must issue a STARTTLS command first."},
			Reply{Code: 530, Enhanced: EnhancedCode{5, 7, 0}, Lines: []string{"Must issue a STARTTLS command first."}}},
		{[]string{"535-5.7.8 Username and Password not accepted. Learn more at", "535 5.7.8  https://support.google.com/mail/?p=BadCredentials"},
			Reply{Code: 535, Enhanced: EnhancedCode{5, 7, 8}, Lines: []string{"Username and Password not accepted. Learn more at", " https://support.google.com/mail/?p=BadCredentials"}}},
		{[]string{"220 2.0.0 Ready to start TLS"}, Reply{Code: 220, Enhanced: EnhancedCode{2, 0, 0}, Lines: []string{"Ready to start TLS"}}},
		{[]string{"250 2.1.0"}, Reply{Code: 250, Enhanced: EnhancedCode{2, 1, 0}, Lines: []string{""}}},
		{[]string{"354  Go ahead n87sm3405999pfi.122 - gsmtp"}, Reply{Code: 354, Lines: []string{" Go ahead n87sm3405999pfi.122 - gsmtp"}}},
		{[]string{"334 VXNlcm5hbWU6"}, Reply{Code: 334, Lines: []string{"VXNlcm5hbWU6"}}},
		// The enhanced code must match the reply class (RFC 2034 section 4).
		{[]string{"250 5.7.0 odd"}, Reply{Code: 250, Lines: []string{"5.7.0 odd"}}},
		// Not followed by SP: text, not a code.
		{[]string{"250 2.0.0OK"}, Reply{Code: 250, Lines: []string{"2.0.0OK"}}},
		{[]string{"250 2.0.1000 x"}, Reply{Code: 250, Lines: []string{"2.0.1000 x"}}},
		{[]string{"250 2.100.999 x"}, Reply{Code: 250, Enhanced: EnhancedCode{2, 100, 999}, Lines: []string{"x"}}},
		// A later line with another enhanced code keeps it as text (a
		// different reply code is a MixedCodesError: TestParseReplyMixedCodes).
		{[]string{"550-5.1.1 no such user", "550 5.1.2 bad host"},
			Reply{Code: 550, Enhanced: EnhancedCode{5, 1, 1}, Lines: []string{"no such user", "5.1.2 bad host"}}},
		// A separator "-" on the last line is tolerated too (wire frames).
		{[]string{"250-x"}, Reply{Code: 250, Lines: []string{"x"}}},
		{[]string{"550 bad\x1b[2J"}, Reply{Code: 550, Lines: []string{"bad\x1b[2J"}}},
	}
	for _, tt := range tests {
		got, err := ParseReply(tt.lines)
		if err != nil {
			t.Errorf("ParseReply(%q): %v", tt.lines, err)
			continue
		}
		tt.want.Raw = tt.lines // every line as received, for evidence
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseReply(%q)\n got %#v\nwant %#v", tt.lines, got, tt.want)
		}
	}
}

func TestParseReplyErrors(t *testing.T) {
	for _, lines := range [][]string{
		nil,
		{},
		{""},
		{"25"},
		{"OK"},
		{"2500 OK"},
		{"250OK"},
		{"150 old"},
		{"650 nope"},
		{"25a x"},
		{"250-ok", "garbage"},
		{"\x1b]0;pwned\x07"},
	} {
		_, err := ParseReply(lines)
		if !errors.Is(err, ErrMalformedReply) {
			t.Errorf("ParseReply(%q) error = %v, want ErrMalformedReply", lines, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\x07") {
			t.Errorf("error for %q is not sanitized: %q", lines, err)
		}
	}
}

// TestParseReplyMixedCodes: a multi-line reply whose lines carry different
// codes answers nothing (RFC 5321 4.2.1): whatever the first line says, it
// is a MixedCodesError, which keeps the lines for display, and never a
// reply.
func TestParseReplyMixedCodes(t *testing.T) {
	for _, lines := range [][]string{
		{"250-queued as 4F2A", "554 5.7.1 rejected"},
		{"250-ok", "550 no"},
		{"250-mx.example.com", "250-SIZE 1000", "550 5.7.1 not you", "250 8BITMIME"},
		{"550-no", "250 OK"},
		{"250-a", "251 b"},
	} {
		r, err := ParseReply(lines)
		var mixed *MixedCodesError
		if !errors.As(err, &mixed) || !errors.Is(err, ErrMalformedReply) {
			t.Errorf("ParseReply(%q) = %+v, %v; want a MixedCodesError", lines, r, err)
			continue
		}
		if r.Code != 0 || r.Lines != nil {
			t.Errorf("ParseReply(%q) returned a reply %+v with its error", lines, r)
		}
		if !slices.Equal(mixed.Lines, lines) {
			t.Errorf("MixedCodesError.Lines = %q, want %q", mixed.Lines, lines)
		}
	}
	_, err := ParseReply([]string{"250-a", "550 b", "251 c"})
	var mixed *MixedCodesError
	if !errors.As(err, &mixed) || !slices.Equal(mixed.Codes(), []int{250, 550, 251}) ||
		!strings.Contains(err.Error(), "250, 550, 251") {
		t.Errorf("error %v: want the codes 250, 550, 251 named", err)
	}
}

func TestParseEnhancedCode(t *testing.T) {
	tests := []struct {
		in   string
		want EnhancedCode
		ok   bool
	}{
		{"5.7.0", EnhancedCode{5, 7, 0}, true},
		{"2.0.0", EnhancedCode{2, 0, 0}, true},
		{"4.7.1", EnhancedCode{4, 7, 1}, true},
		{"5.999.999", EnhancedCode{5, 999, 999}, true},
		{"3.0.0", EnhancedCode{}, false},
		{"1.0.0", EnhancedCode{}, false},
		{"5.7", EnhancedCode{}, false},
		{"5.7.", EnhancedCode{}, false},
		{"5..0", EnhancedCode{}, false},
		{"5.1000.0", EnhancedCode{}, false},
		{"5.7.0 ", EnhancedCode{}, false},
		{" 5.7.0", EnhancedCode{}, false},
		{"55.7.0", EnhancedCode{}, false},
		{"5.7.0.1", EnhancedCode{}, false},
		{"", EnhancedCode{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseEnhancedCode(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseEnhancedCode(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReplyMethods(t *testing.T) {
	tests := []struct {
		text   string
		class  Class
		ok     bool
		joined string
	}{
		{"250-a\n250 b", ClassPositive, true, "a\nb"},
		{"354 go", ClassIntermediate, false, "go"},
		{"450 4.7.1 greylisted", ClassTransient, false, "greylisted"},
		{"554 5.7.1 <someone@example.org>: Relay access denied", ClassPermanent, false, "<someone@example.org>: Relay access denied"},
	}
	for _, tt := range tests {
		r := mustReply(t, tt.text)
		if r.Class() != tt.class || r.OK() != tt.ok || r.Text() != tt.joined {
			t.Errorf("%q: Class %v OK %v Text %q; want %v %v %q", tt.text, r.Class(), r.OK(), r.Text(), tt.class, tt.ok, tt.joined)
		}
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{
		ClassPositive:     "positive completion",
		ClassIntermediate: "positive intermediate",
		ClassTransient:    "transient negative",
		ClassPermanent:    "permanent negative",
		Class(7):          "class 7",
	} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", int(c), got, want)
		}
	}
}

func TestParseReplyFixtures(t *testing.T) {
	r := fixture(t, "gmail-535")
	if r.Code != 535 || r.Enhanced.String() != "5.7.8" || r.Lines[1] != " https://support.google.com/mail/?p=BadCredentials" {
		t.Errorf("gmail 535: %#v", r)
	}
	r = fixture(t, "gmail-ehlo-plain")
	if r.Code != 250 || len(r.Lines) != 8 || !r.Enhanced.IsZero() {
		t.Errorf("gmail EHLO: %#v", r)
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"250 OK",
		"250",
		"250-smtp.gmail.com at your service\n250 SMTPUTF8",
		"535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials",
		"354  Go ahead",
		"220 2.0.0 Ready to start TLS",
		"250 2.1.0",
		"550 5.1.1\n551 4.1.1 x",
		"250 2.0.0OK",
		"550 no\r250 OK",
		"",
		"2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		r, err := ParseReply(lines)
		if err != nil {
			if !errors.Is(err, ErrMalformedReply) {
				t.Fatalf("error %v does not wrap ErrMalformedReply", err)
			}
			return
		}
		if r.Code < 200 || r.Code > 599 || r.Class() < ClassPositive || r.Class() > ClassPermanent {
			t.Fatalf("code %d out of range", r.Code)
		}
		if len(r.Lines) != len(lines) {
			t.Fatalf("%d lines, want %d", len(r.Lines), len(lines))
		}
		for i, l := range r.Lines {
			if !strings.HasSuffix(lines[i], l) || len(l) > len(lines[i])-3 {
				t.Fatalf("line %d text %q is not a suffix of %q", i, l, lines[i])
			}
		}
		if !r.Enhanced.IsZero() {
			if Class(r.Enhanced.Class) != r.Class() {
				t.Fatalf("enhanced %v in a %d reply", r.Enhanced, r.Code)
			}
			if e, ok := ParseEnhancedCode(r.Enhanced.String()); !ok || e != r.Enhanced {
				t.Fatalf("enhanced %v does not round-trip", r.Enhanced)
			}
		}
	})
}
