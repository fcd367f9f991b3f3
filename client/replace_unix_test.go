//go:build unix

package client

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReplacePrivate: the file is written whole with mode 0600 in a 0700
// directory it makes; a symbolic link at the path is replaced, and its
// target left alone; ReadPrivate refuses to follow one.
func TestReplacePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "ehlo")
	path := filepath.Join(dir, "history")
	if err := ReplacePrivate(path, []byte("EHLO a\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v %v", fi.Mode(), err)
	}
	if b, err := ReadPrivate(path, 1<<20); err != nil || string(b) != "EHLO a\n" {
		t.Fatalf("read %q %v", b, err)
	}

	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPrivate(path, 1<<20); err == nil {
		t.Error("ReadPrivate followed a symbolic link")
	}
	if err := ReplacePrivate(path, []byte("QUIT\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the link was not replaced by a file: %v %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
