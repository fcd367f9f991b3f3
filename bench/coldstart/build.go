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

// listDeps reads `go list -deps -json pkg`, keeping its output in file.
func listDeps(pkg, file string) (*graph, error) {
	out, err := exec.Command("go", "list", "-deps", "-json", pkg).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", pkg, err)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return nil, err
	}
	g := &graph{pkgs: map[string]*pkgInfo{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(pkgInfo)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list %s: %w", pkg, err)
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
	wall, cpu time.Duration // of the go command and all it ran
	runs      []toolRun
	actions   []action
}

// coldBuild builds pkg in an empty build cache under dir, leaving the
// tools' log and the action graph in keep.
func coldBuild(pkg, dir, keep string) (*build, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logFile, graphFile := filepath.Join(keep, "tools.log"), filepath.Join(keep, "actions.json")
	os.Remove(logFile) // toolexec appends to it
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bin"),
		"-toolexec", self+" "+toolexecFlag+" "+logFile, "-debug-actiongraph="+graphFile, pkg)
	cmd.Env = append(os.Environ(), "GOCACHE="+filepath.Join(dir, "cache"), "GOPROXY=off")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s: %w", pkg, err)
	}
	b := &build{wall: time.Since(start)}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	b.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if b.runs, err = readRuns(logFile); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(graphFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &b.actions); err != nil {
		return nil, fmt.Errorf("%s: %w", graphFile, err)
	}
	return b, nil
}
