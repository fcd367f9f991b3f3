#!/usr/bin/env bash
# Runs every native Go fuzz target of the module for a chosen time each.
#
#   scripts/fuzz.sh [DURATION] [PATTERN]
#
# DURATION is a go test -fuzztime value (default 10m); PATTERN, a regexp,
# picks targets by name (default: all). JOBS=2 runs two targets at a time
# (each uses GOMAXPROCS workers; default 1). A failing input is written by
# go test to PKG/testdata/fuzz/FuzzX/ and is then replayed by every plain
# `go test` as a regression seed: keep it, and fix what it shows.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10m}
pattern=${2:-.}
jobs=${JOBS:-1}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/ehlo-fuzz.XXXXXX")

targets=()
for pkg in $(go list ./...); do
	for t in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		if [[ $t =~ $pattern ]]; then
			targets+=("$pkg $t")
		fi
	done
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "no fuzz target matches $pattern" >&2
	exit 2
fi

echo "fuzzing ${#targets[@]} targets for $duration each, $jobs at a time; logs in $logdir"
run() {
	local pkg=$1 t=$2 log="$logdir/$2.log"
	if go test -run '^$' -fuzz "^$t\$" -fuzztime "$duration" "$pkg" >"$log" 2>&1; then
		echo "PASS  $pkg $t ($duration, $(grep -o 'execs: [0-9]*' "$log" | tail -1))"
	else
		echo "FAIL  $pkg $t: see $log"
		grep -E 'Failing input written to|--- FAIL' "$log" | sed 's/^/      /' || true
		return 1
	fi
}

failed=0
running=0
for entry in "${targets[@]}"; do
	read -r pkg t <<<"$entry"
	echo "start $pkg $t"
	run "$pkg" "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || failed=$((failed + 1))
		running=$((running - 1))
	fi
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=$((failed + 1))
	running=$((running - 1))
done

if [ "$failed" -gt 0 ]; then
	echo "$failed of ${#targets[@]} targets failed"
	exit 1
fi
echo "all ${#targets[@]} targets passed"
