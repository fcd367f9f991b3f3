#!/usr/bin/env bash
# third-party.sh — the patched module copies under third_party/.
#
# usage: bash scripts/third-party.sh check    each copy is its release plus its patch, no more
#        bash scripts/third-party.sh diff     rewrite third_party/DIR.patch from the copies
#        bash scripts/third-party.sh test     run each copy's tests of the patch
#
# Each line of third_party/modules.txt names a directory, a module and the
# release it was copied from (see third_party/README.md). The release comes
# from the module proxy, like any dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

modules() { grep -v '^#' third_party/modules.txt | grep -v '^[[:space:]]*$'; }

# patch DIR MODULE VERSION: the copy's difference from the release, as a
# unified diff between upstream/ and patched/.
patch_of() {
	local dir=$1 mod=$2 ver=$3 src tmp
	src=$(go mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $src ]] || { echo "third-party: cannot download $mod@$ver" >&2; return 1; }
	tmp=$(mktemp -d)
	cp -r "$src" "$tmp/upstream"
	cp -r "third_party/$dir" "$tmp/patched"
	# (without the files' times, which a checkout does not keep)
	(cd "$tmp" && diff -ruN upstream patched) | sed -E 's/^((---|\+\+\+) [^\t]*)\t.*/\1/' || true
	chmod -R u+w "$tmp"
	rm -rf "$tmp"
}

case ${1:-} in
check)
	status=0
	while read -r dir mod ver; do
		if ! diff -u "third_party/$dir.patch" <(patch_of "$dir" "$mod" "$ver") >/dev/null; then
			echo "third-party: third_party/$dir is not $mod@$ver plus third_party/$dir.patch" >&2
			echo "  (after changing the copy on purpose: bash scripts/third-party.sh diff)" >&2
			status=1
		else
			echo "third-party: $dir = $mod@$ver + $dir.patch ($(grep -c '^+++ ' "third_party/$dir.patch") files)"
		fi
	done < <(modules)
	exit $status
	;;
diff)
	while read -r dir mod ver; do
		patch_of "$dir" "$mod" "$ver" >"third_party/$dir.patch"
		echo "third-party: wrote third_party/$dir.patch"
	done < <(modules)
	;;
test)
	(cd third_party/bubbletea && go test -race -count=1 ./...)
	(cd third_party/clipboard && go test -race -count=1 -run FirstUse .) # the rest needs a real clipboard
	(cd third_party/fang && go test -race -count=1 -run 'ColorschemeAsks|TitleWord|TitleFirstWord' .) # the release fails TestSetup/with_command_groups as shipped
	;;
*)
	sed -n 2,11p "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
