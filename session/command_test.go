package session

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
	}{
		{"EHLO client.example", true},
		{"", true},
		{strings.Repeat("a", 510), true},
		{strings.Repeat("a", 511), false},
		{"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>", false},
		{"NOOP\r", false},
		{"NOOP\n", false},
		{"NO\x00OP", false},
		{"NOOP \x1b[2J", true}, // escapes are the display's business, not the wire's
	}
	for _, tt := range tests {
		err := ValidateLine(tt.line)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadCommand)) {
			t.Errorf("ValidateLine(%q) = %v, want ok=%v", clip(tt.line, 30), err, tt.ok)
		}
	}
}

func TestValidateLineHidesLine(t *testing.T) {
	err := ValidateLine("AUTH PLAIN c2VjcmV0\r\n")
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("error %v quotes the line", err)
	}
	if !strings.Contains(err.Error(), "CR at offset 19") {
		t.Errorf("error %v does not locate the CR", err)
	}
}

func TestBuilders(t *testing.T) {
	ok := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return s
	}
	tests := []struct {
		got, want string
	}{
		{ok(Command("NOOP")), "NOOP"},
		{ok(Command("VRFY", "postmaster")), "VRFY postmaster"},
		{ok(Command("AUTH", "PLAIN", "AGFsaWNl")), "AUTH PLAIN AGFsaWNl"},
		{ok(Ehlo("[127.0.1.1]")), "EHLO [127.0.1.1]"},
		{ok(Helo("client.example")), "HELO client.example"},
		{ok(MailFrom("alice@example.org", "SIZE=123")), "MAIL FROM:<alice@example.org> SIZE=123"},
		{ok(MailFrom("<alice@example.org>", "SIZE=280", "BODY=8BITMIME")), "MAIL FROM:<alice@example.org> SIZE=280 BODY=8BITMIME"},
		{ok(MailFrom("")), "MAIL FROM:<>"},
		{ok(MailFrom("<>")), "MAIL FROM:<>"},
		{ok(RcptTo("bob@example.org")), "RCPT TO:<bob@example.org>"},
		{ok(RcptTo("<Postmaster>", "NOTIFY=NEVER")), "RCPT TO:<Postmaster> NOTIFY=NEVER"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestBuildersRefuse(t *testing.T) {
	long := strings.Repeat("x", 500) + "@example.org"
	tests := []struct {
		name string
		err  error
	}{
		{"empty verb", second(Command(""))},
		{"verb with space", second(Command("MAIL FROM:<a>"))},
		{"empty argument", second(Command("VRFY", ""))},
		{"CRLF in argument", second(Command("VRFY", "a\r\nQUIT"))},
		{"NUL in argument", second(Command("VRFY", "a\x00"))},
		{"empty EHLO", second(Ehlo(""))},
		{"EHLO with space", second(Ehlo("a b"))},
		{"EHLO with LF", second(Ehlo("a\nMAIL"))},
		{"HELO empty", second(Helo(""))},
		{"MAIL injection", second(MailFrom("a@b>\r\nRCPT TO:<c@d"))},
		{"MAIL bracket", second(MailFrom("a<b@c"))},
		{"MAIL param space", second(MailFrom("a@b", "SIZE=1 X"))},
		{"MAIL param CR", second(MailFrom("a@b", "SIZE=1\r"))},
		{"MAIL empty param", second(MailFrom("a@b", ""))},
		{"MAIL too long", second(MailFrom(long))},
		{"RCPT empty", second(RcptTo(""))},
		{"RCPT empty brackets", second(RcptTo("<>"))},
		{"RCPT LF", second(RcptTo("b@c\nDATA"))},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, ErrBadCommand) {
			t.Errorf("%s: error %v, want ErrBadCommand", tt.name, tt.err)
		}
	}
}

func second(_ string, err error) error { return err }

func TestVerb(t *testing.T) {
	for line, want := range map[string]string{
		"mail from:<x>":       "MAIL",
		"MAIL FROM:<x>":       "MAIL",
		"  ehlo  host":        "EHLO",
		"\tquit":              "QUIT",
		"DATA":                "DATA",
		".":                   ".",
		"":                    "",
		"   ":                 "",
		"auth\tplain":         "AUTH",
		"rcpt TO:<a@b> x=y z": "RCPT",
	} {
		if got := Verb(line); got != want {
			t.Errorf("Verb(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestBdat(t *testing.T) {
	if got := Bdat(1048576, false); got != "BDAT 1048576" {
		t.Errorf("Bdat = %q", got)
	}
	if got := Bdat(0, true); got != "BDAT 0 LAST" {
		t.Errorf("Bdat last = %q", got)
	}
	tests := []struct {
		line string
		size int64
		last bool
		err  string
	}{
		{"BDAT 86 LAST", 86, true, ""},
		{"bdat 4096", 4096, false, ""},
		{"BDAT 0 last", 0, true, ""},
		{"BDAT", 0, false, "needs the chunk's size"},
		{"BDAT -1", 0, false, "not a number"},
		{"BDAT 12k", 0, false, "not a number"},
		{"BDAT 10 FIRST", 0, false, "nothing else"},
		{"BDAT 10 LAST x", 0, false, "nothing else"},
		{"BDAT 99999999999999999999", 0, false, "too large"},
		{"DATA", 0, false, "not a BDAT"},
	}
	for _, tt := range tests {
		size, last, err := ParseBdat(tt.line)
		if tt.err != "" {
			if err == nil || !errors.Is(err, ErrBadCommand) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseBdat(%q) = %v, want an error with %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil || size != tt.size || last != tt.last {
			t.Errorf("ParseBdat(%q) = %d, %v, %v", tt.line, size, last, err)
		}
	}
}

// TestEndsGroup: RFC 2920 section 3.1's commands that may sit anywhere in
// a pipelined group do not end it; every other command does, unknown ones
// included.
func TestEndsGroup(t *testing.T) {
	for _, line := range []string{"MAIL FROM:<a@x>", "rcpt to:<b@x>", "RSET", "SEND FROM:<a@x>", "SOML FROM:<a@x>", "SAML FROM:<a@x>", "BDAT 10"} {
		if EndsGroup(line) {
			t.Errorf("EndsGroup(%q) = true, want false: it may sit anywhere in a group", line)
		}
	}
	for _, line := range []string{"EHLO x", "HELO x", "DATA", "VRFY bob", "EXPN list", "TURN", "QUIT", "NOOP", "STARTTLS", "AUTH PLAIN", "ETRN x", "EHOL x", ""} {
		if !EndsGroup(line) {
			t.Errorf("EndsGroup(%q) = false, want true: it ends a group", line)
		}
	}
}

func TestIsVerb(t *testing.T) {
	for _, v := range []string{"EHLO", "MAIL", "STARTTLS", "BDAT", "QUIT", "XCLIENT"} {
		if !IsVerb(v) {
			t.Errorf("IsVerb(%q) = false", v)
		}
	}
	for _, v := range []string{"", "SUBJECT:", "HELLO", "EHOL", "mail"} {
		if IsVerb(v) {
			t.Errorf("IsVerb(%q) = true", v)
		}
	}
}
