// Package ehlodeps links what ehlo links, and runs none of it: a floor
// built with -tags ehlodeps imports it, so that the packages ehlo's main
// imports are initialised before the floor's main, as they are before
// ehlo's, and the code ehlo's commands reach (package cli: the explorer,
// the lab, the reports, cobra and fang) is in the binary, which is then
// about as big as ehlo's. The floor+deps rows of BENCHMARKS.md are that
// floor: what linking ehlo's packages costs a process, apart from anything
// ehlo does with them. TestFloorDepsLinkWhatMainLinks keeps the imports
// equal to main.go's.
package ehlodeps

import (
	_ "os"

	"github.com/ehlo-sh/ehlo/cli"
)

// reached holds what ehlo's main calls, so that the linker keeps it and
// all it reaches; init only looks at it.
var reached = []any{cli.Main}

func init() {
	if reached == nil {
		panic("ehlodeps: nothing reached")
	}
}
