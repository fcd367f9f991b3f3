package cli

import (
	"runtime/debug"
	"testing"
)

// TestVersion: --version says the release's stamp, else the module
// version and commit the go command recorded; never "unknown".
func TestVersion(t *testing.T) {
	info := func(v string, settings ...string) func() (*debug.BuildInfo, bool) {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/ehlo-sh/ehlo", Version: v}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return func() (*debug.BuildInfo, bool) { return bi, true }
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	const rev = "e1c08ef2f0a6c1d5b1b0d7f7a3c9e3c2d1f0a9b8"
	for _, tc := range []struct {
		name         string
		b            Build
		read         func() (*debug.BuildInfo, bool)
		want, commit string
	}{
		{"release", Build{Version: "1.2.0", Commit: rev}, none, "1.2.0", rev},
		{"go install @version", Build{}, info("v1.2.0"), "v1.2.0", ""},
		{"checkout", Build{}, info("v0.0.0-20261207183000-e1c08ef2f0a6", "vcs.revision", rev, "vcs.modified", "false"),
			"v0.0.0-20261207183000-e1c08ef2f0a6", rev},
		{"checkout with changes", Build{}, info("v0.0.0-20261207183000-e1c08ef2f0a6+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			"v0.0.0-20261207183000-e1c08ef2f0a6+dirty", rev},
		{"changes, version from elsewhere", Build{}, info("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "devel +dirty", rev},
		{"no VCS stamping", Build{}, info("(devel)"), "devel", ""},
		{"no build info", Build{}, none, "devel", ""},
	} {
		v, commit := version(tc.b, tc.read)
		if v != tc.want || commit != tc.commit {
			t.Errorf("%s: version %q, commit %q; want %q, %q", tc.name, v, commit, tc.want, tc.commit)
		}
	}
}
