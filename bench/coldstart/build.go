//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// pkgInfo is what go list says of a package of the build.
type pkgInfo struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Module     *struct{ Path string }
}

// module is the package's module path, or "std".
func (p *pkgInfo) module() string {
	if p.Module == nil {
		return "std"
	}
	return p.Module.Path
}

// graph is the build's import graph; root is the package built.
type graph struct {
	pkgs map[string]*pkgInfo
	root string
}

// parseDeps reads the output of `go list -deps -json`.
func parseDeps(data []byte) (*graph, error) {
	g := &graph{pkgs: map[string]*pkgInfo{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		p := new(pkgInfo)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		g.pkgs[p.ImportPath] = p
		g.root = p.ImportPath // -deps lists the package itself last
	}
	return g, nil
}

// listNames is the set of packages pkg's build compiles.
func listNames(pkg string) (map[string]bool, error) {
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", pkg, err)
	}
	names := map[string]bool{}
	for _, name := range strings.Fields(string(out)) {
		names[name] = true
	}
	return names, nil
}

// action is one action of the go command's action graph
// (-debug-actiongraph, which cmd/go documents as unstable: only these
// fields are read).
type action struct {
	Mode      string
	Package   string
	TimeStart time.Time
	TimeDone  time.Time
}

// build is what one cold build cost.
type build struct {
	totals
	runs    []toolRun
	actions []action
}

// totals are the go command's times, with all it ran.
type totals struct {
	Wall  time.Duration `json:"wall_ns"`
	CPU   time.Duration `json:"cpu_ns"` // user + sys
	Cores int           `json:"cores"`  // the machine's
}

// The files coldBuild leaves in its directory.
const (
	depsFile    = "deps.json"    // go list -deps -json
	toolsFile   = "tools.log"    // toolexec's log
	actionsFile = "actions.json" // -debug-actiongraph
	totalsFile  = "totals.json"
)

// coldBuild builds pkg in an empty build cache under tmp, leaving what it
// measured in dir.
func coldBuild(pkg, tmp, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	deps, err := exec.Command("go", "list", "-deps", "-json", pkg).Output()
	if err != nil {
		return fmt.Errorf("go list %s: %w", pkg, err)
	}
	if err := os.WriteFile(filepath.Join(dir, depsFile), deps, 0o644); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logFile := filepath.Join(dir, toolsFile)
	os.Remove(logFile) // toolexec appends to it
	cmd := exec.Command("go", "build", "-o", filepath.Join(tmp, "bin"),
		"-toolexec", self+" "+toolexecFlag+" "+logFile,
		"-debug-actiongraph="+filepath.Join(dir, actionsFile), pkg)
	cmd.Env = append(os.Environ(), "GOCACHE="+filepath.Join(tmp, "cache"), "GOPROXY=off")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	t := totals{Wall: time.Since(start), Cores: runtime.NumCPU()}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	t.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, totalsFile), append(data, '\n'), 0o644)
}

// loadBuild reads what coldBuild left in dir.
func loadBuild(dir string) (*build, *graph, error) {
	b := new(build)
	if err := readJSON(filepath.Join(dir, totalsFile), &b.totals); err != nil {
		return nil, nil, err
	}
	if err := readJSON(filepath.Join(dir, actionsFile), &b.actions); err != nil {
		return nil, nil, err
	}
	var err error
	if b.runs, err = readRuns(filepath.Join(dir, toolsFile)); err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, depsFile))
	if err != nil {
		return nil, nil, err
	}
	g, err := parseDeps(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", depsFile, err)
	}
	return b, g, nil
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
