package client

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenPrivate: a regular file ends up 0600, an existing one too; a
// device keeps its mode (a terminal or /dev/null given as the file).
func TestOpenPrivate(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "t.txt")
	if err := os.WriteFile(existing, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{existing, filepath.Join(dir, "new.txt")} {
		f, err := OpenPrivate(path, os.O_TRUNC)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", path, fi.Mode(), err)
		}
	}
	// a null device of our own, so that a failure cannot touch /dev/null
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(1<<8|3)); err != nil {
		t.Skipf("cannot make a device node here: %v", err)
	}
	if err := os.Chmod(null, 0o666); err != nil {
		t.Fatal(err)
	}
	f, err := OpenPrivate(null, os.O_APPEND)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, err := os.Stat(null); err != nil || fi.Mode().Perm() != 0o666 {
		t.Errorf("the device's mode became %v (%v), want 0666 kept", fi.Mode().Perm(), err)
	}
}
