#!/usr/bin/env bash
# bench/fleet.sh — the fleet benchmark (issue 21): ehlo probe --from-file
# --jsonl against zgrab2's smtp module, on a simulator of many SMTP targets
# on loopback (bench/fleetsim), and writes bench/fleet.md, which bench/run.sh
# puts into BENCHMARKS.md.
#
# usage (from anywhere in the repository; root is not needed, but without it the `blocked`
# share is served healthy and its row is skipped: filtering port 25 takes an nftables rule):
#   bash bench/fleet.sh             3 rounds; merges bench/fleet.md into BENCHMARKS.md
#   bash bench/fleet.sh --quick     1 round, 2,000 targets, written to bench/out/fleet.quick.md
#   bash bench/fleet.sh --no-merge  as the first, leaving BENCHMARKS.md alone (bench/run.sh)
# FLEET_TARGETS=N sets the number of targets (default 10000), ZGRAB2=PATH a zgrab2 to use (none: no zgrab2),
# FLEET_NET=B serves them on 127.B.0.0/16 (default 1), FLEET_PORT=P on port P (default 2525; the
# resetting host takes the 20 ports after it), FLEET_OUT=DIR writes the run there.
#
# What it does:
#   1. builds ehlo and the simulator, and zgrab2 v1.0.0-RC3 from the Go module proxy in a
#      temporary module outside the repository (go install @latest is refused there: the
#      proxy answers 403 to the version list; an exact version builds);
#   2. starts the simulator: FLEET_TARGETS targets on 127.1.0.0/16, port 2525, each with its
#      behaviour and the status it must get (bench/out/fleet/truth.tsv); as root with nft, an
#      nftables table of its own (inet ehlo_fleetsim_B) drops SYNs to port 25 of the "blocked"
#      share, removed when the script ends;
#   3. in alternation, round after round, for N in 100, 500, 1000, both on the same list (the
#      addresses zgrab2 is given, on PORT): ehlo probe --from-file
#      --jsonl --parallel N, then zgrab2 smtp --send-ehlo-override --send-starttls-override
#      --send-quit -s N; each process timed by /usr/bin/time (wall, user+sys, peak RSS), the
#      simulator's own CPU read from /proc before and after;
#   4. checks every ehlo status against the truth, and zgrab2's success against the targets
#      that complete;
#   5. runs ehlo at 1,000 in flight on 5x the targets (the rest closed addresses) for RSS
#      flat in the number of targets, and once on every target (the blocked share, the
#      resetting host and the unresolvable names too) with a CPU profile (EHLO_CPUPROFILE);
#   6. writes the tables, the profile's shares and the targets met or missed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
export LC_ALL=C

QUICK= MERGE=1 REPORT_ONLY=
for a in "$@"; do
	case $a in
	--quick) QUICK=1 MERGE= ;;
	--no-merge) MERGE= ;;
	--report) REPORT_ONLY=1 ;; # only write the section again from bench/out/fleet
	*) echo "usage: bash bench/fleet.sh [--quick] [--no-merge] [--report]" >&2; exit 2 ;;
	esac
done
N=${FLEET_TARGETS:-10000}
ROUNDS=3
PARS=(100 500 1000)
MD=bench/fleet.md
if [[ -n $QUICK ]]; then N=${FLEET_TARGETS:-2000} ROUNDS=1 MD=bench/out/fleet.quick.md; fi
OUT=${FLEET_OUT:-bench/out/fleet}
BIN=bench/out/bin
PORT=${FLEET_PORT:-2525}
mkdir -p "$OUT" "$BIN"
log() { printf 'fleet: %s\n' "$*" >&2; }
die() { printf 'fleet: error: %s\n' "$*" >&2; exit 1; }
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= N + 4000)) || die "ulimit -n is $(ulimit -n): the simulator needs one descriptor per target and more"

# ------------------------------------------------------------------ builds

ZGRAB2_VERSION=v1.0.0-RC3
build() {
	log "building ehlo and the simulator"
	CGO_ENABLED=0 go build -o "$BIN/ehlo" .
	go build -o "$BIN/fleetsim" ./bench/fleetsim
	ZG=${ZGRAB2:-$BIN/zgrab2}
	ZG_NOTE=
	if [[ ${ZGRAB2:-} == none ]]; then
		ZG= ZG_NOTE="zgrab2 was not run (ZGRAB2=none)"
	elif [[ ! -x $ZG ]]; then
		log "building zgrab2 $ZGRAB2_VERSION from the module proxy, outside the repository"
		local tmp
		tmp=$(mktemp -d)
		if (cd "$tmp" && go mod init zgrab2build >/dev/null 2>&1 &&
			go mod edit -require "github.com/zmap/zgrab2@$ZGRAB2_VERSION" &&
			GOFLAGS=-mod=mod go build -o zgrab2 github.com/zmap/zgrab2/cmd/zgrab2) >"$OUT/zgrab2-build.log" 2>&1; then
			cp "$tmp/zgrab2" "$BIN/zgrab2"
			ZG=$BIN/zgrab2
		else
			ZG=
			ZG_NOTE="zgrab2 $ZGRAB2_VERSION did not build from the module proxy here ($(tail -1 "$OUT/zgrab2-build.log"))"
			log "$ZG_NOTE"
		fi
		rm -rf "$tmp"
	fi
}

# ------------------------------------------------------------------ simulator

SIM_PID=
start_sim() {
	log "starting the simulator: $N targets on 127.${FLEET_NET:-1}.0.0/16:$PORT"
	rm -f "$OUT/sim.in" "$OUT/sim.out"
	mkfifo "$OUT/sim.in" "$OUT/sim.out"
	local blocked=
	if [[ $(id -u) -eq 0 ]] && command -v nft >/dev/null; then
		blocked=-blocked
		echo yes >"$OUT/blocked.txt"
	else
		log "not root, or no nft: the blocked share (port 25 filtered) is served healthy, its row skipped; run as root with nftables for it"
		echo "not run as root with nftables" >"$OUT/blocked.txt"
	fi
	"$BIN/fleetsim" -n "$N" -net "${FLEET_NET:-1}" -dir "$OUT" -port "$PORT" -tarpit-delay 5s $blocked <"$OUT/sim.in" >"$OUT/sim.out" &
	SIM_PID=$!
	exec 7>"$OUT/sim.in" # the simulator serves until this closes
	trap stop_sim EXIT
	local line
	read -r -t 120 line <"$OUT/sim.out" || die "the simulator did not start"
	[[ $line == ready ]] || die "the simulator said: $line"
	[[ -z $blocked ]] || filter_port25
	TICK=$(getconf CLK_TCK)
}

# filter_port25: the nftables table that drops SYNs to port 25 of the
# blocked share's addresses (the simulator's dir/blocked.ips), so their
# port 25 times out while their other ports refuse.
NFT_TABLE=ehlo_fleetsim_${FLEET_NET:-1}
filter_port25() {
	local ips
	ips=$(paste -sd, "$OUT/blocked.ips")
	[[ -n $ips ]] || return 0
	printf 'table inet %s {}\nflush table inet %s\ntable inet %s {\n set blocked {\n  type ipv4_addr\n  elements = { %s }\n }\n chain in {\n  type filter hook input priority -10; policy accept;\n  ip daddr @blocked tcp dport 25 tcp flags syn drop\n }\n}\n' \
		"$NFT_TABLE" "$NFT_TABLE" "$NFT_TABLE" "$ips" | nft -f - || die "nft refused the blocked share's rule"
	NFT_ADDED=1
}

stop_sim() {
	if [[ -n ${NFT_ADDED:-} ]]; then nft delete table inet "$NFT_TABLE" || true; fi
	exec 7>&- || true
	[[ -z $SIM_PID ]] || wait "$SIM_PID" 2>/dev/null || true
	rm -f "$OUT/sim.in" "$OUT/sim.out"
}

# sim_cpu: the simulator's CPU so far, in clock ticks.
sim_cpu() { awk '{print $14 + $15}' "/proc/$SIM_PID/stat"; }

# ------------------------------------------------------------------ runs

# timed LABEL CMD...: runs CMD, appends "LABEL wall cpu rss_kib sim_cpu" to
# $OUT/samples.txt; its stdout goes to $OUT/LABEL.out.
timed() {
	local label=$1 before after
	shift
	before=$(sim_cpu)
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$@" >"$OUT/$label.out" 2>"$OUT/$label.err" ||
		die "$label failed: $(tail -3 "$OUT/$label.err")"
	after=$(sim_cpu)
	read -r wall user sys rss <"$OUT/time.txt"
	echo "$label $wall $(echo "$user + $sys" | bc) $rss $(echo "scale=2; ($after - $before) / $TICK" | bc)" >>"$OUT/samples.txt"
}

ehlo_cmd() { # ehlo_cmd N FILE
	echo "$BIN/ehlo probe --from-file $2 --jsonl --parallel $1 --per-host 0 --rate 0 --servername sim.test --ca $OUT/ca.pem --tarpit 2500ms --timeout 10s --greeting-wait 0"
}

# The timed runs of both clients probe the same list: the addresses zgrab2
# is given (targets.ips) on PORT. zgrab2 takes one port and addresses only,
# so the blocked share (port 25), the resetting host (other ports) and the
# unresolvable names are left to run_all, untimed against zgrab2.
common() { sed "s/\$/:$PORT/" "$OUT/targets.ips" >"$OUT/targets-common.txt"; }

run_ehlo() { # run_ehlo N
	# shellcheck disable=SC2046
	timed "ehlo-$1" $(ehlo_cmd "$1" "$OUT/targets-common.txt")
	python3 bench/fleetcheck.py ehlo "$OUT/truth.tsv" "$OUT/ehlo-$1.out" "$OUT/targets-common.txt" >>"$OUT/correct-ehlo-$1.txt"
}

# run_all: ehlo at 1,000 in flight on every target of the simulator, the
# whole status vocabulary checked (with the CPU profile).
run_all() {
	rm -f "$OUT/ehlo.prof"
	# shellcheck disable=SC2046
	EHLO_CPUPROFILE=$OUT/ehlo.prof timed "ehlo-all-1000" $(ehlo_cmd 1000 "$OUT/targets.txt")
	python3 bench/fleetcheck.py ehlo "$OUT/truth.tsv" "$OUT/ehlo-all-1000.out" >>"$OUT/correct-ehlo-all-1000.txt"
	go tool pprof -top -cum -nodecount=400 "$BIN/ehlo" "$OUT/ehlo.prof" >"$OUT/profile.txt" 2>/dev/null
}

# run_classical: ehlo at 1,000 in flight offering only classical key
# exchange (GODEBUG=tlsmlkem=0: no X25519MLKEM768 share to make), as zgrab2
# does: what the hybrid post-quantum key exchange costs of the gap.
run_classical() {
	# shellcheck disable=SC2046
	GODEBUG=tlsmlkem=0 timed "ehlo-classical-1000" $(ehlo_cmd 1000 "$OUT/targets-common.txt")
	python3 bench/fleetcheck.py ehlo "$OUT/truth.tsv" "$OUT/ehlo-classical-1000.out" "$OUT/targets-common.txt" >>"$OUT/correct-ehlo-classical-1000.txt"
}

run_zgrab2() { # run_zgrab2 N
	timed "zgrab2-$1" "$ZG" smtp -b /dev/null -p "$PORT" --send-ehlo-override --send-starttls-override --send-quit \
		-s "$1" -t 10s -f "$OUT/targets.ips" -o - -l /dev/null -m /dev/null -u /dev/null
	python3 bench/fleetcheck.py zgrab2 "$OUT/truth.tsv" "$OUT/zgrab2-$1.out" "$PORT" >>"$OUT/correct-zgrab2-$1.txt"
}

# flat: ehlo at 1,000 in flight over the targets and 4x as many closed
# targets (ports PORT+100 on, where nothing listens; 127.1.100.1 on made
# octets over 255 from 39,000 lines, names sent to the system resolver),
# for RSS flat in the number of targets.
flat() {
	local big=$OUT/targets-5x.txt
	{
		cat "$OUT/targets-common.txt"
		python3 -c "
import sys
n=int(sys.argv[1])
for i in range(4*n):
    # closed ports (PORT+100 on: nothing listens there), every octet a real one
    print('127.%s.%d.%d:%d' % (sys.argv[3], i // 250 % 250, i % 250 + 1, int(sys.argv[2]) + 100 + i // 62500))" "$N" "$PORT" "${FLEET_NET:-1}"
	} >"$big"
	# shellcheck disable=SC2046
	timed "ehlo-1000-5x" $(ehlo_cmd 1000 "$big")
}


# ------------------------------------------------------------------ main

if [[ -z $REPORT_ONLY ]]; then
build
rm -f "$OUT"/samples.txt "$OUT"/correct-*.txt
start_sim
common
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	for p in "${PARS[@]}"; do
		log "round $r/$ROUNDS: --parallel $p"
		if ((r % 2)); then
			run_ehlo "$p"
			[[ -z $ZG ]] || run_zgrab2 "$p"
		else
			[[ -z $ZG ]] || run_zgrab2 "$p"
			run_ehlo "$p"
		fi
	done
	run_classical
done
log "RSS over 5x the targets; every target with a CPU profile"
flat
run_all
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
printf '%s\n' "$LOAD_START / $LOAD_END" "${ZG:+$ZGRAB2_VERSION}" "$ZG_NOTE" >"$OUT/run.txt"
fi
{ read -r LOAD; read -r ZG_VERSION; read -r ZG_NOTE; } <"$OUT/run.txt"
python3 bench/fleetreport.py --out "$OUT" --targets "$(wc -l <"$OUT/targets-common.txt")" --all-targets "$(wc -l <"$OUT/targets.txt")" --rounds "$ROUNDS" --pars "${PARS[*]}" \
	--load "$LOAD" --zgrab2 "$ZG_VERSION" --zgrab2-note "$ZG_NOTE" \
	--cmd "$(ehlo_cmd N targets.txt | sed "s|$BIN/||; s|$OUT/||g")" >"$MD"
log "wrote $MD"
if [[ -n $MERGE ]]; then
	python3 - "$MD" BENCHMARKS.md <<'EOF'
import sys
md, bench = sys.argv[1], sys.argv[2]
section = open(md).read()
text = open(bench).read()
begin, end = '<!-- bench/fleet.sh: begin -->\n', '<!-- bench/fleet.sh: end -->\n'
block = begin + section + end
if begin in text and end in text:
    a = text.index(begin); b = text.index(end) + len(end)
    text = text[:a] + block + text[b:]
else:
    text = text.rstrip('\n') + '\n\n' + block
open(bench, 'w').write(text)
EOF
	log "merged into BENCHMARKS.md"
fi
