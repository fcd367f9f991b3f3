//go:build ehlodeps

package main

// Built with -tags ehlodeps, ehloprobe links every package ehlo links
// (bench/floor/ehlodeps), as floor+deps does.
import _ "github.com/ehlo-sh/ehlo/bench/floor/ehlodeps"
