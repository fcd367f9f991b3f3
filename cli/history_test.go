package cli

import (
	"path/filepath"
	"testing"
)

func TestHistoryPath(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		name   string
		getenv func(string) string
		goos   string
		home   string
		want   string
	}{
		{"XDG_STATE_HOME", env("XDG_STATE_HOME", "/x/state"), "linux", "/home/a", "/x/state/ehlo/history"},
		{"XDG on macOS too", env("XDG_STATE_HOME", "/x/state"), "darwin", "/Users/a", "/x/state/ehlo/history"},
		{"a relative XDG_STATE_HOME is ignored", env("XDG_STATE_HOME", "state"), "linux", "/home/a", "/home/a/.local/state/ehlo/history"},
		{"the XDG default", env(), "linux", "/home/a", "/home/a/.local/state/ehlo/history"},
		{"macOS", env(), "darwin", "/Users/a", "/Users/a/Library/Application Support/ehlo/history"},
		{"Windows", env("LocalAppData", `C:\Users\a\AppData\Local`, "AppData", `C:\Users\a\AppData\Roaming`), "windows", "", filepath.Join(`C:\Users\a\AppData\Local`, "ehlo", "history")},
		{"Windows without LocalAppData", env("AppData", `C:\Users\a\AppData\Roaming`), "windows", "", filepath.Join(`C:\Users\a\AppData\Roaming`, "ehlo", "history")},
		{"no home", env(), "linux", "", ""},
	}
	for _, c := range cases {
		got, err := historyPath(c.getenv, c.goos, c.home)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
}

// TestHistoryOff: --no-history, and EHLO_NO_HISTORY set to anything, keep
// no file.
func TestHistoryOff(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv(noHistoryEnv, "")
	if historyFile(false) == "" || historyFile(true) != "" {
		t.Errorf("flag: on %q, off %q", historyFile(false), historyFile(true))
	}
	t.Setenv(noHistoryEnv, "1")
	if p := historyFile(false); p != "" {
		t.Errorf("%s=1: %q", noHistoryEnv, p)
	}
}
