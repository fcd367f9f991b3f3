// Command ehlo is an interactive terminal SMTP session explorer: see
// README.md. The commands are in package cli; this file only starts them.
package main

import (
	"os"

	"github.com/ehlo-sh/ehlo/cli"
)

// version and commit are set by the linker in a release build
// (.goreleaser.yaml); other builds read them from the build information.
var version, commit string

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Build{Version: version, Commit: commit}))
}
