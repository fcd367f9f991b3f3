package main

import (
	"os"
	"strings"
	"testing"
)

// TestDemoTapeOrder catches what `vhs validate` lets through: Output, Set
// and Require after the first action are ignored when the tape renders.
func TestDemoTapeOrder(t *testing.T) {
	b, err := os.ReadFile("demo.tape")
	if err != nil {
		t.Fatal(err)
	}
	acting, output := false, false
	for i, line := range strings.Split(string(b), "\n") {
		word, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch word {
		case "", "#":
		case "Output", "Set", "Require":
			if acting {
				t.Errorf("demo.tape:%d: %s after the first action is ignored by vhs", i+1, word)
			}
			output = output || word == "Output"
		default:
			if !strings.HasPrefix(word, "#") {
				acting = true
			}
		}
	}
	if !output {
		t.Error("demo.tape has no Output line")
	}
}
