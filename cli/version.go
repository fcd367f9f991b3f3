package cli

import (
	"cmp"
	"runtime/debug"
	"strings"
)

// version is what --version says: the release's stamp when the linker set
// one; else the module version the go command recorded (v1.2.3 for a
// `go install …@v1.2.3`, a pseudo-version for a build in a checkout) and
// the commit of a checkout, marked "+dirty" when it had changes; "devel"
// when neither is known (go run, or -buildvcs=false outside a module
// download), never "unknown". read is debug.ReadBuildInfo.
func version(b Build, read func() (*debug.BuildInfo, bool)) (v, commit string) {
	if b.Version != "" {
		return b.Version, b.Commit
	}
	info, ok := read()
	if !ok {
		return "devel", ""
	}
	v = info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && !strings.HasSuffix(v, "+dirty") {
		v += " +dirty"
	}
	return v, cmp.Or(b.Commit, commit)
}
