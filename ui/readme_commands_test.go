package ui

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeListsEveryCommand: each local command of the explorer has a row
// in the README's table of them (the help lists them from the same table).
func TestReadmeListsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "Local commands start with `:`")
	_, table, _ = strings.Cut(table, "| command | does |\n")
	table, _, ok2 := strings.Cut(table, "\n\n")
	if !ok || !ok2 {
		t.Fatal("no table of local commands in the README")
	}
	var rows []string
	for line := range strings.SplitSeq(table, "\n") {
		if first, _, found := strings.Cut(strings.TrimPrefix(line, "| "), " | "); found {
			rows = append(rows, first)
		}
	}
	for _, c := range append(commandTable(), lessonCommands()...) {
		found := false
		for _, r := range rows {
			found = found || strings.Contains(r, "`:"+c.name+"`") || strings.Contains(r, "`:"+c.name+" ")
		}
		if !found {
			t.Errorf(":%s has no row in the README's table of local commands", c.name)
		}
	}
}
