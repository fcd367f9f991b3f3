//go:build unix

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
)

// TestLabCAOut: --ca-out writes the CA certificate without following a
// symbolic link (dangling or not) and without clobbering a file that holds
// anything but a certificate; a previous run's CA is replaced.
func TestLabCAOut(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious")
	if err := os.WriteFile(precious, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	link, dangling := filepath.Join(dir, "link.pem"), filepath.Join(dir, "dangling.pem")
	os.Symlink(precious, link)
	os.Symlink(filepath.Join(dir, "created"), dangling)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // runLab returns once it has set up and printed
	cfg := lab.Config{Host: "127.0.0.1"}
	for _, tt := range []struct{ path, refusal string }{
		{link, "symbolic link"},
		{dangling, "symbolic link"},
		{precious, "not a PEM certificate"},
	} {
		err := runLab(ctx, new(bytes.Buffer), cfg, tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.refusal) {
			t.Errorf("--ca-out %s: %v, want a refusal naming %q", filepath.Base(tt.path), err, tt.refusal)
		}
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me" {
		t.Errorf("a file was overwritten: %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "created")); !os.IsNotExist(err) {
		t.Error("the dangling link's target was created")
	}
	ca := filepath.Join(dir, "ca.pem")
	for range 2 { // new, then a previous run's CA replaced
		if err := runLab(ctx, new(bytes.Buffer), cfg, ca); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(ca); !bytes.HasPrefix(b, []byte("-----BEGIN CERTIFICATE-----")) {
			t.Fatalf("ca.pem holds %q", b)
		}
	}
}

// TestLabCADefault: without --ca-out the CA goes to a new temporary file
// with a name no one can guess, removed at exit.
func TestLabCADefault(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := runLab(ctx, &out, lab.Config{Host: "127.0.0.1"}, ""); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`CA +(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no CA path in:\n%s", out.String())
	}
	if strings.Contains(m[1], "ca-"+strconv.Itoa(os.Getpid())+".pem") {
		t.Errorf("the CA file's name is predictable: %s", m[1])
	}
	if _, err := os.Lstat(m[1]); !os.IsNotExist(err) {
		t.Errorf("%s left behind", m[1])
	}
}
