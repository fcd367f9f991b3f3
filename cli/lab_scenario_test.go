package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
)

func TestLabListAndFlags(t *testing.T) {
	code, out, _ := run(t, "lab", "--list")
	if code != 0 || !strings.Contains(out, "strict-lf") || !strings.Contains(out, "451@lab.test") {
		t.Fatalf("--list: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"lab", "--rule", "MAIL=451 x"},                          // without --scenario
		{"lab", "--scenario", "nope"},                            // unknown
		{"lab", "--scenario", "codes", "--rule", "MAIL"},         // no reply
		{"lab", "--scenario", "codes", "--rule", "MAIL=99 nope"}, // not a code
		{"lab", "--log-secrets"},                                 // without --log
	} {
		if code, _, errOut := run(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d %q", args, code, errOut)
		}
	}
}

// TestLabLogFiles: --log's files are new, private, one per connection,
// in a directory made private, and never through a link.
func TestLabLogFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := logDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("log dir: %v %v", fi, err)
	}
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	if err := logDir(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a link as the log dir: %v", err)
	}
	open := openConnLog(dir)
	info := lab.ConnInfo{Endpoint: "mx", Remote: "127.0.0.1:5000", Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	// a link planted at the name the next log would take is not followed
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("keep"), 0o600)
	os.Symlink(target, filepath.Join(dir, "20260102T030405.000Z-mx-5000.log"))
	w, err := open(info)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "C: EHLO x\n")
	w.Close()
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-mx-5000-2.log"))
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v", fi.Mode())
	}
}
