#!/usr/bin/env bash
# postfix-lab.sh — a real Postfix (with Dovecot SASL) on loopback, for ehlo's
# interop tests.
#
# Usage (as root, on Debian 12; no systemd needed or used):
#   scripts/postfix-lab.sh up       install (first time), configure, start
#   scripts/postfix-lab.sh down     stop what `up` started (by pid)
#   scripts/postfix-lab.sh status   probe the listeners; exit 0 if up, 3 if not
#   scripts/postfix-lab.sh env      print the env block (same as `up` prints)
#
# `up` prints ONLY the env block on stdout (progress goes to stderr), so a test
# harness can do `scripts/postfix-lab.sh up > lab.env` or read $STATE_DIR/env:
#   EHLO_POSTFIX_MX=127.0.0.1:10025          STARTTLS, no AUTH (MX style)
#   EHLO_POSTFIX_SUBMISSION=127.0.0.1:10587  STARTTLS; AUTH PLAIN LOGIN SCRAM-SHA-1 SCRAM-SHA-256
#                                            after STARTTLS (smtpd_tls_auth_only)
#   EHLO_POSTFIX_SMTPS=127.0.0.1:10465       implicit TLS (wrappermode), AUTH
#   EHLO_POSTFIX_MX_PLAINTEXT=127.0.0.1:10026  MX style, no STARTTLS at all
#   EHLO_POSTFIX_CCERT=127.0.0.1:10028       STARTTLS, asks for a client
#                                            certificate (smtpd_tls_ask_ccert)
#                                            naming the lab's client CA
#   EHLO_POSTFIX_CLIENT_CERT, _CLIENT_KEY    a client certificate and key
#                                            that CA issued (CN ehlo lab client)
#   EHLO_POSTFIX_CA=/var/lib/ehlo-postfix-lab/ca.pem
#   EHLO_POSTFIX_USER=ehlotest   EHLO_POSTFIX_PASSWORD=ehlo-test-pw
#   EHLO_POSTFIX_MAILDIR=/home/ehlotest/Maildir   (deliveries in .../new/)
#   EHLO_POSTFIX_PROXYPROTO=127.0.0.1:10082  MX style behind the PROXY protocol
#                                            (smtpd_upstream_proxy_protocol = haproxy)
#   EHLO_POSTFIX_XCLIENT=127.0.0.1:10029     MX style, XCLIENT from 127.0.0.0/8
#   EHLO_POSTFIX_CONF=/etc/ehlo-postfix-lab/postfix  (sendmail -C DIR -bs: --pipe)
# The file holds plain KEY=value lines: `set -a; . FILE; set +a` sources it.
#
# What it sets up — a SEPARATE Postfix instance; /etc/postfix and the Debian
# default instance are never touched or started:
#   /etc/ehlo-postfix-lab/postfix/    config_directory (main.cf, master.cf,
#                                     aliases); run as `postfix -c DIR ...`
#   /etc/ehlo-postfix-lab/dovecot/    dovecot.conf + passwd-file user db; a
#                                     Dovecot that serves only SASL auth (no
#                                     IMAP/POP), started as `dovecot -c FILE`
#   /var/spool/ehlo-postfix-lab/      the instance's queue_directory
#   /var/lib/ehlo-postfix-lab/        state: ca.pem/ca.key (self-signed CA),
#                                     server.pem/server.key (CN localhost, SAN
#                                     localhost, postfix.lab.test, 127.0.0.1
#                                     and the DNS lab's MTA-STS MX names:
#                                     SERVER_NAMES below),
#                                     env, postfix data_directory
#   /run/ehlo-postfix-lab/            dovecot base_dir (master.pid) + auth
#                                     socket Postfix talks to
#   /var/log/ehlo-postfix-lab/        postfix.log (maillog_file), dovecot.log
# Postfix's master pid is $queue_directory/pid/master.pid (`postfix stop`
# uses it); Dovecot's is /run/ehlo-postfix-lab/dovecot/master.pid.
#
# Mail model: myhostname postfix.lab.test; mydestination localhost,
# localhost.localdomain, postfix.test, postfix.lab.test; local delivery to
# ~/Maildir/ for the system user ehlotest (password ehlo-test-pw, same in the
# Dovecot passwd-file). Nobody is in mynetworks and no port permits relaying
# without AUTH, so an unauthenticated RCPT to a foreign domain gets
# "554 5.7.1 <...>: Relay access denied" on 10025. The submission ports
# (10587, 10465) refuse every RCPT before AUTH, local ones too: "554 5.7.1
# <unknown[127.0.0.1]>: Client host rejected: Access denied". Mail that
# an authenticated client relays off-host is accepted (250) and then
# DISCARDED (default_transport = discard): the lab has no outside network and
# makes no DNS lookups. chroot is off for every service. smtpd_banner is
# Postfix's default ("220 postfix.lab.test ESMTP Postfix").
#
# Replies worth knowing (Postfix 3.7 + Dovecot 2.3 on Debian 12):
#   10587 before STARTTLS: EHLO lists STARTTLS and no AUTH; an AUTH anyway
#     gets "503 5.5.1 Error: authentication not enabled".
#   10587 after STARTTLS, 10465 at once: "250-AUTH PLAIN LOGIN SCRAM-SHA-1
#     SCRAM-SHA-256" (Dovecot 2.3 has no -PLUS); good
#     password "235 2.7.0 Authentication successful"; bad password, answered
#     at once (auth_failure_delay = 0): "535 5.7.8 Error: authentication
#     failed: (reason unavailable)".
#   10025: STARTTLS, never AUTH ("503 5.5.1 Error: authentication not
#     enabled"). Unauthenticated mail to a local address is accepted on
#     10025 only; an unknown local user gets "550 5.1.1 ... User unknown in
#     local recipient table".
#
# Handy: queue `postqueue -c /etc/ehlo-postfix-lab/postfix -p`; settings
# `postconf -c /etc/ehlo-postfix-lab/postfix -n`; logs in
# /var/log/ehlo-postfix-lab/. Concurrent `up`/`down` calls (parallel test
# packages) serialize on /run/ehlo-postfix-lab.lock; the daemons keep neither
# the lock nor the caller's stdout/stderr, so `$(postfix-lab.sh up)` returns.
#
# Message size: `up` sets message_size_limit from EHLO_POSTFIX_MESSAGE_SIZE_LIMIT
# (bytes; default 10240000, Postfix's own), so bench/run.sh can send 100 MB:
#   EHLO_POSTFIX_MESSAGE_SIZE_LIMIT=209715200 scripts/postfix-lab.sh up
# and a later plain `up` puts the default back.
#
# Idempotent: a second `up` rewrites the config only if it changed (then
# `postfix reload` / SIGHUP dovecot) and otherwise just checks the listeners;
# `down` on a stopped lab is a no-op. `down` keeps the CA, so its path and
# content stay stable across down/up.
set -euo pipefail

# postfix, postalias, useradd, ... live in sbin, which a CI PATH may lack.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

readonly LAB=ehlo-postfix-lab
readonly CONF_DIR=/etc/$LAB
readonly PF_CONF=$CONF_DIR/postfix
readonly DC_DIR=$CONF_DIR/dovecot
readonly DC_CONF=$DC_DIR/dovecot.conf
readonly DC_USERS=$DC_DIR/users
readonly DC_SCRAM_USERS=$DC_DIR/users-scram # SCRAM block: see write_dovecot_config
readonly STATE_DIR=/var/lib/$LAB
readonly PF_QUEUE=/var/spool/$LAB
readonly PF_DATA=$STATE_DIR/postfix
readonly RUN_DIR=/run/$LAB
readonly DC_BASE=$RUN_DIR/dovecot
readonly AUTH_SOCKET=$RUN_DIR/auth-postfix
readonly LOG_DIR=/var/log/$LAB
readonly ENV_FILE=$STATE_DIR/env
readonly LOCK_FILE=/run/$LAB.lock
readonly CA_PEM=$STATE_DIR/ca.pem
readonly CA_KEY=$STATE_DIR/ca.key
readonly SRV_PEM=$STATE_DIR/server.pem
readonly SRV_KEY=$STATE_DIR/server.key
readonly CLIENT_CA_PEM=$STATE_DIR/client-ca.pem
readonly CLIENT_CA_KEY=$STATE_DIR/client-ca.key
readonly CLIENT_PEM=$STATE_DIR/client.pem
readonly CLIENT_KEY=$STATE_DIR/client.key

readonly HOST=127.0.0.1
readonly PORT_MX=10025
readonly PORT_SUBMISSION=10587
readonly PORT_SMTPS=10465
# MX style without TLS: no STARTTLS offered (smtpd_tls_security_level=none).
# scripts/dns-lab.sh points its plaintext-only MX hosts here.
readonly PORT_PLAIN=10026
# -- transport (helper G): PROXY protocol and XCLIENT ports
readonly PORT_PROXYPROTO=10082
readonly PORT_XCLIENT=10029
# -- end transport
readonly PORT_CCERT=10028
readonly MYHOSTNAME=postfix.lab.test
readonly MAIL_DOMAIN=postfix.test
readonly TEST_USER=ehlotest
readonly TEST_PASSWORD=ehlo-test-pw
readonly TEST_HOME=/home/$TEST_USER
readonly MAILDIR=$TEST_HOME/Maildir

readonly PACKAGES=(postfix dovecot-core openssl)

# The server certificate's names. The MX names are those of the DNS lab's
# MTA-STS zones (scripts/dns-lab.sh), whose policies require the MX
# certificate to name the MX host; mx.sts-certmismatch.test is left out on
# purpose. A certificate that lacks one of them is reissued with the same
# key (so DANE TLSA records computed from it stay true) and the same CA.
readonly SERVER_NAMES=(localhost "$MYHOSTNAME"
	mx1.sts-enforce.test mx2.sts-enforce.test
	mx1.sts-mismatch.test mx2.sts-mismatch.test
	mx.sts-testing.test mx.sts-404.test mx.sts-badcert-name.test
	mx.sts-badcert-untrusted.test mx.sts-redirect.test mx.sts-huge.test
	mx.sts-invalid.test mx.sts-plaintext.test)

MESSAGE_SIZE_LIMIT=${EHLO_POSTFIX_MESSAGE_SIZE_LIMIT:-10240000}
[[ $MESSAGE_SIZE_LIMIT =~ ^[0-9]+$ ]] || { echo "EHLO_POSTFIX_MESSAGE_SIZE_LIMIT must be a number of bytes" >&2; exit 2; }

PF_MASTER_PID=$PF_QUEUE/pid/master.pid
DC_MASTER_PID=$DC_BASE/master.pid

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

usage() {
	cat >&2 <<EOF
usage: ${0##*/} up|down|status|env
  up      install if needed, configure and start the Postfix lab on $HOST
          ports $PORT_MX (MX), $PORT_PLAIN (MX without STARTTLS),
          $PORT_SUBMISSION (submission), $PORT_SMTPS (smtps),
          $PORT_CCERT (MX asking for a client certificate)
  down    stop it (by pid); keeps config, CA and mail
  status  probe dovecot and each listener; exit 0 if all pass, 3 if not
  env     print the env block (KEY=value lines)
EOF
}

need_root() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and runs Postfix); try: sudo $0 $*"
}

# lock: serialize up/down, e.g. when parallel test packages all call `up`.
lock() {
	exec 9>"$LOCK_FILE"
	flock -w 300 9 || die "another ${0##*/} has held $LOCK_FILE for 5 minutes"
}

# ---------------------------------------------------------------- helpers

# pid_alive PIDFILE NAME: true if PIDFILE names a live process whose comm is
# NAME. Guards against a stale pid file pointing at a recycled pid.
pid_alive() {
	local file=$1 name=$2 pid comm
	[[ -r $file ]] || return 1
	pid=$(tr -d ' \n' <"$file" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/comm ]] || return 1
	comm=$(<"/proc/$pid/comm")
	[[ $comm == "$name" ]]
}

read_pid() { tr -d ' \n' <"$1"; }

# port_open PORT: something accepts TCP connections on $HOST:PORT.
port_open() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$HOST" "$1" 2>/dev/null
}

# smtp_banner PORT: the 220 greeting of a plaintext listener (sends QUIT).
smtp_banner() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		IFS= read -r -t 4 line <&3 || exit 1
		printf "QUIT\r\n" >&3
		printf "%s\n" "${line%$'"'"'\r'"'"'}"
	' _ "$HOST" "$1" 2>/dev/null
}

# tls_banner PORT: the 220 greeting of an implicit-TLS listener, with the
# server certificate verified against our CA.
tls_banner() {
	local out
	out=$(printf 'QUIT\r\n' | timeout 5 openssl s_client -quiet -verify_return_error \
		-CAfile "$CA_PEM" -verify_hostname localhost \
		-connect "$HOST:$1" 2>/dev/null) || true
	out=${out%%$'\n'*}
	out=${out%$'\r'}
	[[ $out == 220* ]] || return 1
	printf '%s\n' "$out"
}

# write_if_changed FILE MODE OWNER:GROUP < content. Returns 0 when the file
# was (re)written, 1 when it already had this content.
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

postfix_cmd() { postfix -c "$PF_CONF" "$@"; }

# ---------------------------------------------------------------- install

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
			missing+=("$p")
		fi
	done
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null || die "apt-get not found: this script expects Debian 12"
	log "installing ${missing[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	debconf-set-selections <<EOF
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string $MYHOSTNAME
EOF
	# Keep dpkg from starting Debian's own postfix/dovecot services: the lab
	# runs its own instances. Only add a policy-rc.d if none is there.
	local policy=/usr/sbin/policy-rc.d made_policy=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# temporary, from %s\nexit 101\n' "$0" >"$policy"
		chmod 755 "$policy"
		made_policy=1
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	local rc=0
	# Wait for a concurrent apt/dpkg run instead of failing on its lock.
	local apt_opts=(-q -o DPkg::Lock::Timeout=300)
	{ apt-get "${apt_opts[@]}" update >&2 &&
		apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2; } || rc=$?
	if [[ -n $made_policy ]]; then
		rm -f "$policy"
		trap - EXIT
	fi
	((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
	command -v postfix >/dev/null || die "postfix not on PATH after install"
	command -v dovecot >/dev/null || die "dovecot not on PATH after install"
}

# ---------------------------------------------------------------- user, TLS

# hash_matches HASH: HASH is a SHA512-CRYPT ($6$) hash of $TEST_PASSWORD.
hash_matches() {
	local hash=$1 salt
	[[ $hash == \$6\$* ]] || return 1
	salt=${hash#\$6\$}
	salt=${salt%%\$*}
	[[ $(openssl passwd -6 -salt "$salt" "$TEST_PASSWORD") == "$hash" ]]
}

PASSWORD_HASH=

setup_user() {
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		log "creating system user $TEST_USER"
		useradd --create-home --home-dir "$TEST_HOME" --shell /usr/sbin/nologin \
			--comment 'ehlo postfix lab test user' "$TEST_USER"
	fi
	# One SHA512-CRYPT hash serves /etc/shadow and the Dovecot passwd-file.
	# Keep the current one while it still matches the password, so reruns
	# leave both files alone.
	local hash
	hash=$(getent shadow "$TEST_USER" | cut -d: -f2)
	if ! hash_matches "$hash"; then
		hash=$(openssl passwd -6 "$TEST_PASSWORD")
		usermod --password "$hash" "$TEST_USER"
	fi
	PASSWORD_HASH=$hash
	local d
	for d in "$MAILDIR" "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"; do
		[[ -d $d ]] || install -d -m 700 -o "$TEST_USER" -g "$TEST_USER" "$d"
	done
}

# ca_ok: the CA exists and stays valid for 7 days.
ca_ok() {
	[[ -s $CA_PEM && -s $CA_KEY ]] || return 1
	openssl x509 -in "$CA_PEM" -noout -checkend 604800 >/dev/null 2>&1
}

# server_cert_ok: the server cert exists, chains to the CA, stays valid for 7
# days and names every one of SERVER_NAMES.
server_cert_ok() {
	[[ -s $SRV_PEM && -s $SRV_KEY ]] || return 1
	openssl x509 -in "$SRV_PEM" -noout -checkend 604800 >/dev/null 2>&1 || return 1
	openssl verify -CAfile "$CA_PEM" "$SRV_PEM" >/dev/null 2>&1 || return 1
	local name
	for name in "${SERVER_NAMES[@]}"; do
		openssl x509 -in "$SRV_PEM" -noout -checkhost "$name" 2>/dev/null | grep -q ' does match ' || return 1
	done
}

make_ca() {
	local tmp=$1
	openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
		-subj "/O=ehlo postfix lab/CN=ehlo postfix lab CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" 2>/dev/null
	install -m 600 -o root -g root "$tmp/ca.key" "$CA_KEY"
	install -m 644 -o root -g root "$tmp/ca.pem" "$CA_PEM"
}

# make_server_cert TMP: issue the server certificate from the CA, reusing
# the server key when there is one; each file is replaced by a rename, so a
# running Postfix never reads half a file.
make_server_cert() {
	local tmp=$1 san=IP:127.0.0.1 name
	for name in "${SERVER_NAMES[@]}"; do san+=",DNS:$name"; done
	if [[ -s $SRV_KEY ]]; then
		cp "$SRV_KEY" "$tmp/server.key"
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/server.key" 2>/dev/null
	fi
	openssl req -new -key "$tmp/server.key" -sha256 -out "$tmp/server.csr" \
		-subj "/O=ehlo postfix lab/CN=localhost" 2>/dev/null
	cat >"$tmp/ext.cnf" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
	openssl x509 -req -in "$tmp/server.csr" -CA "$CA_PEM" -CAkey "$CA_KEY" \
		-CAcreateserial -CAserial "$tmp/ca.srl" -days 825 -sha256 -extfile "$tmp/ext.cnf" \
		-out "$tmp/server.pem" 2>/dev/null
	install -m 600 -o root -g root "$tmp/server.key" "$SRV_KEY.new"
	install -m 644 -o root -g root "$tmp/server.pem" "$SRV_PEM.new"
	mv -f "$SRV_KEY.new" "$SRV_KEY"
	mv -f "$SRV_PEM.new" "$SRV_PEM"
}

make_certs() {
	if ca_ok && server_cert_ok; then return 0; fi
	local tmp
	tmp=$(mktemp -d)
	if ! ca_ok; then
		log "generating self-signed CA and server certificate in $STATE_DIR"
		rm -f "$SRV_KEY" # a new CA gets a new server key too
		make_ca "$tmp"
	else
		log "reissuing the server certificate in $STATE_DIR (same key, same CA) for: ${SERVER_NAMES[*]}"
	fi
	make_server_cert "$tmp"
	rm -rf "$tmp"
	server_cert_ok || die "generated certificates do not verify"
	CHANGED_POSTFIX=1
}

# client_cert_ok: the client CA and the client certificate it issued exist,
# chain, and stay valid for 7 days.
client_cert_ok() {
	[[ -s $CLIENT_CA_PEM && -s $CLIENT_CA_KEY && -s $CLIENT_PEM && -s $CLIENT_KEY ]] || return 1
	openssl x509 -in "$CLIENT_PEM" -noout -checkend 604800 >/dev/null 2>&1 || return 1
	openssl verify -CAfile "$CLIENT_CA_PEM" -purpose sslclient "$CLIENT_PEM" >/dev/null 2>&1
}

# make_client_certs: a CA for client certificates, named in port
# $PORT_CCERT's certificate request, and one client certificate from it.
# The client key is a lab credential, readable by all (tests read it).
make_client_certs() {
	if client_cert_ok; then return 0; fi
	log "generating the client CA and a client certificate in $STATE_DIR"
	local tmp
	tmp=$(mktemp -d)
	openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$tmp/client-ca.key" -out "$tmp/client-ca.pem" \
		-subj "/O=ehlo postfix lab/CN=ehlo postfix lab client CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -new -newkey rsa:2048 -nodes -sha256 \
		-keyout "$tmp/client.key" -out "$tmp/client.csr" \
		-subj "/O=ehlo postfix lab/CN=ehlo lab client" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$tmp/ext.cnf"
	openssl x509 -req -in "$tmp/client.csr" -CA "$tmp/client-ca.pem" -CAkey "$tmp/client-ca.key" \
		-CAcreateserial -days 825 -sha256 -extfile "$tmp/ext.cnf" \
		-out "$tmp/client.pem" 2>/dev/null
	install -m 600 -o root -g root "$tmp/client-ca.key" "$CLIENT_CA_KEY"
	install -m 644 -o root -g root "$tmp/client-ca.pem" "$CLIENT_CA_PEM"
	install -m 644 -o root -g root "$tmp/client.key" "$CLIENT_KEY"
	install -m 644 -o root -g root "$tmp/client.pem" "$CLIENT_PEM"
	rm -rf "$tmp"
	client_cert_ok || die "generated client certificates do not verify"
	CHANGED_POSTFIX=1
}

# ---------------------------------------------------------------- config

CHANGED_POSTFIX=
CHANGED_DOVECOT=

write_postfix_config() {
	install -d -m 755 -o root -g root "$CONF_DIR" "$PF_CONF" "$STATE_DIR" "$PF_QUEUE" "$LOG_DIR"
	install -d -m 700 -o postfix -g postfix "$PF_DATA"

	if write_if_changed "$PF_CONF/main.cf" 644 root:root <<EOF; then CHANGED_POSTFIX=1; fi
# Written by scripts/postfix-lab.sh (ehlo). Edits are overwritten by \`up\`.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
meta_directory = /etc/postfix
syslog_name = $LAB
maillog_file = $LOG_DIR/postfix.log

myhostname = $MYHOSTNAME
mydomain = lab.test
myorigin = \$myhostname
mydestination = localhost, localhost.localdomain, $MAIL_DOMAIN, \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
# No client is trusted by address: relaying needs SASL auth everywhere.
mynetworks =
alias_maps = hash:$PF_CONF/aliases
alias_database = hash:$PF_CONF/aliases
home_mailbox = Maildir/
biff = no
append_dot_mydomain = no
recipient_delimiter = +
message_size_limit = $MESSAGE_SIZE_LIMIT
# local(8) refuses to start when a mailbox may hold less than one message.
mailbox_size_limit = 0

# Loopback lab with no outside network: no DNS, and mail relayed off-host by
# an authenticated client is accepted and then dropped.
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
default_transport = discard:ehlo postfix lab delivers only locally
relay_transport = \$default_transport

# TLS: offered (may) on every port; certificate from our own CA.
smtpd_tls_cert_file = $SRV_PEM
smtpd_tls_key_file = $SRV_KEY
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

# SASL via Dovecot; enabled per port in master.cf.
smtpd_sasl_type = dovecot
smtpd_sasl_path = $AUTH_SOCKET
smtpd_sasl_auth_enable = no
smtpd_tls_auth_only = yes
smtpd_sasl_security_options = noanonymous
smtpd_sasl_authenticated_header = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =

# A service whose process fails at start-up (e.g. smtpd while Dovecot is
# down: "no SASL authentication mechanisms") is paused for this long, not 60s.
service_throttle_time = 5s
EOF

	if write_if_changed "$PF_CONF/master.cf" 644 root:root <<EOF; then CHANGED_POSTFIX=1; fi
# Written by scripts/postfix-lab.sh (ehlo). Edits are overwritten by \`up\`.
# service type  private unpriv  chroot  wakeup  maxproc command + args
# MX style: STARTTLS, no AUTH.
$HOST:$PORT_MX inet n - n - - smtpd
  -o syslog_name=$LAB/mx
  -o smtpd_sasl_auth_enable=no
# MX style without TLS: STARTTLS is not offered (the DNS lab's plaintext MX).
$HOST:$PORT_PLAIN inet n - n - - smtpd
  -o syslog_name=$LAB/plain
  -o smtpd_sasl_auth_enable=no
  -o smtpd_tls_security_level=none
# Submission: STARTTLS offered, AUTH only after STARTTLS, and, as Debian's
# master.cf template and most guides have it, nothing without AUTH: every
# RCPT from a client that did not sign in gets "554 5.7.1 <...>: Client
# host rejected: Access denied" (smtpd_delay_reject: at RCPT, not MAIL).
$HOST:$PORT_SUBMISSION inet n - n - - smtpd
  -o syslog_name=$LAB/submission
  -o smtpd_tls_security_level=may
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject_unauth_destination
# Implicit TLS ("smtps"/submissions), AUTH offered; nothing without AUTH.
$HOST:$PORT_SMTPS inet n - n - - smtpd
  -o syslog_name=$LAB/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject_unauth_destination
# -- transport (helper G) --
# MX style behind a load balancer: every connection must open with a PROXY
# protocol header (v1 or v2), whose source address Postfix then logs and
# puts in Received: (ehlo --proxy-protocol).
$HOST:$PORT_PROXYPROTO inet n - n - - smtpd
  -o syslog_name=$LAB/proxyproto
  -o smtpd_sasl_auth_enable=no
  -o smtpd_upstream_proxy_protocol=haproxy
  -o smtpd_upstream_proxy_timeout=5s
# MX style, XCLIENT allowed from loopback: a client may claim another
# address, name or HELO for Postfix's access rules (ehlo send --xclient).
$HOST:$PORT_XCLIENT inet n - n - - smtpd
  -o syslog_name=$LAB/xclient
  -o smtpd_sasl_auth_enable=no
  -o smtpd_authorized_xclient_hosts=127.0.0.0/8
# -- end transport --
# MX style, asking for a client certificate (not requiring one), naming the
# lab's client CA in the request; the Received header and the log say
# whether one was presented and verified.
$HOST:$PORT_CCERT inet n - n - - smtpd
  -o syslog_name=$LAB/ccert
  -o smtpd_sasl_auth_enable=no
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=$CLIENT_CA_PEM
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

	if write_if_changed "$PF_CONF/aliases" 644 root:root <<EOF; then CHANGED_POSTFIX=1; fi
# Written by scripts/postfix-lab.sh (ehlo).
postmaster: $TEST_USER
abuse: $TEST_USER
root: $TEST_USER
EOF
	if [[ ! -f $PF_CONF/aliases.db || $PF_CONF/aliases -nt $PF_CONF/aliases.db ]]; then
		postalias -c "$PF_CONF" "hash:$PF_CONF/aliases"
		CHANGED_POSTFIX=1
	fi
}

write_dovecot_config() {
	install -d -m 755 -o root -g root "$DC_DIR" "$RUN_DIR"
	local uid gid
	uid=$(id -u "$TEST_USER")
	gid=$(id -g "$TEST_USER")
	if write_if_changed "$DC_USERS" 640 root:dovecot <<EOF; then CHANGED_DOVECOT=1; fi
$TEST_USER:{SHA512-CRYPT}$PASSWORD_HASH:$uid:$gid::$TEST_HOME::
EOF

	# SCRAM block (issue 22): the test user's password for SCRAM lookups.
	if write_if_changed "$DC_SCRAM_USERS" 640 root:dovecot <<EOF; then CHANGED_DOVECOT=1; fi
$TEST_USER:{PLAIN}$TEST_PASSWORD:$uid:$gid::$TEST_HOME::
EOF

	if write_if_changed "$DC_CONF" 644 root:root <<EOF; then CHANGED_DOVECOT=1; fi
# Written by scripts/postfix-lab.sh (ehlo). Edits are overwritten by \`up\`.
# A Dovecot that only does SASL authentication for the lab's Postfix.
instance_name = $LAB-dovecot
base_dir = $DC_BASE
protocols =
ssl = no
log_path = $LOG_DIR/dovecot.log
info_log_path = $LOG_DIR/dovecot.log
auth_verbose = yes
# Postfix enforces TLS before AUTH (smtpd_tls_auth_only); the socket between
# Postfix and Dovecot is local.
disable_plaintext_auth = no
auth_mechanisms = plain login scram-sha-1 scram-sha-256
# Answer a bad password at once (Dovecot's default waits 2s): tests stay fast.
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%n $DC_USERS
}
# SCRAM (ehlo send --auth scram-sha-256): the server side needs the
# password itself, or a SCRAM hash per hash function; a SHA512-CRYPT hash
# cannot serve it. For a SCRAM lookup the passdb above answers "scheme not
# available" and Dovecot goes on to this one, which holds the lab's public
# test password in clear (scripts/postfix-lab.sh status prints it anyway).
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DC_SCRAM_USERS
}
userdb {
  driver = passwd-file
  args = username_format=%n $DC_USERS
}
service auth {
  unix_listener $AUTH_SOCKET {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

# ---------------------------------------------------------------- start/stop

check_ports_free() {
	local p
	for p in "$PORT_MX" "$PORT_SUBMISSION" "$PORT_SMTPS" "$PORT_PLAIN" "$PORT_CCERT"; do
		if port_open "$p"; then
			die "$HOST:$p is already in use by something else (not this lab's Postfix); free it and retry"
		fi
	done
}

start_dovecot() {
	if pid_alive "$DC_MASTER_PID" dovecot; then
		if [[ -n $CHANGED_DOVECOT ]]; then
			log "dovecot config changed: reloading (pid $(read_pid "$DC_MASTER_PID"))"
			kill -HUP "$(read_pid "$DC_MASTER_PID")"
			# Postfix's smtpd processes keep their auth connection open; the
			# reload kills the old auth process, so refresh them too.
			CHANGED_POSTFIX=1
		fi
		return 0
	fi
	CHANGED_POSTFIX=1
	local err
	err=$(dovecot -c "$DC_CONF" -n 2>&1 >/dev/null) || die "dovecot rejects $DC_CONF: $err"
	log "starting dovecot (auth only) with $DC_CONF"
	# The daemon must not keep our stdout/stderr (a caller reading them
	# through a pipe would never see EOF) nor the lock fd.
	dovecot -c "$DC_CONF" </dev/null >"$RUN_DIR/dovecot.start.log" 2>&1 9>&- ||
		die "dovecot failed to start: $(cat "$RUN_DIR/dovecot.start.log"); see $LOG_DIR/dovecot.log"
}

start_postfix() {
	if pid_alive "$PF_MASTER_PID" master; then
		if [[ -n $CHANGED_POSTFIX ]]; then
			log "reloading postfix (pid $(read_pid "$PF_MASTER_PID")): config changed or dovecot restarted"
			postfix_cmd reload </dev/null >&2 9>&-
		fi
		return 0
	fi
	check_ports_free
	log "starting postfix with config directory $PF_CONF"
	# `postfix check` also creates missing queue directories.
	postfix_cmd check >&2 || die "postfix check failed for $PF_CONF; see $LOG_DIR/postfix.log"
	postfix_cmd start </dev/null >"$RUN_DIR/postfix.start.log" 2>&1 9>&- ||
		die "postfix failed to start: $(cat "$RUN_DIR/postfix.start.log"); see $LOG_DIR/postfix.log"
}

wait_for_socket() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -S $AUTH_SOCKET ]] && return 0
		sleep 0.1
	done
	die "dovecot did not create $AUTH_SOCKET; see $LOG_DIR/dovecot.log"
}

# wait_for_listeners: every port greets with 220 (smtps over TLS, with the
# certificate verified against our CA), retrying for up to ~10s.
wait_for_listeners() {
	local deadline=$((SECONDS + 20))
	while :; do
		if smtp_banner "$PORT_MX" | grep -q '^220 ' &&
			smtp_banner "$PORT_PLAIN" | grep -q '^220 ' &&
			smtp_banner "$PORT_SUBMISSION" | grep -q '^220 ' &&
			smtp_banner "$PORT_CCERT" | grep -q '^220 ' &&
			tls_banner "$PORT_SMTPS" >/dev/null; then
			return 0
		fi
		((SECONDS < deadline)) || break
		sleep 0.2
	done
	die "the listeners on $HOST:$PORT_MX/$PORT_PLAIN/$PORT_SUBMISSION/$PORT_SMTPS do not all greet with 220 within 20s (smtps: TLS verified against $CA_PEM); see $LOG_DIR/postfix.log"
}

stop_postfix() {
	if ! pid_alive "$PF_MASTER_PID" master; then
		log "postfix: not running"
		return 0
	fi
	local pid i
	pid=$(read_pid "$PF_MASTER_PID")
	log "stopping postfix (master pid $pid)"
	postfix_cmd stop >&2 || true
	for ((i = 0; i < 100; i++)); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.1
	done
	log "postfix master $pid still running after 10s: sending SIGTERM to pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
}

stop_dovecot() {
	if ! pid_alive "$DC_MASTER_PID" dovecot; then
		log "dovecot: not running"
		return 0
	fi
	local pid i
	pid=$(read_pid "$DC_MASTER_PID")
	log "stopping dovecot (master pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.1
	done
	die "dovecot master $pid did not exit after SIGTERM"
}

# ---------------------------------------------------------------- commands

env_block() {
	cat <<EOF
EHLO_POSTFIX_MX=$HOST:$PORT_MX
EHLO_POSTFIX_SUBMISSION=$HOST:$PORT_SUBMISSION
EHLO_POSTFIX_SMTPS=$HOST:$PORT_SMTPS
EHLO_POSTFIX_MX_PLAINTEXT=$HOST:$PORT_PLAIN
EHLO_POSTFIX_CCERT=$HOST:$PORT_CCERT
EHLO_POSTFIX_CLIENT_CA=$CLIENT_CA_PEM
EHLO_POSTFIX_CLIENT_CERT=$CLIENT_PEM
EHLO_POSTFIX_CLIENT_KEY=$CLIENT_KEY
EHLO_POSTFIX_CA=$CA_PEM
EHLO_POSTFIX_USER=$TEST_USER
EHLO_POSTFIX_PASSWORD=$TEST_PASSWORD
EHLO_POSTFIX_RCPT=$TEST_USER@localhost
EHLO_POSTFIX_DOMAIN=$MAIL_DOMAIN
EHLO_POSTFIX_HOSTNAME=$MYHOSTNAME
EHLO_POSTFIX_MAILDIR=$MAILDIR
EHLO_POSTFIX_PROXYPROTO=$HOST:$PORT_PROXYPROTO
EHLO_POSTFIX_XCLIENT=$HOST:$PORT_XCLIENT
EHLO_POSTFIX_CONF=$PF_CONF
EOF
}

cmd_up() {
	need_root up
	lock
	install_packages
	id postfix >/dev/null 2>&1 || die "the postfix user is missing; is the postfix package installed correctly?"
	getent group dovecot >/dev/null || die "the dovecot group is missing; is dovecot-core installed correctly?"
	setup_user
	install -d -m 755 -o root -g root "$STATE_DIR"
	make_certs
	make_client_certs
	write_postfix_config
	write_dovecot_config
	start_dovecot
	wait_for_socket
	start_postfix
	wait_for_listeners
	env_block | write_if_changed "$ENV_FILE" 644 root:root || true
	log "up: MX $HOST:$PORT_MX, submission $HOST:$PORT_SUBMISSION, smtps $HOST:$PORT_SMTPS, client-certificate MX $HOST:$PORT_CCERT; env in $ENV_FILE"
	env_block
}

cmd_down() {
	need_root down
	lock
	if command -v postfix >/dev/null; then stop_postfix; fi
	stop_dovecot
	log "down"
}

cmd_status() {
	local up=0 total=6 line
	printf 'postfix lab (config %s)\n' "$PF_CONF"
	# The pid files are root-only: without root, judge Dovecot by its socket.
	local root=
	[[ $(id -u) -eq 0 ]] && root=1
	if pid_alive "$PF_MASTER_PID" master; then
		printf '  postfix master: running, pid %s\n' "$(read_pid "$PF_MASTER_PID")"
	elif [[ -n $root ]]; then
		printf '  postfix master: not running\n'
	else
		printf '  postfix master: pid unknown (not root)\n'
	fi
	if pid_alive "$DC_MASTER_PID" dovecot && [[ -S $AUTH_SOCKET ]]; then
		printf '  dovecot (SASL): running, pid %s, socket %s\n' "$(read_pid "$DC_MASTER_PID")" "$AUTH_SOCKET"
		up=$((up + 1))
	elif [[ -z $root && -S $AUTH_SOCKET ]]; then
		printf '  dovecot (SASL): socket %s present (pid unknown: not root)\n' "$AUTH_SOCKET"
		up=$((up + 1))
	else
		printf '  dovecot (SASL): not running\n'
	fi
	if line=$(smtp_banner "$PORT_MX") && [[ $line == 220* ]]; then
		printf '  %-11s %s:%s  up    %s\n' mx "$HOST" "$PORT_MX" "$line"
		up=$((up + 1))
	else
		printf '  %-11s %s:%s  DOWN\n' mx "$HOST" "$PORT_MX"
	fi
	if line=$(smtp_banner "$PORT_PLAIN") && [[ $line == 220* ]]; then
		printf '  %-11s %s:%s  up    %s (no STARTTLS)\n' mx-plain "$HOST" "$PORT_PLAIN" "$line"
		up=$((up + 1))
	else
		printf '  %-11s %s:%s  DOWN\n' mx-plain "$HOST" "$PORT_PLAIN"
	fi
	if line=$(smtp_banner "$PORT_SUBMISSION") && [[ $line == 220* ]]; then
		printf '  %-11s %s:%s  up    %s\n' submission "$HOST" "$PORT_SUBMISSION" "$line"
		up=$((up + 1))
	else
		printf '  %-11s %s:%s  DOWN\n' submission "$HOST" "$PORT_SUBMISSION"
	fi
	if line=$(smtp_banner "$PORT_CCERT") && [[ $line == 220* ]]; then
		printf '  %-11s %s:%s  up    %s (asks for a client certificate)\n' ccert "$HOST" "$PORT_CCERT" "$line"
		up=$((up + 1))
	else
		printf '  %-11s %s:%s  DOWN\n' ccert "$HOST" "$PORT_CCERT"
	fi
	if [[ -r $CA_PEM ]] && line=$(tls_banner "$PORT_SMTPS"); then
		printf '  %-11s %s:%s  up    %s (TLS, cert verified)\n' smtps "$HOST" "$PORT_SMTPS" "$line"
		up=$((up + 1))
	else
		printf '  %-11s %s:%s  DOWN\n' smtps "$HOST" "$PORT_SMTPS"
	fi
	printf '  CA file:   %s\n' "$CA_PEM"
	printf '  maildir:   %s (new mail in new/)\n' "$MAILDIR"
	printf '  user:      %s  password: %s\n' "$TEST_USER" "$TEST_PASSWORD"
	printf '  env file:  %s\n' "$ENV_FILE"
	printf '  logs:      %s/postfix.log %s/dovecot.log\n' "$LOG_DIR" "$LOG_DIR"
	if ((up == total)); then
		printf 'status: up\n'
		return 0
	fi
	if ((up == 0)); then printf 'status: down\n'; else printf 'status: degraded (%d of %d checks pass; "%s up" repairs)\n' "$up" "$total" "$0"; fi
	return 3
}

main() {
	(($# == 1)) || { usage; exit 2; }
	case $1 in
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	env) env_block ;;
	-h | --help | help) usage ;;
	*) usage; exit 2 ;;
	esac
}

main "$@"
