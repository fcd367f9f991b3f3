//go:build unix

package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestOpenPrivateRefusesLinks: a final symbolic link is refused, whether
// it points to a file (which keeps its content and mode) or nowhere (which
// stays nowhere); the message says why.
func TestOpenPrivateRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link, dangling := filepath.Join(dir, "link"), filepath.Join(dir, "dangling")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "created"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []int{os.O_TRUNC, os.O_APPEND} {
		for _, path := range []string{link, dangling} {
			f, err := OpenPrivate(path, flag)
			if err == nil {
				f.Close()
				t.Errorf("OpenPrivate(%s) opened a symbolic link", filepath.Base(path))
			} else if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("OpenPrivate(%s): %v, want ErrSymlink", filepath.Base(path), err)
			}
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
		t.Errorf("the link's target was chmodded to %v", fi.Mode().Perm())
	}
	if _, err := os.Lstat(filepath.Join(dir, "created")); !os.IsNotExist(err) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
}

// TestOpenPrivateOthersFile: a regular file of another user is neither
// truncated nor chmodded, and not written: session data goes only into a
// file of one's own, mode 0600.
func TestOpenPrivateOthersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give a file to another user")
	}
	path := filepath.Join(t.TempDir(), "theirs")
	if err := os.WriteFile(path, []byte("theirs"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if f, err := OpenPrivate(path, os.O_TRUNC); err == nil || !errors.Is(err, ErrNotOwned) {
		if f != nil {
			f.Close()
		}
		t.Errorf("OpenPrivate: %v, want ErrNotOwned", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o666 || fi.Size() != int64(len("theirs")) {
		t.Errorf("the file was changed: mode %v, %d bytes", fi.Mode().Perm(), fi.Size())
	}
}

// TestOpenPrivateFIFO: a FIFO with no reader is refused at once (opening
// it would wait for a reader before anything starts); with a reader it is
// written, and its mode is kept.
func TestOpenPrivateFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := OpenPrivate(fifo, os.O_APPEND)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoReader) {
			t.Errorf("OpenPrivate(FIFO with no reader): %v, want ErrNoReader", err)
		}
	case <-time.After(5 * time.Second):
		r, _ := os.OpenFile(fifo, os.O_RDONLY, 0) // let the open return
		r.Close()
		t.Fatal("OpenPrivate waited for a reader on a FIFO")
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := OpenPrivate(fifo, os.O_TRUNC)
	if err != nil {
		t.Fatalf("OpenPrivate(FIFO with a reader): %v", err)
	}
	if _, err := w.WriteString("S: 220 hi\n"); err != nil {
		t.Errorf("write: %v", err)
	}
	w.Close()
	buf := make([]byte, 64)
	if n, _ := r.Read(buf); string(buf[:n]) != "S: 220 hi\n" {
		t.Errorf("the reader got %q", buf[:n])
	}
	if fi, _ := os.Stat(fifo); fi.Mode().Perm() != 0o644 {
		t.Errorf("the FIFO's mode became %v", fi.Mode().Perm())
	}
}

// TestOpenPrivateDescriptor: /dev/fd/N, /dev/stdout and /dev/stderr are
// the system's own links to a descriptor the process holds: they are
// followed.
func TestOpenPrivateDescriptor(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := OpenPrivate(fmt.Sprintf("/dev/fd/%d", w.Fd()), os.O_APPEND)
	if err != nil {
		t.Skipf("no /dev/fd here: %v", err)
	}
	f.WriteString("x")
	f.Close()
	buf := make([]byte, 1)
	if n, _ := r.Read(buf); n != 1 || buf[0] != 'x' {
		t.Errorf("read %q", buf[:n])
	}
}

// TestCreatePrivate: a default name is created anew, never over anything:
// when it is taken, by a file or a symbolic link, the next free name.
func TestCreatePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ehlo-20260101-120000.txt")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ehlo-20260101-120000-2.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, used, err := CreatePrivate(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if want := filepath.Join(dir, "ehlo-20260101-120000-3.txt"); used != want {
		t.Errorf("created %s, want %s", used, want)
	}
	if fi, err := os.Lstat(used); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v, want a regular file 0600", used, fi.Mode(), err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
		t.Error("the link's target was created")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ehlo-20260101-120000-2.txt")); string(b) != "old" {
		t.Error("an existing file was overwritten")
	}
}
