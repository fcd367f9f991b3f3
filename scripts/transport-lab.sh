#!/usr/bin/env bash
# transport-lab.sh — the real servers behind ehlo's transport tests, on
# loopback: Dovecot's LMTP server (on a unix socket and on TCP) delivering
# to maildirs, and two SOCKS5 proxies (microsocks), one open, one with a
# user name and password. The Postfix ports behind the PROXY protocol and
# with XCLIENT are in scripts/postfix-lab.sh.
#
# Usage (as root, on Debian 12; no systemd needed or used):
#   scripts/transport-lab.sh up       install (first time), configure, start
#   scripts/transport-lab.sh down     stop what `up` started (by pid)
#   scripts/transport-lab.sh status   exit 0 if every listener answers, 3 if not
#   scripts/transport-lab.sh env      print the env block
#
# `up` prints only the env block on stdout (also in $STATE_DIR/env):
#   EHLO_LMTP_TCP=127.0.0.1:10024            Dovecot LMTP over TCP
#   EHLO_LMTP_SOCKET=/run/ehlo-transport-lab/lmtp   the same over a unix socket
#   EHLO_LMTP_USERS=lmtp1@lmtp.test,lmtp2@lmtp.test (known; anyone else: 550 at RCPT)
#   EHLO_LMTP_MAILDIRS=/var/lib/ehlo-transport-lab/home   (USER/Maildir/new/ under it)
#   EHLO_SOCKS=127.0.0.1:10080               SOCKS5, no authentication
#   EHLO_SOCKS_AUTH=127.0.0.1:10081          SOCKS5 with user ehlosocks, password socks-test-pw
#   EHLO_SOCKS_USER=ehlosocks EHLO_SOCKS_PASSWORD=socks-test-pw
#
# Idempotent: a second `up` rewrites the config only if it changed (then
# SIGHUPs Dovecot) and starts only what is not running. A separate Dovecot
# instance (its own base_dir and config); the Postfix lab's Dovecot is not
# touched.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

readonly LAB=ehlo-transport-lab
readonly CONF_DIR=/etc/$LAB
readonly DC_CONF=$CONF_DIR/dovecot.conf
readonly DC_USERS=$CONF_DIR/users
readonly STATE_DIR=/var/lib/$LAB
readonly HOME_DIR=$STATE_DIR/home
readonly RUN_DIR=/run/$LAB
readonly DC_BASE=$RUN_DIR/dovecot
readonly LMTP_SOCKET=$RUN_DIR/lmtp
readonly LOG_DIR=/var/log/$LAB
readonly ENV_FILE=$STATE_DIR/env
readonly LOCK_FILE=/run/$LAB.lock

readonly HOST=127.0.0.1
readonly PORT_LMTP=10024
readonly PORT_SOCKS=10080
readonly PORT_SOCKS_AUTH=10081
readonly SYS_USER=ehlolmtp
readonly LMTP_DOMAIN=lmtp.test
readonly LMTP_USERS=(lmtp1 lmtp2)
readonly SOCKS_USER=ehlosocks
readonly SOCKS_PASSWORD=socks-test-pw
readonly PACKAGES=(dovecot-core dovecot-lmtpd microsocks)
readonly DC_MASTER_PID=$DC_BASE/master.pid

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root; try: sudo $0 $*"; }

lock() {
	exec 9>"$LOCK_FILE"
	flock -w 300 9 || die "another ${0##*/} has held $LOCK_FILE for 5 minutes"
}

pid_alive() {
	local file=$1 name=$2 pid
	[[ -r $file ]] || return 1
	pid=$(tr -d ' \n' <"$file" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm ]] || return 1
	[[ $(<"/proc/$pid/comm") == "$name" ]]
}

port_open() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$HOST" "$1" 2>/dev/null
}

# lmtp_banner: the 220 of the TCP listener.
lmtp_banner() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		IFS= read -r -t 4 line <&3 || exit 1
		printf "QUIT\r\n" >&3
		printf "%s\n" "${line%$'"'"'\r'"'"'}"
	' _ "$HOST" "$PORT_LMTP" 2>/dev/null
}

write_if_changed() {
	local file=$1 mode=$2 owner=$3 tmp
	tmp=$(mktemp "$file.XXXXXX")
	cat >"$tmp"
	chmod "$mode" "$tmp"
	chown "$owner" "$tmp"
	if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$file"
	return 0
}

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Debian starts a package's service on install unless told not to; this
	# lab runs its own instances only.
	local policy=/usr/sbin/policy-rc.d made=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made=1
	fi
	apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2 ||
		{ apt-get update -qq >&2 && apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2; } ||
		{ [[ -n $made ]] && rm -f "$policy"; die "apt-get install ${missing[*]} failed"; }
	[[ -n $made ]] && rm -f "$policy"
	return 0
}

setup_user() {
	id "$SYS_USER" >/dev/null 2>&1 ||
		useradd --system --home-dir "$HOME_DIR" --no-create-home --shell /usr/sbin/nologin "$SYS_USER"
	install -d -m 755 -o root -g root "$CONF_DIR" "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
	install -d -m 755 -o "$SYS_USER" -g "$SYS_USER" "$HOME_DIR"
	local u
	for u in "${LMTP_USERS[@]}"; do
		install -d -m 700 -o "$SYS_USER" -g "$SYS_USER" "$HOME_DIR/$u"
	done
}

CHANGED_DOVECOT=
write_dovecot_config() {
	local uid gid u
	uid=$(id -u "$SYS_USER")
	gid=$(id -g "$SYS_USER")
	for u in "${LMTP_USERS[@]}"; do
		printf '%s@%s:{PLAIN}unused:%s:%s::%s::\n' "$u" "$LMTP_DOMAIN" "$uid" "$gid" "$HOME_DIR/$u"
	done | if write_if_changed "$DC_USERS" 640 root:dovecot; then CHANGED_DOVECOT=1; fi

	if write_if_changed "$DC_CONF" 644 root:root <<EOF; then CHANGED_DOVECOT=1; fi
# Written by scripts/transport-lab.sh (ehlo). Edits are overwritten by \`up\`.
# A Dovecot that only delivers by LMTP (RFC 2033), for ehlo's --protocol lmtp.
instance_name = $LAB-dovecot
base_dir = $DC_BASE
protocols = lmtp
ssl = no
log_path = $LOG_DIR/dovecot.log
info_log_path = $LOG_DIR/dovecot.log
first_valid_uid = $uid
mail_location = maildir:~/Maildir
lmtp_save_to_detail_mailbox = no
passdb {
  driver = passwd-file
  args = $DC_USERS
}
userdb {
  driver = passwd-file
  args = $DC_USERS
}
service lmtp {
  inet_listener lmtp {
    address = $HOST
    port = $PORT_LMTP
  }
  unix_listener $LMTP_SOCKET {
    mode = 0666
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0600
  }
}
EOF
}

start_dovecot() {
	if pid_alive "$DC_MASTER_PID" dovecot; then
		if [[ -n $CHANGED_DOVECOT ]]; then
			log "dovecot (LMTP) config changed: reloading"
			kill -HUP "$(tr -d ' \n' <"$DC_MASTER_PID")"
		fi
		return 0
	fi
	port_open "$PORT_LMTP" && die "$HOST:$PORT_LMTP is in use by something else; free it and retry"
	local err
	err=$(dovecot -c "$DC_CONF" -n 2>&1 >/dev/null) || die "dovecot rejects $DC_CONF: $err"
	log "starting dovecot (LMTP) with $DC_CONF"
	dovecot -c "$DC_CONF" </dev/null >"$RUN_DIR/dovecot.start.log" 2>&1 9>&- ||
		die "dovecot failed to start: $(cat "$RUN_DIR/dovecot.start.log"); see $LOG_DIR/dovecot.log"
}

# start_socks NAME PORT [ARGS...]: microsocks in the background, its pid in
# $RUN_DIR/NAME.pid.
start_socks() {
	local name=$1 port=$2 pidfile=$RUN_DIR/$1.pid
	shift 2
	pid_alive "$pidfile" microsocks && return 0
	port_open "$port" && die "$HOST:$port is in use by something else; free it and retry"
	log "starting microsocks ($name) on $HOST:$port"
	setsid microsocks -i "$HOST" -p "$port" "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 9>&- &
	echo $! >"$pidfile"
}

wait_for_listeners() {
	local deadline=$((SECONDS + 20))
	while :; do
		if lmtp_banner | grep -q '^220 ' && [[ -S $LMTP_SOCKET ]] &&
			port_open "$PORT_SOCKS" && port_open "$PORT_SOCKS_AUTH"; then
			return 0
		fi
		((SECONDS < deadline)) || break
		sleep 0.2
	done
	die "the listeners (LMTP $HOST:$PORT_LMTP and $LMTP_SOCKET, SOCKS $PORT_SOCKS and $PORT_SOCKS_AUTH) are not all up within 20s; see $LOG_DIR"
}

stop_pid() {
	local file=$1 name=$2 pid i
	pid_alive "$file" "$name" || return 0
	pid=$(tr -d ' \n' <"$file")
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

env_block() {
	local users=() u
	for u in "${LMTP_USERS[@]}"; do users+=("$u@$LMTP_DOMAIN"); done
	cat <<EOF
EHLO_LMTP_TCP=$HOST:$PORT_LMTP
EHLO_LMTP_SOCKET=$LMTP_SOCKET
EHLO_LMTP_USERS=$(IFS=,; echo "${users[*]}")
EHLO_LMTP_MAILDIRS=$HOME_DIR
EHLO_SOCKS=$HOST:$PORT_SOCKS
EHLO_SOCKS_AUTH=$HOST:$PORT_SOCKS_AUTH
EHLO_SOCKS_USER=$SOCKS_USER
EHLO_SOCKS_PASSWORD=$SOCKS_PASSWORD
EOF
}

cmd_up() {
	need_root up
	lock
	install_packages
	setup_user
	write_dovecot_config
	start_dovecot
	start_socks socks "$PORT_SOCKS"
	start_socks socks-auth "$PORT_SOCKS_AUTH" -u "$SOCKS_USER" -P "$SOCKS_PASSWORD"
	wait_for_listeners
	env_block | write_if_changed "$ENV_FILE" 644 root:root || true
	log "up: LMTP $HOST:$PORT_LMTP and $LMTP_SOCKET, SOCKS5 $HOST:$PORT_SOCKS (open) and $PORT_SOCKS_AUTH (user/password); env in $ENV_FILE"
	env_block
}

cmd_down() {
	need_root down
	lock
	stop_pid "$RUN_DIR/socks.pid" microsocks
	stop_pid "$RUN_DIR/socks-auth.pid" microsocks
	stop_pid "$DC_MASTER_PID" dovecot
	log "down"
}

cmd_status() {
	local ok=1
	if lmtp_banner | grep -q '^220 '; then echo "lmtp tcp $HOST:$PORT_LMTP: up"; else echo "lmtp tcp $HOST:$PORT_LMTP: DOWN"; ok=; fi
	if [[ -S $LMTP_SOCKET ]]; then echo "lmtp socket $LMTP_SOCKET: present"; else echo "lmtp socket $LMTP_SOCKET: MISSING"; ok=; fi
	if port_open "$PORT_SOCKS"; then echo "socks $HOST:$PORT_SOCKS: up"; else echo "socks $HOST:$PORT_SOCKS: DOWN"; ok=; fi
	if port_open "$PORT_SOCKS_AUTH"; then echo "socks (auth) $HOST:$PORT_SOCKS_AUTH: up"; else echo "socks (auth) $HOST:$PORT_SOCKS_AUTH: DOWN"; ok=; fi
	[[ -n $ok ]] && { echo "status: up"; return 0; }
	echo "status: not all up"
	return 3
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) env_block ;;
*) echo "usage: ${0##*/} up|down|status|env" >&2; exit 2 ;;
esac
