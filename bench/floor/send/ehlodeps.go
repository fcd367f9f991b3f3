//go:build ehlodeps

package main

// Built with -tags ehlodeps, the floor links every package ehlo links
// (bench/floor/ehlodeps): BENCHMARKS.md's floor+deps row.
import _ "github.com/ehlo-sh/ehlo/bench/floor/ehlodeps"
