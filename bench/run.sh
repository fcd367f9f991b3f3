#!/usr/bin/env bash
# bench/run.sh — ehlo's benchmarks, side by side with its peers, written to
# BENCHMARKS.md.
#
# usage (as root, on Debian 12; from anywhere in the repository):
#   bash bench/run.sh            the full run: under twenty minutes (ten of them the fleet
#                                benchmark, bench/fleet.sh), then a cold build of
#                                half a minute (bench/coldstart.sh)
#   bash bench/run.sh --quick    a few rounds of everything but the cold build, for
#                                iteration (BENCHMARKS.md is then written to
#                                bench/out/BENCHMARKS.quick.md)
#   bash bench/run.sh --bdat     the BDAT rows alone (20 MB and 100 MB, BDAT against DATA),
#                                full rounds, printed; BENCHMARKS.md is left alone
#   bash bench/run.sh --probe    the probe rows alone (ehlo, the floors and the peers), full
#                                rounds: puts their section and targets in BENCHMARKS.md in
#                                place of the last run's, the rest of the file left alone
#   bash bench/run.sh --mx       the probe --mx rows alone (ehlo against posttls-finger on the
#                                DNS lab's DANE zone), full rounds: builds only ehlo and the timer,
#                                leaves Postfix's size limit alone, prints the rows and puts them
#                                in BENCHMARKS.md in place of the last run's (section and targets)
#
# What it does, idempotently:
#   1. installs the peers if missing (apt-get: swaks, openssl, tmux; Postfix and its
#      posttls-finger come with scripts/postfix-lab.sh) — python3 is the system's;
#   2. builds ehlo (CGO_ENABLED=0, as a release build; a cgo build is timed too), the
#      floors (bench/floor/probe, bench/floor/send; each also with -tags ehlodeps, linking
#      what ehlo links), ehlo's probe path alone (bench/floor/ehloprobe, both ways) and the
#      timer (bench/measure);
#   3. starts the Postfix lab (scripts/postfix-lab.sh up) with message_size_limit raised
#      to 200 MB, and at exit puts the limit back and stops Postfix if it was not running;
#   4. runs each workload in alternation with its peers, N rounds, timing whole processes
#      (wall, CPU = user+sys, peak RSS, from wait4) with bench/measure;
#   5. runs the Go micro-benchmarks (TUI frame, parsing, framing, the 43 ms trap) and the
#      TUI start-up and idle measurement in tmux (bench/tui.py);
#   6. times the first `go run .`: a build with an empty build cache, per package
#      (bench/coldstart.sh --no-merge, which writes bench/coldstart.md; --quick keeps the
#      section of the last run, which names its own commit);
#   7. runs the fleet benchmark (bench/fleet.sh --no-merge: ehlo probe --from-file against
#      zgrab2 on 10,000 simulated targets, about ten minutes; --quick: 2,000 targets, one
#      round), which writes bench/fleet.md;
#   8. writes BENCHMARKS.md: machine facts, medians with min/max, ratios, every target.
# Raw results stay in bench/out/ (ignored by git). The message files of the send
# benchmark go to bench/out/ too (about 120 MB) and are kept for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
export LC_ALL=C

QUICK= BDAT_ONLY= MX_ONLY= PROBE_ONLY=
case ${1:-} in
--quick) QUICK=1 ;;
--probe) PROBE_ONLY=1 ;;
--bdat) BDAT_ONLY=1 ;;
--mx) MX_ONLY=1 ;;
"") ;;
*) echo "usage: bash bench/run.sh [--quick | --probe | --bdat | --mx]" >&2; exit 2 ;;
esac

OUT=bench/out
BIN=$OUT/bin
REPORT=BENCHMARKS.md
if [[ -n $QUICK ]]; then
	REPORT=$OUT/BENCHMARKS.quick.md
	PROBE_ROUNDS=5 MX_ROUNDS=5 TUI_ROUNDS=2 BENCHTIME=0.2s COUNT=1
	SENDS=("1K 1000 5" "20M 20000000 2")
else
	PROBE_ROUNDS=60 MX_ROUNDS=100 TUI_ROUNDS=10 BENCHTIME=1s COUNT=3
	SENDS=("1K 1000 60" "20M 20000000 30" "100M 100000000 10")
fi
SIZE_LIMIT=209715200 # 200 MB: room for 100 MB and what Postfix adds
SINK=sink@discard.example # relayed after AUTH, then discarded by the lab's Postfix
PY=/usr/bin/python3       # the system's, not a pyenv shim that would time a shell too

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root: the Postfix lab and apt-get need it"
mkdir -p "$BIN"

# ------------------------------------------------------------------ peers

install_peers() {
	local missing=()
	command -v swaks >/dev/null || missing+=(swaks libnet-ssleay-perl libauthen-sasl-perl)
	command -v openssl >/dev/null || missing+=(openssl)
	command -v tmux >/dev/null || missing+=(tmux)
	[[ -x $PY ]] || missing+=(python3)
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >&2
	DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 install -y \
		--no-install-recommends "${missing[@]}" >&2
}

# ------------------------------------------------------------------ Postfix

POSTFIX_WAS_UP=
postfix_up() {
	if bash scripts/postfix-lab.sh status >/dev/null 2>&1; then POSTFIX_WAS_UP=1; fi
	if [[ -n $MX_ONLY || -n $PROBE_ONLY ]]; then
		# No message is sent: the lab as it is (up is idempotent), left up
		# at exit, since the DNS lab's MX hosts lead to it.
		bash scripts/postfix-lab.sh up >"$OUT/postfix.env"
	else
		trap cleanup EXIT
		EHLO_POSTFIX_MESSAGE_SIZE_LIMIT=$SIZE_LIMIT bash scripts/postfix-lab.sh up >"$OUT/postfix.env"
	fi
	set -a
	# shellcheck disable=SC1091
	. "$OUT/postfix.env"
	set +a
	export EHLO_PASSWORD=$EHLO_POSTFIX_PASSWORD
	[[ -x /usr/sbin/posttls-finger ]] || die "posttls-finger missing (it ships with the postfix package)"
}

cleanup() {
	if [[ -n $POSTFIX_WAS_UP ]]; then
		bash scripts/postfix-lab.sh up >/dev/null 2>&1 || true # the default size limit again
	else
		bash scripts/postfix-lab.sh down >/dev/null 2>&1 || true
	fi
}

# ------------------------------------------------------------------ builds

build() {
	if [[ -n $MX_ONLY ]]; then
		log "building ehlo and the timer"
		CGO_ENABLED=0 go build -o "$BIN/ehlo" .
		go build -o "$BIN/measure" ./bench/measure
		return
	fi
	log "building ehlo, the floors and the timer"
	CGO_ENABLED=0 go build -o "$BIN/ehlo" .
	HAVE_CGO=
	if command -v gcc >/dev/null; then
		CGO_ENABLED=1 go build -o "$BIN/ehlo-cgo" . && HAVE_CGO=1
	fi
	CGO_ENABLED=0 go build -o "$BIN/floor-probe" ./bench/floor/probe
	CGO_ENABLED=0 go build -o "$BIN/floor-send" ./bench/floor/send
	CGO_ENABLED=0 go build -tags ehlodeps -o "$BIN/floor-probe-deps" ./bench/floor/probe
	CGO_ENABLED=0 go build -tags ehlodeps -o "$BIN/floor-send-deps" ./bench/floor/send
	CGO_ENABLED=0 go build -o "$BIN/ehlo-path" ./bench/floor/ehloprobe
	CGO_ENABLED=0 go build -tags ehlodeps -o "$BIN/ehlo-path-deps" ./bench/floor/ehloprobe
	go build -o "$BIN/measure" ./bench/measure
	HAVE_SEND=
	if "$BIN/ehlo" send --help >/dev/null 2>&1; then HAVE_SEND=1; fi
}

# ------------------------------------------------------------------ workloads

# measure_spec NAME ROUNDS FLAGS... < SPEC: times the commands of SPEC and
# leaves the table and verdicts in $OUT/NAME.md, the samples in $OUT/NAME.json.
measure_spec() {
	local name=$1 rounds=$2
	shift 2
	cat >"$OUT/$name.spec"
	log "timing $name: $rounds rounds of $(grep -vc '^#' "$OUT/$name.spec") commands"
	timeout 900 "$BIN/measure" -rounds "$rounds" -json "$OUT/$name.json" "$@" "$OUT/$name.spec" >"$OUT/$name.md"
}

probe_workload() {
	local ca=$EHLO_POSTFIX_CA addr=$EHLO_POSTFIX_SUBMISSION
	printf 'EHLO bench.localhost\r\nQUIT\r\n' >"$OUT/ehlo-quit.txt"
	{
		echo "ehlo $BIN/ehlo probe $addr --ca $ca --servername localhost"
		echo "floor $BIN/floor-probe -ca $ca -servername localhost $addr"
		echo "floor+deps $BIN/floor-probe-deps -ca $ca -servername localhost $addr"
		echo "ehlo-path $BIN/ehlo-path -ca $ca -servername localhost $addr"
		echo "ehlo-path+deps $BIN/ehlo-path-deps -ca $ca -servername localhost $addr"
		echo "posttls-finger MAIL_CONFIG=/etc/ehlo-postfix-lab/postfix /usr/sbin/posttls-finger -c -l verify -F $ca [${addr%:*}]:${addr##*:} localhost"
		echo "openssl <$OUT/ehlo-quit.txt /usr/bin/openssl s_client -quiet -starttls smtp -connect $addr -CAfile $ca -verify_return_error -verify_hostname localhost -servername localhost"
		echo "smtplib $PY bench/smtplib_probe.py ${addr%:*} ${addr##*:} $ca"
		echo "swaks /usr/bin/swaks --server $addr -tls --quit-after EHLO --tls-verify --tls-ca-path $ca"
		[[ -z $HAVE_CGO ]] || echo "ehlo-cgo-build $BIN/ehlo-cgo probe $addr --ca $ca --servername localhost"
		echo "floor-no-quickack $BIN/floor-probe -quickack=false -ca $ca -servername localhost $addr"
	} | measure_spec probe "$PROBE_ROUNDS" -faster wall+cpu -floor floor -within 1.2
	deps_verdict "$OUT/probe.json" >>"$OUT/probe.md"
	log "instructions of one probe: callgrind, 3 runs of ehlo, the floors and ehlo's probe path"
	instructions >"$OUT/probe-instructions.md"
}

# instructions: the instructions each of ehlo, the floors and ehlo's probe
# path executes for one probe, counted by valgrind's callgrind (median of
# 3): unlike wall and CPU time, the same whatever else the machine is doing,
# so it shows what each part costs even under load. GODEBUG=asyncpreemptoff=1
# for all of them: callgrind asserts on Go's preemption signals now and then.
instructions() {
	command -v valgrind >/dev/null || { echo "(valgrind is not installed: no instruction counts)"; return 0; }
	local spec=$OUT/probe.spec label argv n i try counts
	local -A median=()
	for label in ehlo floor floor+deps ehlo-path ehlo-path+deps; do
		argv=$(awk -v l="$label" '$1 == l { $1 = ""; print substr($0, 2) }' "$spec")
		counts=()
		for ((i = 0; i < 3; i++)); do
			for ((try = 0; try < 5; try++)); do
				# shellcheck disable=SC2086 # argv is the spec's command line, split as measure splits it
				n=$(GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null $argv 2>&1 >/dev/null |
					sed -n 's/.*Collected : //p')
				[[ -z $n ]] || break
			done
			[[ -z $n ]] || counts+=("$n")
		done
		((${#counts[@]})) || continue
		median[$label]=$(printf '%s\n' "${counts[@]}" | sort -n | sed -n "$(((${#counts[@]} + 1) / 2))p")
	done
	echo "| command | instructions (median of 3) | / floor | / floor+deps |"
	echo "|---|---:|---:|---:|"
	for label in ehlo floor floor+deps ehlo-path ehlo-path+deps; do
		[[ -n ${median[$label]:-} ]] || continue
		awk -v l="$label" -v n="${median[$label]}" -v f="${median[floor]:-0}" -v d="${median[floor+deps]:-0}" 'BEGIN {
			printf "| %s | %.2fM | %s | %s |\n", l, n / 1e6, f ? sprintf("%.2fx", n / f) : "", d ? sprintf("%.2fx", n / d) : "" }'
	done
}

# deps_verdict FILE: ehlo against floor+deps (what ehlo adds to what linking
# its packages costs any Go program): its median wall within 1.1x.
deps_verdict() {
	local line
	line=$("$PY" - "$1" <<'PYEOF'
import json, statistics, sys
runs = {c["label"]: c["runs"] for c in json.load(open(sys.argv[1]))}
med = lambda k, key: statistics.median(r[key] for r in runs[k]) / 1e6
w = med("ehlo", "wall_ns") / med("floor+deps", "wall_ns")
c = med("ehlo", "cpu_ns") / med("floor+deps", "cpu_ns")
print("%d ehlo median wall is %.2fx floor+deps's, target <= 1.10x (CPU: %.2fx)" % (round(w, 2) <= 1.10, w, c))
PYEOF
)
	verdict "${line%% *}" "${line#* }"
}

# mx_workload: `ehlo probe --mx` of the DNS lab's two-MX DANE zone against
# posttls-finger doing DANE for it (-c -l dane), both through the lab's
# validating Unbound: ehlo with --resolver, posttls-finger through the
# lab's resolv.conf, bind-mounted over /etc/resolv.conf in a mount namespace
# of the timing process's own (the machine's is left alone). Skipped
# without the DNS lab (scripts/dns-lab.sh up).
mx_workload() {
	local env=/var/lib/ehlo-dns-lab/env zone
	if [[ ! -r $env ]]; then
		log "no DNS lab ($env): probe --mx not timed (sudo bash scripts/dns-lab.sh up)"
		return 1
	fi
	# shellcheck disable=SC1090
	set -a && . "$env" && set +a
	zone=$EHLO_DNS_ZONE_DANE_OK
	{
		echo "ehlo $BIN/ehlo probe --mx --resolver $EHLO_DNS_RESOLVER_53 $zone"
		echo "posttls-finger MAIL_CONFIG=/etc/ehlo-postfix-lab/postfix /usr/sbin/posttls-finger -c -l dane $zone"
	} >"$OUT/probe-mx.spec"
	log "timing probe-mx: $MX_ROUNDS rounds of ehlo probe --mx and posttls-finger -l dane for $zone"
	# shellcheck disable=SC2016 # $1 and $@ are the inner shell's
	unshare -m --propagation private -- sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
		"$EHLO_DNS_RESOLV_CONF" timeout 900 "$BIN/measure" -rounds "$MX_ROUNDS" -json "$OUT/probe-mx.json" \
		-faster wall+cpu "$OUT/probe-mx.spec" >"$OUT/probe-mx.md" || return 1 # (set -e is off in `mx_workload || ...`)
	# One more run, for its timing waterfall: where the time went, DNS
	# questions included (the target: the DNS part of the time is shown
	# there, beside the probes of both MX).
	local out dns probes total
	out=$("$BIN/ehlo" probe --mx --mx-order stable --resolver "$EHLO_DNS_RESOLVER_53" "$zone") || {
		log "ehlo probe --mx $zone failed: $out"
		return 1
	}
	sed -n '/^timing$/,$p' <<<"$out" | sed 1d >"$OUT/probe-mx-waterfall.txt"
	dns=$(grep -c '^ *DNS ' "$OUT/probe-mx-waterfall.txt" || true)
	probes=$(grep -c '^ *probe ' "$OUT/probe-mx-waterfall.txt" || true)
	total=$(awk '$1 == "total" { print $2 }' "$OUT/probe-mx-waterfall.txt")
	verdict "$( ((dns > 0 && probes == 2)) && echo 1)" \
		"the timing waterfall of \`ehlo probe --mx\` shows the DNS part of the time: $dns DNS questions, each with its start and duration, in a run of ${total:-?} (below)" \
		>>"$OUT/probe-mx.md"
}

# mx_section: the probe --mx part of BENCHMARKS.md, between markers that
# bench/run.sh --mx replaces.
mx_section() {
	echo '<!-- bench/run.sh --mx: begin -->'
	echo "### probe --mx: a two-MX DNSSEC-signed domain with DANE, against posttls-finger"
	echo
	echo "\`ehlo probe --mx\` of the DNS lab's \`$EHLO_DNS_ZONE_DANE_OK\` (MX 10 and 20, each with TLSA records"
	echo "that match Postfix's key) against \`posttls-finger -c -l dane\`, both asking the lab's validating"
	echo "Unbound. posttls-finger stops at the first MX whose handshake completes; ehlo probes both MX"
	echo "at once and also asks for the MTA-STS and TLS-RPT records: more work, in parallel. Neither MX"
	echo "certificate covers its MX name (DANE-EE vouches for the key alone), so ehlo's WebPKI verdict"
	echo "needs no system roots and does not load them (\`wire/verify.go\`); a certificate for the MX name"
	echo "would cost one load of them, about 15 ms of CPU, once per process."
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average"
	echo "$MX_LOAD_START at start and $MX_LOAD_END at end (2 cores)."
	echo
	cat "$OUT/probe-mx.md"
	echo
	echo "The timing waterfall of one more run (\`--mx-order stable\`):"
	echo
	echo '```'
	cat "$OUT/probe-mx-waterfall.txt"
	echo '```'
	echo '<!-- bench/run.sh --mx: end -->'
}

# splice_mx REPORT: puts the probe --mx section and its targets in REPORT in
# place of the last run's (or before the first-reply section, the first time).
splice_mx() {
	local report=$1 section targets
	section=$(mktemp) targets=$(mktemp)
	mx_section >"$section"
	grep -h -e '^- met:' -e '^- MISSED:' "$OUT/probe-mx.md" | sed 's/^- \(met\|MISSED\): /&probe --mx: /' >"$targets"
	"$PY" - "$report" "$section" "$targets" <<'PYEOF'
import re, sys
report, section, targets = sys.argv[1:]
text = open(report).read()
sec = open(section).read()
tgt = open(targets).read()
begin, end = "<!-- bench/run.sh --mx: begin -->", "<!-- bench/run.sh --mx: end -->\n"
if begin in text:
    a = text.index(begin)
    b = text.index(end, a) + len(end)
    text = text[:a] + sec + text[b:]
else:
    anchor = "### The first reply after the TLS handshake"
    a = text.index(anchor)
    text = text[:a] + sec + "\n" + text[a:]
lines = [l for l in text.split("\n") if not re.match(r"- (met|MISSED|PENDING): probe --mx", l)]
# the targets go after the last probe target
at = max(i for i, l in enumerate(lines) if re.match(r"- (met|MISSED): probe: ", l))
lines[at + 1:at + 1] = tgt.rstrip("\n").split("\n")
open(report, "w").write("\n".join(lines))
PYEOF
	rm -f "$section" "$targets"
}

# first_reply: what ehlo probe itself reports for the EHLO after STARTTLS
# (the 43 ms trap), over many runs; then the wire benchmarks that watch it.
first_reply() {
	local i runs=$((PROBE_ROUNDS < 30 ? PROBE_ROUNDS : 30))
	log "the first reply after the TLS handshake: $runs ehlo probes, then go test -bench FirstReply"
	for ((i = 0; i < runs; i++)); do
		"$BIN/ehlo" probe "$EHLO_POSTFIX_SUBMISSION" --ca "$EHLO_POSTFIX_CA" --servername localhost |
			sed -n 's/.*EHLO after STARTTLS:.*\[\(.*\)\]$/\1/p'
	done >"$OUT/first-reply.txt"
	go test -run '^$' -bench 'FirstReply' -benchtime 30x -count 1 ./wire >"$OUT/first-reply-bench.txt"
}

# make_message SIZE BASE: BASE.body, a text body of SIZE bytes with CRLF line
# endings, one line in a thousand starting with a dot (to be stuffed), and
# BASE.eml, the same body under a header: ehlo composes its own header
# around --body @BASE.body, the others send BASE.eml as it is.
make_message() {
	[[ -s $2.eml && -s $2.body && $(stat -c %s "$2.body") -eq $1 ]] && return 0
	"$PY" - "$1" "$2" <<'EOF'
import sys
size, base = int(sys.argv[1]), sys.argv[2]
line = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqr\r\n"
dot = b".A line that starts with a dot, to be stuffed: 0123456789 abcdefghijklmnop\r\n"
with open(base + ".body", "wb") as f:
    n, i = 0, 0
    while n + len(line) <= size:
        chunk = dot if i % 1000 == 999 else line
        f.write(chunk)
        n, i = n + len(chunk), i + 1
    if size - n >= 3:
        f.write(b"x" * (size - n - 2) + b"\r\n")
head = ("From: <ehlotest@postfix.test>\r\nTo: <sink@discard.example>\r\nSubject: test from ehlo\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <bench-%d@postfix.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n" % size).encode()
with open(base + ".eml", "wb") as out, open(base + ".body", "rb") as body:
    out.write(head)
    while True:
        b = body.read(1 << 20)
        if not b:
            break
        out.write(b)
EOF
}

send_workloads() {
	local s label size rounds file ca=$EHLO_POSTFIX_CA addr=$EHLO_POSTFIX_SUBMISSION user=$EHLO_POSTFIX_USER
	local from=$EHLO_POSTFIX_USER@$EHLO_POSTFIX_DOMAIN
	for s in "${SENDS[@]}"; do
		read -r label size rounds <<<"$s"
		file=$OUT/msg-$label
		make_message "$size" "$file"
		{
			echo "ehlo $BIN/ehlo send $addr --ca $ca --servername localhost --user $user --from $from --to $SINK --body @$file.body"
			echo "floor $BIN/floor-send -ca $ca -servername localhost -user $user -from $from -to $SINK $addr $file.eml"
			((size >= 1000000)) || echo "floor+deps $BIN/floor-send-deps -ca $ca -servername localhost -user $user -from $from -to $SINK $addr $file.eml"
			echo "smtplib $PY bench/smtplib_send.py ${addr%:*} ${addr##*:} $ca $user $from $SINK $file.eml"
			echo "swaks /usr/bin/swaks --server $addr -tls --tls-verify --tls-ca-path $ca --auth PLAIN --auth-user $user --auth-password $EHLO_PASSWORD --from $from --to $SINK --data @$file.eml --silent 2"
		} | measure_spec "send-$label" "$rounds" -faster wall -floor floor -within 1.2 -maxrss 40
		((size < 1000000)) || bdat_workload "$label" "$rounds"
	done
	postqueue -c /etc/ehlo-postfix-lab/postfix -f >/dev/null 2>&1 || true
}

# bdat_workload LABEL ROUNDS: the send of message LABEL (made by
# send_workloads) with --body-mode bdat against the same with DATA.
bdat_workload() {
	local label=$1 rounds=$2 file=$OUT/msg-$1 ca=$EHLO_POSTFIX_CA addr=$EHLO_POSTFIX_SUBMISSION user=$EHLO_POSTFIX_USER
	local send="$BIN/ehlo send $addr --ca $ca --servername localhost --user $user --from $EHLO_POSTFIX_USER@$EHLO_POSTFIX_DOMAIN --to $SINK --body @$file.body"
	{
		echo "ehlo-bdat $send --body-mode bdat"
		echo "ehlo-data $send --body-mode data"
	} | measure_spec "send-bdat-$label" "$rounds" -floor ehlo-data -within 1.2 -maxrss 40
}

# bdat_labels: the labels of the sends that also have a BDAT measurement.
bdat_labels() {
	local s label size
	for s in "${SENDS[@]}"; do
		read -r label size _ <<<"$s"
		((size < 1000000)) || echo "$label"
	done
}

# ------------------------------------------------------------------ Go benchmarks, TUI

go_benches() {
	log "go test -bench: TUI frames, parsing, framing"
	go test -run '^$' -bench 'TranscriptAppendRender|ModelEntriesFrame' -benchmem \
		-benchtime "$BENCHTIME" -count "$COUNT" -timeout 20m ./ui >"$OUT/bench-ui.txt"
	go test -run '^$' -bench 'Parse(Reply|EHLO)' -benchmem -benchtime "$BENCHTIME" -count "$COUNT" ./session >"$OUT/bench-session.txt"
	go test -run '^$' -bench 'ReadReply' -benchmem -benchtime "$BENCHTIME" -count "$COUNT" ./wire >"$OUT/bench-wire.txt"
}

tui_workload() {
	log "TUI start-up to the greeting's frame, and CPU while idle (tmux)"
	"$PY" bench/tui.py "$TUI_ROUNDS" ESMTP -- "$BIN/ehlo" >"$OUT/tui-lab.json"
	"$PY" bench/tui.py "$TUI_ROUNDS" ESMTP -- "$BIN/ehlo" "$EHLO_POSTFIX_SUBMISSION" \
		--ca "$EHLO_POSTFIX_CA" --servername localhost >"$OUT/tui-postfix.json"
}

# ------------------------------------------------------------------ report

# benchtable FILE REGEX: the fastest of the -count runs of each benchmark
# matching REGEX, as Markdown rows: name, ns/op, B/op, allocs/op, extra metrics.
benchtable() {
	awk -v re="$2" '
	$1 ~ "^Benchmark" && $1 ~ re {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
		ns = ""; extra = ""; bop = ""; aop = ""
		for (i = 3; i < NF; i += 2) {
			if ($(i+1) == "ns/op") ns = $i
			else if ($(i+1) == "B/op") bop = $i
			else if ($(i+1) == "allocs/op") aop = $i
			else extra = extra sprintf("%s %s; ", $i, $(i+1))
		}
		if (!(name in best) || ns + 0 < best[name] + 0) {
			best[name] = ns; b[name] = bop; a[name] = aop; x[name] = extra
			if (!(name in seen)) { order[n++] = name; seen[name] = 1 }
		}
	}
	END {
		print "| benchmark | ns/op | B/op | allocs/op | other |"
		print "|---|---:|---:|---:|---|"
		for (i = 0; i < n; i++) {
			nm = order[i]; e = x[nm]; sub(/; $/, "", e)
			printf "| %s | %s | %s | %s | %s |\n", nm, best[nm], b[nm], a[nm], e
		}
	}' "$1"
}

# nsop FILE NAME: the fastest ns/op of benchmark NAME.
nsop() {
	awk -v want="Benchmark$2" '{ n = $1; sub(/-[0-9]+$/, "", n) }
	n == want { for (i = 3; i < NF; i++) if ($(i+1) == "ns/op" && (m == "" || $i + 0 < m + 0)) m = $i }
	END { print m }' "$1"
}

verdict() { # verdict OK TEXT
	if [[ $1 == 1 ]]; then echo "- met: $2"; else echo "- MISSED: $2"; fi
}

ui_verdicts() {
	local f=$OUT/bench-ui.txt name small big
	for name in TranscriptAppendRender/append ModelEntriesFrame; do
		small=$(nsop "$f" "$name/n=1000") big=$(nsop "$f" "$name/n=1000000")
		verdict "$(awk -v s="$small" -v b="$big" 'BEGIN { print (b <= 2 * s) ? 1 : 0 }')" \
			"$name: flat from 1e3 to 1e6 lines ($small ns/op at 1e3, $big ns/op at 1e6; target: at most 2x)"
		verdict "$(awk -v b="$big" 'BEGIN { print (b < 1e6) ? 1 : 0 }')" \
			"$name: $(awk -v b="$big" 'BEGIN { printf "%.3f", b / 1e6 }') ms per frame at 1e6 lines, target < 1 ms"
	done
}

# tuistats FILE LABEL: a Markdown row from tui.py's JSON.
tuistats() {
	"$PY" - "$1" "$2" <<'EOF'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
s = sorted(d["startup_ms"])
print("| %s | %.1f ms (%.1f–%.1f) | %.2f ms over %.0f s (%.3f%% of a core) |" % (
    sys.argv[2], statistics.median(s), s[0], s[-1], d["idle_cpu_ms"], d["idle_s"],
    100 * d["idle_cpu_ms"] / 1000 / d["idle_s"]))
EOF
}

idle_verdict() {
	local ms
	ms=$("$PY" -c 'import json,sys; print("%.2f" % max(json.load(open(f))["idle_cpu_ms"] for f in sys.argv[1:]))' "$@")
	verdict "$(awk -v m="$ms" 'BEGIN { print (m < 1) ? 1 : 0 }')" \
		"TUI idle: at most $ms ms of CPU over 5 s of idleness after the greeting, target ~0 (< 1 ms)"
}

# first_reply_verdict: the trap is systematic (every run waits 40 ms), so
# the target is on the median, and no more than one run in ten at 30 ms or
# more (a busy machine delays some runs without the trap).
first_reply_verdict() {
	local stats med worst slow runs
	stats=$(awk '{ v = $1; if (v ~ /µs$/) { sub(/µs$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v);
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v + 0 }' "$OUT/first-reply.txt" | sort -g |
		awk '{ v[NR] = $1; if ($1 >= 30) slow++ } END { printf "%s %s %d %d", v[int((NR + 1) / 2)], v[NR], slow, NR }')
	read -r med worst slow runs <<<"$stats"
	verdict "$(awk -v m="$med" -v s="$slow" -v n="$runs" 'BEGIN { print (m < 5 && s * 10 <= n) ? 1 : 0 }')" \
		"the EHLO after STARTTLS, as ehlo probe reports it over $runs runs against Postfix: median $med ms, max $worst ms, $slow run(s) at 30 ms or more (with the trap, every run takes 40 ms); target: median < 5 ms and at most one run in ten at 30 ms or more"
}

# linking FILE: what linking ehlo's packages costs a process (floor+deps
# against floor: their initialisation, and a binary the size of ehlo's) and
# what ehlo adds to that (ehlo against floor+deps), in medians of wall and
# CPU time; with the ehlo-path rows, also what ehlo's probe path and its
# command line each add. CPU is the steadier measure: when the machine is
# busy, waiting stretches every command's wall time.
linking() {
	"$PY" - "$1" <<'EOF'
import json, os, statistics, sys
cmds = json.load(open(sys.argv[1]))
runs = {c["label"]: c["runs"] for c in cmds}
size = {c["label"]: os.path.getsize(c["argv"][0]) / 1e6 for c in cmds if os.path.exists(c["argv"][0])}
if "floor+deps" not in runs:
    sys.exit()
print("`floor+deps` is the floor built with `-tags ehlodeps` (`bench/floor/ehlodeps`): it imports every")
print("package ehlo's main imports and keeps the code ehlo's commands reach (the explorer, the lab, the")
print("reports, cobra, fang) without running it, so its binary is about as big as ehlo's (%.1f MB against" % size["floor+deps"])
print("%.1f MB; the floor: %.1f MB) and the same packages are initialised before its main." % (size["ehlo"], size["floor"]), end="")
path = "ehlo-path" in runs and "ehlo-path+deps" in runs
if path:
    print(" `ehlo-path` is `bench/floor/ehloprobe`: ehlo's probe path")
    print("(`client.ProbeAll`, `client.WriteProbe`) in a bare main, without cobra, fang and package cli;")
    print("`ehlo-path+deps` is the same built like floor+deps.", end="")
print(" Medians, and what each part adds:")
print()
for key, what in (("wall_ns", "wall"), ("cpu_ns", "CPU")):
    m = {k: statistics.median(r[key] for r in v) / 1e6 for k, v in runs.items()}
    e, f, d = m["ehlo"], m["floor"], m["floor+deps"]
    line = "- %s: floor %.2f ms, ehlo %.2f ms (%.2fx); linking ehlo's packages %+.2f ms (floor+deps / floor = %.2fx)" % (
        what, f, e, e / f, d - f, d / f)
    if path:
        p, pd = m["ehlo-path"], m["ehlo-path+deps"]
        line += "; ehlo's probe path %+.2f ms (ehlo-path / floor = %.2fx); the command line %+.2f ms (ehlo / ehlo-path+deps = %.2fx)" % (
            p - f, p / f, e - pd, e / pd)
    else:
        line += "; what ehlo does %+.2f ms (ehlo / floor+deps = %.2fx)" % (e - d, e / d)
    print(line)
EOF
}

machine_facts() {
	cat <<EOF
| fact | value |
|---|---|
| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores |
| memory | $(free -h | awk '/^Mem:/ { print $2 }') |
| kernel | $(uname -sr) |
| system | $(. /etc/os-release && echo "$PRETTY_NAME") |
| Go | $(go version | cut -d' ' -f3-) |
| Postfix (server, and posttls-finger) | $(postconf -c /etc/ehlo-postfix-lab/postfix -h mail_version) |
| swaks | $(swaks --version 2>&1 | sed -n 's/^swaks version //p') |
| OpenSSL | $(openssl version) |
| Python | $("$PY" --version 2>&1) |
| tmux | $(tmux -V) |
| load average at start / end | $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) |
| ehlo | commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet -- . ':!BENCHMARKS.md' 2>/dev/null || echo ", with uncommitted changes") |
EOF
}

# probe_section: the probe part of BENCHMARKS.md, between markers that
# bench/run.sh --probe replaces.
probe_section() {
	echo '<!-- bench/run.sh --probe: begin -->'
	echo "## Probe: connect, greeting, EHLO, STARTTLS, handshake, EHLO, QUIT against Postfix"
	echo
	echo "Against the lab's Postfix submission port ($EHLO_POSTFIX_SUBMISSION). Every client verifies the"
	echo "certificate against the lab's CA: ehlo and the floor (Go's verifier, name \`localhost\`, session"
	echo "tickets off), posttls-finger (\`-l verify -F CA\`, name \`localhost\`), \`openssl s_client\`"
	echo "(\`-verify_return_error -verify_hostname localhost\`), smtplib (\`ssl.create_default_context\`,"
	echo "name \`127.0.0.1\`, an IP SAN), swaks (\`--tls-verify --tls-ca-path\`: the chain only; this swaks"
	echo "does not check the name). openssl's own EHLO comes from \`-starttls smtp\`, then EHLO and QUIT on"
	echo "its stdin. The floor is \`bench/floor/probe\`: net, crypto/tls and bufio, no UI, built like ehlo."
	echo "\`ehlo-cgo-build\` is ehlo built with cgo (the default where a C compiler is installed): dynamic"
	echo "linking adds about a millisecond at start-up, so release builds use CGO_ENABLED=0."
	echo "\`floor-no-quickack\` is the floor reading without TCP_QUICKACK: the 43 ms trap, live."
	echo "The ratio to the floor depends on how busy the machine is: waiting stretches every command"
	echo "alike, so the busier it is the closer the wall ratios come to 1, while the CPU ratio, given with"
	echo "each verdict, stays (bench/history.md has the runs of one day, from 1.02x to 1.33x)."
	echo
	cat "$OUT/probe.md"
	echo
	linking "$OUT/probe.json"
	echo
	echo "Instructions executed for one probe (valgrind's callgrind: repeatable under load, where wall"
	echo "and CPU time are not; start-up included):"
	echo
	cat "$OUT/probe-instructions.md"
	echo
	echo "Probe rows measured $(date -u '+%Y-%m-%d %H:%M UTC') on commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load"
	echo "average $PROBE_LOAD_START at start and $PROBE_LOAD_END at end (2 cores)."
	echo '<!-- bench/run.sh --probe: end -->'
}

# splice_probe REPORT: puts the probe section and its targets in REPORT in
# place of the last run's.
splice_probe() {
	local report=$1 section targets
	section=$(mktemp) targets=$(mktemp)
	probe_section >"$section"
	grep -h -e '^- met:' -e '^- MISSED:' "$OUT/probe.md" | sed 's/^- \(met\|MISSED\): /&probe: /' >"$targets"
	"$PY" - "$report" "$section" "$targets" <<'PYEOF'
import re, sys
report, section, targets = sys.argv[1:]
text, sec, tgt = open(report).read(), open(section).read(), open(targets).read()
begin, end = "<!-- bench/run.sh --probe: begin -->", "<!-- bench/run.sh --probe: end -->\n"
if begin in text:
    a = text.index(begin)
    b = text.index(end, a) + len(end)
    text = text[:a] + sec + text[b:]
else:  # a report written before the markers: the section runs to the next one
    a = text.index("## Probe: ")
    b = text.index("<!-- bench/run.sh --mx: begin -->", a)
    text = text[:a] + sec + "\n" + text[b:]
lines = text.split("\n")
at = min(i for i, l in enumerate(lines) if re.match(r"- (met|MISSED): probe: ", l))
lines = [l for l in lines if not re.match(r"- (met|MISSED): probe: ", l)]
lines[at:at] = tgt.rstrip("\n").split("\n")
open(report, "w").write("\n".join(lines))
PYEOF
	rm -f "$section" "$targets"
}

write_report() {
	local tmp
	tmp=$(mktemp)
	{
		echo "# ehlo benchmarks"
		echo
		echo "Generated by \`bash bench/run.sh$([[ -z $QUICK ]] || echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Do not edit: run the"
		echo "script again. Whole processes are timed by \`bench/measure\` (wall clock around fork/exec/wait;"
		echo "CPU = user + sys and peak RSS = ru_maxrss, both from wait4, as \`/usr/bin/time -v\` reports"
		echo "them), each command in alternation with its peers, round after round. Raw samples:"
		echo "\`bench/out/*.json\`."
		echo
		echo "## Machine"
		echo
		machine_facts
		echo
		echo "## Targets"
		echo
		cat "$OUT"/verdicts.txt
		echo
		probe_section
		echo
		if [[ -n $HAVE_MX ]]; then
			mx_section
			echo
		fi
		echo "### The first reply after the TLS handshake (the 43 ms trap)"
		echo
		echo "Postfix's OpenSSL sends two TLS 1.3 session tickets after the handshake even to a client that"
		echo "offers no \`psk_key_exchange_modes\` (Go's with \`SessionTicketsDisabled\`), so the reply to the first"
		echo "EHLO is its second small write in a row: Nagle holds it until the tickets are acknowledged, and"
		echo "Linux delays that ACK by 40 ms. wire sets TCP_QUICKACK after every read (\`wire/ack_linux.go\`)."
		echo "\`quickack\` is wire as it is; \`delayed\` is the same code reading without it (before the fix):"
		echo
		echo '```'
		grep '^Benchmark' "$OUT/first-reply-bench.txt" || true
		echo '```'
		echo
		echo "\`ehlo probe\`'s own timing of the EHLO after STARTTLS, over $(wc -l <"$OUT/first-reply.txt") runs: $(sort -t' ' -k1 "$OUT/first-reply.txt" | tr '\n' ' ')"
		echo
		echo "## Send: AUTH, then one message, against Postfix"
		echo
		if [[ -n $HAVE_SEND ]]; then
			echo "EHLO, STARTTLS (verified as above), EHLO, AUTH PLAIN, MAIL, RCPT to an address the lab relays"
			echo "and discards, DATA, QUIT. The body is the same prepared file for every client (CRLF lines of 78"
			echo "octets, one in a thousand starting with a dot): ehlo composes its header around it"
			echo "(\`ehlo send ... --body @FILE.body\`, so it also scans the body to pick 7bit, 8bit or"
			echo "quoted-printable and to count SIZE), the others send FILE.eml, the same body under a header of"
			echo "the same size. The floor, \`bench/floor/send\`, streams the file through a 64 KiB buffer with"
			echo "dot-stuffing; smtplib and swaks read the whole message into memory first. Under load, every"
			echo "millisecond of CPU a client spends shows up several times in its wall time: see the load"
			echo "average above. \`floor+deps\` (the 1 KB send only, where start-up weighs) is the send floor"
			echo "built with \`-tags ehlodeps\`, as in the probe."
			for s in "${SENDS[@]}"; do
				read -r label _ _ <<<"$s"
				echo
				echo "### $label"
				echo
				cat "$OUT/send-$label.md"
				if grep -q '^floor+deps ' "$OUT/send-$label.spec"; then
					echo
					linking "$OUT/send-$label.json"
				fi
			done
			echo
			echo "### BDAT against DATA"
			echo
			echo "The same sends with \`--body-mode bdat\` (RFC 3030 chunks of 1 MiB, pipelined: Postfix offers"
			echo "PIPELINING) and \`--body-mode data\`, in alternation. The target: BDAT within 1.2x of DATA's wall"
			echo "time, and under 40 MB peak RSS."
			for label in $(bdat_labels); do
				echo
				echo "#### $label"
				echo
				cat "$OUT/send-bdat-$label.md"
			done
		else
			echo "Pending: \`ehlo send\` is not in this build (\`ehlo send --help\` fails), so the send targets"
			echo "were not measured. The peers and the floor are ready in bench/; the script runs them as soon"
			echo "as the command exists."
		fi
		echo
		echo "## TUI"
		echo
		echo "### A frame: append and render, as the transcript grows"
		echo
		echo "\`go test -bench 'TranscriptAppendRender|ModelEntriesFrame' -benchmem ./ui\` (fastest of $COUNT)."
		echo "TranscriptAppendRender is the transcript pane alone (append one line, or scroll one, then View);"
		echo "ModelEntriesFrame is the whole explorer at 120x40: the root Model's Update with 8 new entries,"
		echo "then View (side panel, input, status and help included)."
		echo
		benchtable "$OUT/bench-ui.txt" 'TranscriptAppendRender|ModelEntriesFrame'
		echo
		echo "### Start-up to the first frame with the greeting, and CPU while idle"
		echo
		echo "In a 120x40 tmux pane (\`bench/tui.py\`, $TUI_ROUNDS rounds): from the release of the command to"
		echo "the terminal receiving a frame that shows the greeting (exec included). Then, in the first round,"
		echo "the process's CPU time (its threads' run time from /proc) over 5 s of idleness, a second after"
		echo "the greeting."
		echo
		echo "| target | start-up median (min–max) | CPU while idle |"
		echo "|---|---|---|"
		tuistats "$OUT/tui-lab.json" "built-in lab (\`ehlo\`)"
		tuistats "$OUT/tui-postfix.json" "Postfix (\`ehlo $EHLO_POSTFIX_SUBMISSION\`)"
		echo
		echo "## Parsing"
		echo
		echo "\`go test -bench -benchmem\` (fastest of $COUNT): session.ParseReply and ParseEHLO on Gmail's"
		echo "8-line EHLO reply (testdata/gmail-ehlo-tls.txt) and a one-line reply; wire's framer"
		echo "(ReadReply: a 10-line EHLO reply, and a one-line reply, transcript recording included)."
		echo
		benchtable "$OUT/bench-session.txt" 'Parse'
		echo
		benchtable "$OUT/bench-wire.txt" 'ReadReply'
		echo
		if [[ -f $FLEET_MD ]]; then
			echo '<!-- bench/fleet.sh: begin -->'
			cat "$FLEET_MD"
			echo '<!-- bench/fleet.sh: end -->'
			echo
		fi
		if [[ -f bench/coldstart.md ]]; then
			echo '<!-- bench/coldstart.sh: begin -->'
			cat bench/coldstart.md
			echo '<!-- bench/coldstart.sh: end -->'
			echo
		fi
		if [[ -f bench/history.md ]]; then
			cat bench/history.md
		fi
	} >"$tmp"
	mv "$tmp" "$REPORT"
	log "wrote $REPORT"
}

# ------------------------------------------------------------------ main

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
install_peers
build
postfix_up
if [[ -n $BDAT_ONLY ]]; then
	for s in "${SENDS[@]}"; do
		read -r label size rounds <<<"$s"
		((size >= 1000000)) || continue
		make_message "$size" "$OUT/msg-$label"
		bdat_workload "$label" "$rounds"
		printf '\n### %s (load %s at start, %s at end)\n\n' "$label" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
		cat "$OUT/send-bdat-$label.md"
	done
	postqueue -c /etc/ehlo-postfix-lab/postfix -f >/dev/null 2>&1 || true
	exit 0
fi
if [[ -n $MX_ONLY ]]; then
	MX_LOAD_START=$LOAD_START
	mx_workload || exit 1
	MX_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
	printf '\n### probe --mx (load %s at start, %s at end)\n\n' "$MX_LOAD_START" "$MX_LOAD_END"
	cat "$OUT/probe-mx.md"
	cat "$OUT/probe-mx-waterfall.txt"
	splice_mx "$REPORT"
	log "put the probe --mx section and targets in $REPORT"
	exit 0
fi
if [[ -n $PROBE_ONLY ]]; then
	PROBE_LOAD_START=$LOAD_START
	probe_workload
	PROBE_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
	printf '\n### probe (load %s at start, %s at end)\n\n' "$PROBE_LOAD_START" "$PROBE_LOAD_END"
	cat "$OUT/probe.md"
	echo
	linking "$OUT/probe.json"
	cat "$OUT/probe-instructions.md"
	splice_probe "$REPORT"
	log "put the probe section and targets in $REPORT"
	exit 0
fi
PROBE_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
probe_workload
PROBE_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
HAVE_MX=
MX_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
mx_workload && HAVE_MX=1
MX_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
first_reply
if [[ -n $HAVE_SEND ]]; then send_workloads; else log "ehlo send is not in this build: send targets pending"; fi
go_benches
tui_workload
[[ -n $QUICK ]] || bash bench/coldstart.sh --no-merge
FLEET_MD=bench/fleet.md
if [[ -n $QUICK ]]; then
	bash bench/fleet.sh --quick
	FLEET_MD=$OUT/fleet.quick.md
else
	bash bench/fleet.sh --no-merge
fi
{
	grep -h -e '^- met:' -e '^- MISSED:' "$OUT/probe.md" | sed 's/^- \(met\|MISSED\): /&probe: /'
	if [[ -n $HAVE_MX ]]; then
		grep -h -e '^- met:' -e '^- MISSED:' "$OUT/probe-mx.md" | sed 's/^- \(met\|MISSED\): /&probe --mx: /'
	else
		echo "- PENDING: probe --mx against posttls-finger: the DNS lab was not up (scripts/dns-lab.sh up)"
	fi
	first_reply_verdict
	if [[ -n $HAVE_SEND ]]; then
		for s in "${SENDS[@]}"; do
			read -r label _ _ <<<"$s"
			grep -h -e '^- met:' -e '^- MISSED:' "$OUT/send-$label.md" | sed "s/^- \(met\|MISSED\): /&send $label: /"
		done
		for label in $(bdat_labels); do
			grep -h -e '^- met:' -e '^- MISSED:' "$OUT/send-bdat-$label.md" | sed "s/^- \(met\|MISSED\): /&send $label with BDAT: /"
		done
	else
		echo "- PENDING: send (1 KB, 20 MB, 100 MB): \`ehlo send\` has not landed"
	fi
	ui_verdicts
	idle_verdict "$OUT/tui-lab.json" "$OUT/tui-postfix.json"
	grep -h -e '^- met:' -e '^- MISSED:' "$FLEET_MD" | sed 's/^- \(met\|MISSED\): /&fleet: /'
} >"$OUT/verdicts.txt"
write_report
missed=$(grep -c -e '^- MISSED' -e '^- PENDING' "$OUT/verdicts.txt" || true)
if ((missed)); then log "$missed target(s) missed or pending: see $REPORT"; else log "every target met"; fi
