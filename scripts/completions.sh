#!/usr/bin/env bash
# Writes ehlo's shell completions, as fang generates them, to completions/:
# ehlo.bash, ehlo.zsh, ehlo.fish and ehlo.ps1 (PowerShell). .goreleaser.yaml
# runs it before a build and puts the directory in every archive.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf completions
mkdir completions
for sh in bash zsh fish powershell; do
	ext=$sh
	[[ $sh == powershell ]] && ext=ps1
	go run . completion "$sh" >"completions/ehlo.$ext"
done
