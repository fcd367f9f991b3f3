//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// toolexecFlag starts coldstart as the go command's -toolexec wrapper:
// coldstart -toolexec-log FILE TOOL [ARG...].
const toolexecFlag = "-toolexec-log"

// toolRun is one run of a tool: compile, asm, cgo or link.
type toolRun struct {
	tool   string // its name: compile, asm, cgo, link
	pkg    string // TOOLEXEC_IMPORTPATH, the package it works on
	wall   time.Duration
	cpu    time.Duration // user + sys, from wait4
	rssKiB int64         // peak RSS
	self   time.Duration // the wrapper's own CPU, user + sys
}

// toolexec runs the tool of args[1:] and appends its cost to the log file
// args[0], one tab-separated line in one write (O_APPEND keeps the lines of
// tools running at once whole). The go command asks each tool its version
// (-V=full) to key its cache: those runs are not logged. It returns the
// tool's exit code.
func toolexec(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: coldstart -toolexec-log FILE TOOL [ARG...]")
		return 2
	}
	logFile, argv := args[0], args[1:]
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		return 1
	}
	if !slices.Contains(argv[1:], "-V=full") {
		run := toolRun{
			tool: strings.TrimSuffix(filepath.Base(argv[0]), ".exe"),
			pkg:  os.Getenv("TOOLEXEC_IMPORTPATH"),
			wall: wall,
			cpu:  cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			run.rssKiB = ru.Maxrss // KiB on Linux
		}
		var self syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
			run.self = time.Duration(self.Utime.Nano() + self.Stime.Nano())
		}
		if err := appendLine(logFile, run.String()); err != nil {
			fmt.Fprintln(os.Stderr, "coldstart:", err)
			return 1
		}
	}
	return cmd.ProcessState.ExitCode()
}

// String is the run's line in the log.
func (r toolRun) String() string {
	return fmt.Sprintf("%s\t%s\t%d\t%d\t%d\t%d\n", r.tool, r.pkg, r.wall, r.cpu, r.rssKiB, r.self)
}

// parseRun reads one line of the log.
func parseRun(line string) (toolRun, error) {
	f := strings.Split(line, "\t")
	if len(f) != 6 {
		return toolRun{}, fmt.Errorf("tools log: bad line %q", line)
	}
	var n [4]int64
	for i := range n {
		v, err := strconv.ParseInt(f[2+i], 10, 64)
		if err != nil {
			return toolRun{}, fmt.Errorf("tools log: bad line %q", line)
		}
		n[i] = v
	}
	return toolRun{tool: f[0], pkg: f[1], wall: time.Duration(n[0]), cpu: time.Duration(n[1]),
		rssKiB: n[2], self: time.Duration(n[3])}, nil
}

func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readRuns reads the log toolexec wrote.
func readRuns(file string) ([]toolRun, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []toolRun
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r, err := parseRun(sc.Text())
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, sc.Err()
}
