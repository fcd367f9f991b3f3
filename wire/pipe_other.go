//go:build !unix

package wire

import (
	"os"
	"os/exec"
)

// shellCommand runs command with the system's command interpreter.
func shellCommand(command string) *exec.Cmd {
	shell := os.Getenv("ComSpec")
	if shell == "" {
		shell = "cmd.exe"
	}
	return exec.Command(shell, "/C", command)
}

// killTree kills the program.
func killTree(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
