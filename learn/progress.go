package learn

import (
	"errors"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/client"
)

// The progress file lists the lessons finished, one a line: "done NAME
// TIME". It lives in the user's state directory beside the history
// ($XDG_STATE_HOME/ehlo/learn), mode 0600, replaced by rename so that a
// symbolic link is never followed (client.ReplacePrivate).

// maxProgress bounds what is read of a progress file.
const maxProgress = 64 << 10

// LoadProgress reads the lessons finished; a missing file is none.
func LoadProgress(path string) (map[string]bool, error) {
	done := map[string]bool{}
	b, err := client.ReadPrivate(path, maxProgress)
	if errors.Is(err, fs.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return done, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "done" && validName(f[1]) {
			done[f[1]] = true
		}
	}
	return done, nil
}

// MarkDone records lesson name as finished; the lessons finished before
// keep the time they were.
func MarkDone(path, name string) error {
	if !validName(name) {
		return errors.New("a lesson name is one word of letters, digits and -")
	}
	lines := map[string]string{}
	b, err := client.ReadPrivate(path, maxProgress)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "done" && validName(f[1]) {
			lines[f[1]] = strings.Join(f, " ")
		}
	}
	if _, ok := lines[name]; ok {
		return nil
	}
	lines[name] = "done " + name + " " + time.Now().UTC().Format(time.RFC3339)
	names := make([]string, 0, len(lines))
	for n := range lines {
		names = append(names, n)
	}
	sort.Strings(names)
	var out strings.Builder
	for _, n := range names {
		out.WriteString(lines[n] + "\n")
	}
	return client.ReplacePrivate(path, []byte(out.String()))
}

// validName is a lesson name as a progress file may hold it.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
