#!/usr/bin/env bash
# tls-legacy-lab.sh — an SMTP server that speaks only TLS 1.0, on loopback,
# for ehlo's tests of --tls-min/--tls-max and of the weak marking.
#
# Usage:
#   scripts/tls-legacy-lab.sh up       start it (idempotent); prints the env block
#   scripts/tls-legacy-lab.sh down     stop what `up` started (by pid)
#   scripts/tls-legacy-lab.sh status   exit 0 when it greets over TLS 1.0, 3 if not
#   scripts/tls-legacy-lab.sh env      print the env block
#
# What runs: socat's OPENSSL-LISTEN on 127.0.0.1:10030, implicit TLS with
# OpenSSL held to TLS 1.0 (openssl-min/max-proto-version) at security level
# 0 (cipher DEFAULT:@SECLEVEL=0, as old servers need on OpenSSL 3), one
# process per connection running a tiny SMTP responder (greeting, EHLO,
# HELO, NOOP, RSET, QUIT; 502 for the rest). The certificate comes from a
# CA of its own, made on the first `up`:
#   EHLO_TLS10=127.0.0.1:10030
#   EHLO_TLS10_CA=$STATE_DIR/ca.pem   (server name localhost, IP 127.0.0.1)
# Packages: socat and openssl (Debian). No root needed when STATE_DIR and
# RUN_DIR are writable (EHLO_TLS_LAB_DIR moves both).
set -euo pipefail

readonly HOST=127.0.0.1
readonly PORT=${EHLO_TLS10_PORT:-10030}
readonly BASE=${EHLO_TLS_LAB_DIR:-/var/lib/ehlo-tls-legacy-lab}
readonly STATE_DIR=$BASE
readonly PID_FILE=$BASE/socat.pid
readonly LOG_FILE=$BASE/socat.log
readonly ENV_FILE=$BASE/env
readonly RESPONDER=$BASE/smtp-responder.sh

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

env_block() {
	cat <<EOF
EHLO_TLS10=$HOST:$PORT
EHLO_TLS10_CA=$STATE_DIR/ca.pem
EOF
}

running() {
	[[ -r $PID_FILE ]] || return 1
	local pid
	pid=$(<"$PID_FILE")
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm && $(</proc/$pid/comm) == socat ]]
}

# greets: a TLS 1.0 handshake verified against our CA, then a 220.
greets() {
	local out
	out=$(printf 'QUIT\r\n' | timeout 5 openssl s_client -quiet -tls1 -cipher 'DEFAULT:@SECLEVEL=0' \
		-verify_return_error -CAfile "$STATE_DIR/ca.pem" -verify_hostname localhost \
		-connect "$HOST:$PORT" 2>/dev/null) || true
	[[ $out == 220* ]]
}

make_certs() {
	if [[ -s $STATE_DIR/ca.pem && -s $STATE_DIR/server.pem && -s $STATE_DIR/server.key ]] &&
		openssl x509 -in "$STATE_DIR/server.pem" -noout -checkend 604800 >/dev/null 2>&1; then
		return 0
	fi
	log "generating a CA and a server certificate in $STATE_DIR"
	local tmp
	tmp=$(mktemp -d)
	openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$tmp/ca.key" -out "$tmp/ca.pem" -subj "/O=ehlo tls legacy lab/CN=ehlo tls legacy lab CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$tmp/server.key" -out "$tmp/server.csr" \
		-subj "/O=ehlo tls legacy lab/CN=localhost" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tmp/ext.cnf"
	openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
		-days 825 -sha256 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
	install -m 600 "$tmp/ca.key" "$STATE_DIR/ca.key"
	install -m 644 "$tmp/ca.pem" "$STATE_DIR/ca.pem"
	install -m 600 "$tmp/server.key" "$STATE_DIR/server.key"
	install -m 644 "$tmp/server.pem" "$STATE_DIR/server.pem"
	rm -rf "$tmp"
}

write_responder() {
	cat >"$RESPONDER.tmp" <<'EOF'
#!/usr/bin/env bash
# One SMTP session on stdin/stdout, inside socat's TLS 1.0.
printf '220 tls10.lab.test ESMTP legacy TLS 1.0 only\r\n'
while IFS= read -r -t 60 line; do
	line=${line%$'\r'}
	case ${line^^} in
	EHLO*) printf '250-tls10.lab.test\r\n250-SIZE 1000000\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n' ;;
	HELO*) printf '250 tls10.lab.test\r\n' ;;
	NOOP* | RSET*) printf '250 2.0.0 Ok\r\n' ;;
	QUIT*) printf '221 2.0.0 Bye\r\n'; exit 0 ;;
	*) printf '502 5.5.2 Not implemented in this lab\r\n' ;;
	esac
done
EOF
	chmod 755 "$RESPONDER.tmp"
	mv -f "$RESPONDER.tmp" "$RESPONDER"
}

cmd_up() {
	command -v socat >/dev/null || die "socat is missing: apt-get install socat"
	command -v openssl >/dev/null || die "openssl is missing: apt-get install openssl"
	install -d -m 755 "$STATE_DIR"
	make_certs
	write_responder
	if ! running; then
		log "starting socat on $HOST:$PORT (TLS 1.0 only, SECLEVEL=0)"
		# The daemon keeps none of our descriptors, so $(tls-legacy-lab.sh up) returns.
		setsid socat -lf "$LOG_FILE" \
			"OPENSSL-LISTEN:$PORT,bind=$HOST,reuseaddr,fork,cert=$STATE_DIR/server.pem,key=$STATE_DIR/server.key,verify=0,openssl-min-proto-version=TLS1.0,openssl-max-proto-version=TLS1.0,cipher=DEFAULT:@SECLEVEL=0" \
			"EXEC:$RESPONDER" </dev/null >/dev/null 2>&1 &
		echo $! >"$PID_FILE"
	fi
	local deadline=$((SECONDS + 10))
	until greets; do
		((SECONDS < deadline)) || die "$HOST:$PORT does not greet over TLS 1.0 within 10s; see $LOG_FILE"
		sleep 0.2
	done
	env_block >"$ENV_FILE"
	env_block
}

cmd_down() {
	if running; then
		local pid
		pid=$(<"$PID_FILE")
		log "stopping socat (pid $pid)"
		kill -TERM "$pid"
	fi
	rm -f "$PID_FILE"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) if running && greets; then echo "up: $HOST:$PORT"; else echo down; exit 3; fi ;;
env) env_block ;;
*) echo "usage: ${0##*/} up|down|status|env" >&2; exit 2 ;;
esac
