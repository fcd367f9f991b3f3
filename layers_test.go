package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/ehlo-sh/ehlo/"

// rule says which imports a package may not have. tests says whether its
// _test.go files are held to the rule too.
type rule struct {
	dir    string
	forbid func(path string) bool
	tests  bool
	why    string
}

// charm is Charm's libraries: the modules, and the copies of some of them
// that ehlo builds as its own packages (third_party/README.md), which count
// as what they replace.
var charm = []string{"charm.land", "github.com/charmbracelet", module + "third_party"}

func stdlibOnly(p string) bool { return strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }

func anyOf(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, f := range prefixes {
			if p == f || strings.HasPrefix(p, f+"/") {
				return true
			}
		}
		return false
	}
}

var layerRules = []rule{
	{"wire", func(p string) bool {
		return stdlibOnly(p) && p != module+"internal/hostile" && p != module+"internal/testenv"
	}, true,
		"wire is bytes on a socket: standard library only (its tests may use the internal/hostile harness and internal/testenv)"},
	{"session", anyOf(append([]string{"net", "crypto/tls", module + "wire", module + "ui", module + "themes", module + "client",
		module + "lab"}, charm...)...), true,
		"session is pure: no sockets, no TLS, no transport, no UI"},
	{"ui", anyOf("net", "crypto/tls"), false, "ui never touches the network: I/O goes through commands"},
	{"themes", anyOf("net", "crypto/tls", module+"ui", module+"wire", module+"client", module+"session", module+"lab"), true,
		"themes is styles from a palette, injected into ui"},
	{"lab", anyOf(module+"wire", module+"session", module+"ui", module+"client", module+"themes"), false,
		"the lab is a standalone server"},
	{"client", anyOf(append([]string{module + "ui", module + "themes"}, charm...)...), false, "client is below the UI"},
	{"cli", func(p string) bool { return p == "net" || anyOf("crypto/tls", module+"internal/hostile")(p) }, false,
		"the commands use client, session, lab, ui and themes; sockets and TLS are client's and wire's"},
	{"learn", func(p string) bool {
		return p == "net" || anyOf(append([]string{"crypto/tls", module + "ui", module + "themes"}, charm...)...)(p)
	}, false,
		"learn is lessons as data and their goals: no UI, no sockets (Verify runs scripts through client)"},
	{"dns", func(p string) bool {
		return strings.HasPrefix(p, module) && p != module+"internal/testenv" || anyOf(charm...)(p)
	}, false, "dns asks DNS questions: the standard library and a DNS library, below every ehlo package"},
	{"domain", func(p string) bool {
		return stdlibOnly(p) && p != module+"dns" && p != module+"session" && p != module+"internal/testenv"
	}, true, "domain judges routes and policies from DNS answers and TLS facts: dns, session and the standard library; the SMTP probes are client's"},
	{"identity", func(p string) bool {
		return p == "net" || p == "crypto/tls" || anyOf(module+"wire", module+"client", module+"ui", module+"themes", module+"lab", module+"cli")(p) ||
			anyOf(charm...)(p)
	}, false, "identity judges DNS answers: it asks through dns.Resolver and speaks session's findings; no sockets, no SMTP transport, no UI"},
	{"internal/hostile", anyOf(append([]string{module + "wire", module + "session", module + "client", module + "ui",
		module + "themes", module + "lab"}, charm...)...), true, "the hostile-server harness stands below every package it tests"},
}

// imports lists the import paths of the Go files in dir.
func imports(t *testing.T, dir string, withTests bool) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if !withTests && strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range af.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			found[p] = append(found[p], filepath.Base(f))
		}
	}
	return found
}

func TestLayers(t *testing.T) {
	for _, r := range layerRules {
		if _, err := os.Stat(r.dir); err != nil {
			continue // a layer that does not exist yet breaks no rule
		}
		found := imports(t, r.dir, r.tests)
		if len(found) == 0 {
			t.Errorf("%s: no imports found; is the rule reading the right files?", r.dir)
		}
		for p, files := range found {
			if r.forbid(p) {
				t.Errorf("%s imports %q in %s: %s", r.dir, p, strings.Join(files, ", "), r.why)
			}
		}
	}
}

// TestNothingImportsCLI: the commands' package is the top; only main (and
// the benchmark's floor that links what main links) may import it.
func TestNothingImportsCLI(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		switch {
		case path == "." || path == "bench/floor/ehlodeps":
			return nil
		case strings.HasPrefix(d.Name(), ".") || d.Name() == "third_party" || d.Name() == "testdata":
			return filepath.SkipDir
		}
		if files, ok := imports(t, path, true)[module+"cli"]; ok {
			t.Errorf("%s imports the commands' package in %s: nothing below it may", path, strings.Join(files, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayerRulesBite makes sure each rule rejects what it is meant to.
func TestLayerRulesBite(t *testing.T) {
	bad := map[string][]string{
		"wire":    {"github.com/ehlo-sh/ehlo/session", "github.com/ehlo-sh/ehlo/third_party/bubbletea"},
		"session": {"net", "charm.land/lipgloss/v2", "github.com/ehlo-sh/ehlo/third_party/bubbletea"},
		"ui":      {"crypto/tls"},
		"themes":  {"github.com/ehlo-sh/ehlo/ui"},
		"lab":     {"github.com/ehlo-sh/ehlo/wire"},
		"client":  {"charm.land/lipgloss/v2", "github.com/ehlo-sh/ehlo/third_party/bubbletea", "github.com/ehlo-sh/ehlo/third_party/bubbles/key"},
		"domain":  {"golang.org/x/net/idna", "github.com/ehlo-sh/ehlo/wire", "github.com/ehlo-sh/ehlo/client", "github.com/ehlo-sh/ehlo/lab", "github.com/ehlo-sh/ehlo/ui", "github.com/ehlo-sh/ehlo/cli"},
		"cli":     {"net"},
		"dns":     {"github.com/ehlo-sh/ehlo/session", "github.com/ehlo-sh/ehlo/wire"},
		"learn":   {"net", "github.com/ehlo-sh/ehlo/ui", "github.com/ehlo-sh/ehlo/third_party/bubbletea"},
		"identity": {"net", "github.com/ehlo-sh/ehlo/wire", "github.com/ehlo-sh/ehlo/client",
			"github.com/ehlo-sh/ehlo/third_party/bubbletea"},

		"internal/hostile": {"github.com/ehlo-sh/ehlo/wire", "github.com/ehlo-sh/ehlo/third_party/bubbletea"},
	}
	for _, r := range layerRules {
		for _, p := range bad[r.dir] {
			if !r.forbid(p) {
				t.Errorf("rule for %s lets %s through", r.dir, p)
			}
		}
		if r.forbid("fmt") {
			t.Errorf("rule for %s forbids fmt", r.dir)
		}
	}
}

// TestFloorDepsLinkWhatMainLinks: the benchmark's floor+deps links exactly
// what main imports, or its row no longer measures what linking ehlo's
// packages costs (bench/floor/ehlodeps).
func TestFloorDepsLinkWhatMainLinks(t *testing.T) {
	mainImports, deps := imports(t, ".", false), imports(t, "bench/floor/ehlodeps", false)
	for p := range mainImports {
		if _, ok := deps[p]; !ok {
			t.Errorf("main imports %s, bench/floor/ehlodeps does not", p)
		}
	}
	for p := range deps {
		if _, ok := mainImports[p]; !ok {
			t.Errorf("bench/floor/ehlodeps imports %s, main does not", p)
		}
	}
}

// TestNoTablesBuiltAtStart: every command pays for every package-level
// initialiser of every package the binary links, so the packages main links
// compile no regular expression at start (sync.OnceValue compiles it at
// first use), and github.com/xdg-go/stringprep (0.5M instructions and 136 KB
// of tables at every start, for a SCRAM password) stays out: session has
// its own SASLprep.
func TestNoTablesBuiltAtStart(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{.Dir}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	ours := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, dir, _ := strings.Cut(line, " ")
		if path == "github.com/xdg-go/stringprep" {
			t.Errorf("the binary links %s: its tables are built at every start (imported for SCRAM? session has its own SASLprep)", path)
		}
		if !strings.HasPrefix(path, module) || strings.HasPrefix(path, module+"third_party/") {
			continue
		}
		ours++
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range af.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.VAR {
					continue
				}
				ast.Inspect(g, func(n ast.Node) bool {
					if _, ok := n.(*ast.FuncLit); ok {
						return false // compiled when the function runs: sync.OnceValue
					}
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && strings.HasPrefix(sel.Sel.Name, "MustCompile") {
							t.Errorf("%s: a package-level regexp.%s runs at every start of every command: compile it at first use (sync.OnceValue)",
								filepath.Join(path, filepath.Base(f)), sel.Sel.Name)
						}
					}
					return true
				})
			}
		}
	}
	if ours < 10 {
		t.Errorf("only %d of ehlo's packages found in go list's output: is the test reading it right?", ours)
	}
}
