package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFileErrorsOneWay: a file given on the command line that cannot be
// used (missing, a directory, a symbolic link where ehlo writes, content
// of the wrong kind) is said one way whatever the flag: the flag, the
// file, and why, in a person's words ("--ca /x/none.pem: does not exist"),
// a usage error, with no Go error text ("open /x: no such file or
// directory") on screen.
func TestFileErrorsOneWay(t *testing.T) {
	dir := t.TempDir()
	missing, sub, plain, link := filepath.Join(dir, "none.pem"), filepath.Join(dir, "sub"), filepath.Join(dir, "plain.txt"), filepath.Join(dir, "link")
	targets := filepath.Join(dir, "targets.txt")
	for p, s := range map[string]string{plain: "not PEM\n", targets: "# no target yet\n"} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(plain, link); err != nil {
		t.Fatal(err)
	}
	const (
		gone   = "does not exist"
		isDir  = "is a directory, not a file"
		isLink = "is a symbolic link: ehlo does not write through one (name the file itself)"
		notPEM = "holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)"
	)
	target := "127.5.0.9:22999" // nothing is asked of it: the files are refused first
	tests := []struct {
		args       []string
		flag, path string
		why        string
	}{
		{[]string{"probe", "--ca", missing, target}, "--ca", missing, gone},
		{[]string{"probe", "--ca", sub, target}, "--ca", sub, isDir},
		{[]string{"probe", "--ca", plain, target}, "--ca", plain, notPEM},
		{[]string{"probe", "--cert", missing, target}, "--cert", missing, gone},
		{[]string{"probe", "--cert", sub, target}, "--cert", sub, isDir},
		{[]string{"probe", "--cert", plain, target}, "--cert", plain, notPEM},
		{[]string{"send", "--from", "a@example.org", "--to", "b@example.org", "--data", "@" + missing, target}, "--data", missing, gone},
		{[]string{"send", "--from", "a@example.org", "--to", "b@example.org", "--data", "@" + sub, target}, "--data", sub, isDir},
		{[]string{"send", "--from", "a@example.org", "--to", "b@example.org", "--body", "@" + missing, target}, "--body", missing, gone},
		{[]string{"send", "--from", "a@example.org", "--to", "b@example.org", "--html", sub, target}, "--html", sub, isDir},
		{[]string{"send", "--from", "a@example.org", "--to", "b@example.org", "--attach", missing, target}, "--attach", missing, gone},
		{[]string{"send", "--from", "a@example.org", "--to", "b@example.org", "--attach", sub, target}, "--attach", sub, isDir},
		{[]string{"probe", "--from-file", missing}, "--from-file", missing, gone},
		{[]string{"probe", "--from-file", sub}, "--from-file", sub, isDir},
		{[]string{"probe", "--from-file", targets, "--resume", sub}, "--resume", sub, isDir},
		{[]string{"probe", "--from-file", targets, "--resume", link}, "--resume", link, isLink},
		{[]string{"probe", "--certs-out", link, target}, "--certs-out", link, isLink},
		{[]string{"lab", "--log", link}, "--log", link, isLink},
		{[]string{"report", missing}, "report", missing, gone},
		{[]string{"run", sub, target}, "the script", sub, isDir},
	}
	goErr := regexp.MustCompile(`\b(open|read|stat|lstat) /|no such file or directory`)
	for _, tt := range tests {
		code, out, errOut := run(t, tt.args...)
		want := tt.flag + " " + tt.path + ": " + tt.why
		flat := strings.Join(strings.Fields(errOut), " ") // the error box may wrap a long line
		if code != exitUsage || !strings.Contains(flat, want) || goErr.MatchString(out+errOut) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d and %q, no Go error text", tt.args, code, errOut, exitUsage, want)
		}
	}
}

// TestXClientFlagWords: send --xclient with an attribute XCLIENT does not
// have names it and lists Postfix's, a usage error, before connecting.
func TestXClientFlagWords(t *testing.T) {
	code, _, errOut := run(t, "send", "--xclient", "BOGUS=1", "--from", "a@example.org", "--to", "b@example.org", "127.5.0.9:22999")
	flat := strings.Join(strings.Fields(errOut), " ")
	want := "--xclient BOGUS=1: BOGUS is not an XCLIENT attribute; the attributes are NAME, REVERSE_NAME, ADDR, PORT, PROTO, HELO, LOGIN, DESTADDR and DESTPORT"
	if code != exitUsage || !strings.Contains(flat, want) || strings.Contains(flat, "bad command line") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errOut, exitUsage, want)
	}
}

// TestDNSNamesWithoutFinalDot: a DNS failure names the question on screen
// and stderr without the final dot of the FQDN ("MX example.org:
// resolver ..."); the JSON's "dns" list keeps the FQDN, as asked.
func TestDNSNamesWithoutFinalDot(t *testing.T) {
	// Nothing listens on this resolver's port: every question fails at once.
	args := []string{"probe", "--mx", "--resolver", "127.5.0.9:22998", "--timeout", "3s", "example.org"}
	_, out, errOut := run(t, args...)
	if !strings.Contains(out, "MX example.org: resolver 127.5.0.9:22998") || strings.Contains(out+errOut, "example.org.:") {
		t.Errorf("the failure names the FQDN, or not the question:\n%s\n%s", out, errOut)
	}
	_, js, _ := run(t, append(args[:1:1], append([]string{"--json"}, args[1:]...)...)...)
	if !strings.Contains(js, `"name": "example.org."`) || strings.Contains(js, "example.org.:") {
		t.Errorf("JSON: want the dns list's FQDN and errors without it:\n%s", js)
	}
}
