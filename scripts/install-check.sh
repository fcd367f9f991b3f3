#!/usr/bin/env bash
# install-check.sh — the README's install command works: `go install
# github.com/ehlo-sh/ehlo@latest` builds ehlo from its module as a user's go
# does (go refuses a module whose go.mod has replace directives), and the
# binary says the version it was installed at.
#
# usage: bash scripts/install-check.sh     (checks the commit HEAD; uncommitted changes are not in it)
#
# HEAD is pushed, tagged $version, to a throwaway bare repository, and git
# is told (url.insteadOf, in a throwaway global config) that
# https://github.com/ehlo-sh/ehlo is that repository. GOPRIVATE makes go
# fetch ehlo from git directly, as it does a module the proxy does not know:
# go resolves @latest from the tags, makes the module zip itself and checks
# go.mod, as for any module. Its dependencies come from this machine's
# module cache used as a proxy, then proxy.golang.org, checked against the
# checksum database as usual. The module cache and GOBIN are throwaway
# too; the build cache is shared (it only saves time).
set -euo pipefail
cd "$(dirname "$0")/.."

version=v0.0.1-installcheck
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

git init -q --bare "$tmp/ehlo.git"
git -C "$tmp/ehlo.git" config receive.shallowUpdate true # CI's clone may be shallow
git push -q "$tmp/ehlo.git" "HEAD:refs/heads/main" "HEAD:refs/tags/$version"
git -C "$tmp/ehlo.git" symbolic-ref HEAD refs/heads/main
printf '[url "file://%s/ehlo.git"]\n\tinsteadOf = https://github.com/ehlo-sh/ehlo\n' "$tmp" >"$tmp/gitconfig"

cache=$(go env GOMODCACHE)/cache/download
mkdir -p "$tmp/home"
(
	cd "$tmp/home" # outside any module: go install m@v ignores go.mod here, but no go.work either
	env GOMODCACHE="$tmp/mod" GOBIN="$tmp/bin" GOFLAGS=-modcacherw GOWORK=off GOTOOLCHAIN=local \
		GOPRIVATE=github.com/ehlo-sh/ehlo GOPROXY="file://$cache,https://proxy.golang.org,direct" \
		GIT_CONFIG_GLOBAL="$tmp/gitconfig" GIT_CONFIG_NOSYSTEM=1 \
		go install github.com/ehlo-sh/ehlo@latest
)

got=$("$tmp/bin/ehlo" --version)
echo "install-check: ehlo --version: $got"
if [[ $got != *"$version"* ]]; then
	echo "install-check: --version does not say $version" >&2
	exit 1
fi
"$tmp/bin/ehlo" probe --lab >"$tmp/probe.out" 2>&1 || {
	cat "$tmp/probe.out" >&2
	echo "install-check: the installed ehlo probe --lab failed" >&2
	exit 1
}
echo "install-check: ehlo probe --lab: $(grep -c '' "$tmp/probe.out") lines, exit 0"
