// Package ehlodeps links what ehlo links, and does nothing: a floor built
// with -tags ehlodeps imports it, so that every package ehlo's main imports
// is initialised before the floor's main runs, as it is before ehlo's. The
// floor+deps rows of BENCHMARKS.md are that floor: what linking ehlo's
// packages costs a process, apart from anything ehlo does with them.
// TestFloorDepsLinkWhatMainLinks keeps this list equal to main.go's imports.
package ehlodeps

import (
	_ "bufio"
	_ "context"
	_ "encoding/json"
	_ "errors"
	_ "fmt"
	_ "io"
	_ "net/mail"
	_ "os"
	_ "os/signal"
	_ "path/filepath"
	_ "slices"
	_ "strings"
	_ "sync"
	_ "time"

	_ "charm.land/bubbletea/v2"
	_ "charm.land/fang/v2"
	_ "github.com/charmbracelet/colorprofile"
	_ "github.com/charmbracelet/x/term"
	_ "github.com/ehlo-sh/ehlo/client"
	_ "github.com/ehlo-sh/ehlo/lab"
	_ "github.com/ehlo-sh/ehlo/themes"
	_ "github.com/ehlo-sh/ehlo/ui"
	_ "github.com/ehlo-sh/ehlo/wire"
	_ "github.com/spf13/cobra"
)
