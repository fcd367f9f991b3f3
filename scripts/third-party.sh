#!/usr/bin/env bash
# third-party.sh — the module copies under third_party/, packages of ehlo itself.
#
# usage: bash scripts/third-party.sh check         each copy is its release, rewritten, plus its patch, no more
#        bash scripts/third-party.sh diff          rewrite third_party/DIR.patch from the copies
#        bash scripts/third-party.sh test          run the copies' tests (the patches' tests among them)
#        bash scripts/third-party.sh release DIR   replace third_party/DIR with its release, rewritten,
#                                                  and apply DIR.patch (to move to a new release)
#        bash scripts/third-party.sh imports       rewrite ehlo's own imports of the copied modules
#                                                  to the copies (safe to re-run: it is idempotent)
#
# Each line of third_party/modules.txt names a directory, a module, the
# release it was copied from, whether the release's tests are kept, and the
# package directories copied (see third_party/README.md). The release comes
# from the module proxy, like any dependency. The rewrite is mechanical:
# every string literal naming a copied module's package ("M", "M/sub",
# "M.Func") names the copy's instead, then gofmt.
set -euo pipefail
cd "$(dirname "$0")/.."

self=github.com/ehlo-sh/ehlo/third_party

modules() { grep -v '^#' third_party/modules.txt | grep -v '^[[:space:]]*$'; }

# rewrite FILE...: the import-path rewrite, in place, then gofmt (which
# sorts the import blocks the new paths joined).
rewrite() {
	local script='' dir mod ver rest
	while read -r dir mod ver rest; do
		script+="s#\"${mod//./\\.}([/.\"])#\"$self/$dir\\1#g;"
	done < <(modules)
	[[ $# -gt 0 ]] || return 0
	sed -E -i "$script" "$@"
	gofmt -w "$@"
}

# release DIR MODULE VERSION TESTS PACKAGES... OUT: the release's files
# that the copy holds, rewritten, in OUT.
release_of() {
	local dir=$1 mod=$2 ver=$3 tests=$4 out=${!#} src p f
	local pkgs=("${@:5:$#-5}")
	src=$(go mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $src ]] || { echo "third-party: cannot download $mod@$ver" >&2; return 1; }
	mkdir -p "$out"
	cp "$src"/LICENSE* "$out/"
	for p in "${pkgs[@]}"; do
		mkdir -p "$out/$p"
		for f in "$src/$p"/*; do
			[[ -f $f ]] || continue
			case $p/${f##*/} in
			./go.mod | ./go.sum) continue ;;
			*_test.go) [[ $tests == tests ]] || continue ;;
			esac
			cp "$f" "$out/$p/"
		done
		if [[ $tests == tests && -d $src/$p/testdata ]]; then
			cp -r "$src/$p/testdata" "$out/$p/"
		fi
	done
	chmod -R u+w "$out"
	mapfile -t gofiles < <(find "$out" -name '*.go' -not -path '*/testdata/*')
	rewrite "${gofiles[@]}"
}

# patch_of DIR MODULE VERSION TESTS PACKAGES...: the copy's difference from
# the rewritten release, as a unified diff between upstream/ and patched/.
patch_of() {
	local dir=$1 tmp
	tmp=$(mktemp -d)
	release_of "$@" "$tmp/upstream"
	cp -r "third_party/$dir" "$tmp/patched"
	# (without the files' times, which a checkout does not keep)
	(cd "$tmp" && diff -ruN upstream patched) | sed -E 's/^((---|\+\+\+) [^\t]*)\t.*/\1/' || true
	chmod -R u+w "$tmp"
	rm -rf "$tmp"
}

case ${1:-} in
check)
	status=0
	while read -r dir mod ver tests pkgs; do
		# shellcheck disable=SC2086 # pkgs is a list
		got=$(patch_of "$dir" "$mod" "$ver" "$tests" $pkgs)
		want=$(cat "third_party/$dir.patch" 2>/dev/null || true)
		if [[ $got != "$want" ]]; then
			echo "third-party: third_party/$dir is not $mod@$ver, rewritten, plus third_party/$dir.patch" >&2
			echo "  (after changing the copy on purpose: bash scripts/third-party.sh diff)" >&2
			status=1
		else
			echo "third-party: $dir = $mod@$ver rewritten + $( [[ -n $want ]] && echo "$dir.patch ($(grep -c '^+++ ' <<<"$want") files)" || echo "no patch")"
		fi
	done < <(modules)
	for d in third_party/*/; do
		d=${d%/}
		modules | awk '{print $1}' | grep -qx "${d#third_party/}" ||
			{ echo "third-party: $d is not in third_party/modules.txt" >&2; status=1; }
	done
	if grep -q '^replace' go.mod; then
		echo "third-party: go.mod has a replace directive: go install …@version refuses the module" >&2
		status=1
	fi
	exit $status
	;;
diff)
	while read -r dir mod ver tests pkgs; do
		# shellcheck disable=SC2086
		p=$(patch_of "$dir" "$mod" "$ver" "$tests" $pkgs)
		if [[ -n $p ]]; then
			printf '%s\n' "$p" >"third_party/$dir.patch"
			echo "third-party: wrote third_party/$dir.patch"
		else
			rm -f "third_party/$dir.patch"
			echo "third-party: $dir has no patch"
		fi
	done < <(modules)
	;;
release)
	want=${2:?usage: third-party.sh release DIR}
	while read -r dir mod ver tests pkgs; do
		[[ $dir == "$want" ]] || continue
		rm -rf "third_party/$dir"
		# shellcheck disable=SC2086
		release_of "$dir" "$mod" "$ver" "$tests" $pkgs "third_party/$dir"
		if [[ -f third_party/$dir.patch ]]; then
			patch -p1 -d "third_party/$dir" <"third_party/$dir.patch"
		fi
		exit 0
	done < <(modules)
	echo "third-party: $want is not in third_party/modules.txt" >&2
	exit 2
	;;
test)
	go test -race -count=1 ./third_party/...
	;;
imports)
	mapfile -t files < <(git ls-files '*.go' ':!:third_party/**' ':!:**/testdata/**')
	mapfile -t files < <(grep -lE "\"($(modules | awk '{gsub(/\./, "\\."); print $2}' | paste -sd'|'))[/.\"]" "${files[@]}" || true)
	rewrite "${files[@]}"
	echo "third-party: rewrote the imports of ${#files[@]} files"
	;;
*)
	sed -n 2,17p "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
