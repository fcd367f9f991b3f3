#!/usr/bin/env bash
# Writes ehlo's man page, as fang generates it (ehlo man), to
# manpages/ehlo.1.gz. .goreleaser.yaml runs it before a build and puts the
# directory in every archive.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf manpages
mkdir manpages
go run . man | gzip -9 -n >manpages/ehlo.1.gz
