// Package ehlodeps links what ehlo links, and runs none of it: a floor
// built with -tags ehlodeps imports it, so that the packages ehlo's main
// imports are initialised before the floor's main, as they are before
// ehlo's, and the code ehlo's commands reach (the explorer, the lab, the
// reports, cobra and fang) is in the binary, which is then about as big as
// ehlo's. The floor+deps rows of BENCHMARKS.md are that floor: what linking
// ehlo's packages costs a process, apart from anything ehlo does with them.
// TestFloorDepsLinkWhatMainLinks keeps the imports equal to main.go's.
package ehlodeps

import (
	_ "bufio"
	_ "cmp"
	_ "context"
	"encoding/json"
	_ "errors"
	_ "fmt"
	_ "io"
	_ "net/mail"
	_ "os"
	_ "os/signal"
	_ "path/filepath"
	_ "slices"
	_ "strconv"
	_ "strings"
	_ "sync"
	_ "time"

	"charm.land/bubbletea/v2"
	"charm.land/fang/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/ui"
	"github.com/ehlo-sh/ehlo/wire"
	"github.com/spf13/cobra"
	_ "github.com/spf13/pflag"
)

// reached holds what ehlo's commands call, so that the linker keeps it and
// all it reaches; init only looks at it.
var reached = []any{
	ui.Run, lab.Start, fang.Execute, (*cobra.Command).ExecuteContext, tea.WithColorProfile,
	colorprofile.Detect, term.IsTerminal, term.ReadPassword, wire.NewTranscript, themes.Names,
	client.ProbeAll, client.WriteProbe, client.Send, client.WriteSend, client.WriteReceived,
	client.Doctor, client.WriteDoctor, client.ParseScript, client.RunScript, client.WriteTranscript,
	client.ReadSecretLine, client.Explain, json.Marshal, json.NewEncoder,
}

func init() {
	if reached == nil {
		panic("ehlodeps: nothing reached")
	}
}
