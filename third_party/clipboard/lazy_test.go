//go:build linux

package clipboard

// ehlo patch: the clipboard commands are looked for on first use, not at
// start-up.

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDetectsOnFirstUse(t *testing.T) {
	// A fake xclip that only exists after the program has started: found
	// only if the search happens at first use.
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	fake := "#!/bin/sh\ncase \"$1\" in -in) cat >'" + store + "' ;; -out) cat '" + store + "' ;; esac\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/bin"+string(os.PathListSeparator)+"/usr/bin")
	t.Setenv("WAYLAND_DISPLAY", "")

	if err := WriteAll("from the first use"); err != nil {
		t.Fatalf("WriteAll: %v (Unsupported=%v)", err, Unsupported)
	}
	got, err := ReadAll()
	if err != nil || got != "from the first use" {
		t.Fatalf("ReadAll = %q, %v; want what WriteAll wrote through the fake xclip", got, err)
	}
}
