package cli

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// noHistoryEnv turns the explorer's history file off when set to anything.
const noHistoryEnv = "EHLO_NO_HISTORY"

// historyFile is where the explorer keeps the command history across runs,
// "" for nowhere (--no-history, or EHLO_NO_HISTORY set).
func historyFile(noHistory bool) string {
	return stateFile(noHistory, "history")
}

// stateFile is the file name in ehlo's state directory, beside the
// history ($XDG_STATE_HOME/ehlo/NAME), "" for nowhere (--no-history, or
// EHLO_NO_HISTORY set, or no home directory).
func stateFile(noHistory bool, name string) string {
	if noHistory || os.Getenv(noHistoryEnv) != "" {
		return ""
	}
	home, _ := os.UserHomeDir()
	path, err := historyPath(os.Getenv, runtime.GOOS, home)
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(path), name)
}

// historyPath is the history file in the user's state directory:
// $XDG_STATE_HOME/ehlo/history, else ~/.local/state/ehlo/history (the XDG
// Base Directory default); on macOS ~/Library/Application Support/ehlo,
// on Windows %LocalAppData%\ehlo (else %AppData%), as os.UserConfigDir
// picks those systems' places. A relative XDG_STATE_HOME is ignored, as
// the specification asks.
func historyPath(getenv func(string) string, goos, home string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "ehlo", "history"), nil
	}
	var dir string
	switch goos {
	case "windows":
		dir = getenv("LocalAppData")
		if dir == "" {
			dir = getenv("AppData")
		}
	case "darwin", "ios":
		if home != "" {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	case "plan9":
		if home != "" {
			dir = filepath.Join(home, "lib")
		}
	default:
		if home != "" {
			dir = filepath.Join(home, ".local", "state")
		}
	}
	if dir == "" {
		return "", errors.New("no home directory for the history file")
	}
	return filepath.Join(dir, "ehlo", "history"), nil
}
