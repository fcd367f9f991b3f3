#!/usr/bin/env bash
# dns-lab.sh — DNSSEC-signed test zones, a validating resolver, MTA-STS
# policy hosts and MX hosts on port 25, all on loopback, for ehlo's domain
# tests (MX routing, DANE, MTA-STS, TLS-RPT; SPF, DMARC, PTR, DNSBL).
#
# Usage (as root, on Debian 12; no systemd needed or used):
#   scripts/dns-lab.sh up       install (first time), configure, start
#   scripts/dns-lab.sh down     stop what `up` started (by pid), remove the
#                               nftables table
#   scripts/dns-lab.sh status   ask every zone through the resolver, fetch
#                               every policy, greet every MX; one line per
#                               check; exit 0 if all pass, 3 if not
#   scripts/dns-lab.sh env      print the env block (same as `up` prints)
#
# `up` prints ONLY the env block on stdout (progress goes to stderr); it is
# also in /var/lib/ehlo-dns-lab/env, plain KEY=value lines:
#   EHLO_DNS_RESOLVER=127.0.0.1:10054    Unbound, validating (AD bit)
#   EHLO_DNS_RESOLVER_53=127.0.53.53:53  the same Unbound on port 53, for
#                                        programs that read resolv.conf
#   EHLO_DNS_RESOLV_CONF=.../resolv.conf nameserver 127.0.53.53 + trust-ad
#   EHLO_DNS_AUTH=127.0.0.1:10053        Knot, authoritative for every zone
#                                        (answers are not validated)
#   EHLO_DNS_CA=/var/lib/ehlo-postfix-lab/ca.pem   signed the policy hosts'
#                                        and the MX hosts' certificates
#   EHLO_DNS_TRUST_ANCHOR=.../root.ds    the DS of the lab's root
#   EHLO_DNS_TLSA="3 1 1 <hex>"          the DANE-EE record of Postfix's key
#   EHLO_DNS_ZONES=dane-ok.test ...      every zone; and one variable per
#   EHLO_DNS_ZONE_DANE_OK=dane-ok.test   zone, named after it
#
# What runs (README, "The DNS lab", has the table of zones and verdicts):
#   - Knot DNS on 127.0.0.1:10053 serves a private root `.` and every zone,
#     pre-signed here with ldns-signzone (Ed25519: deterministic signatures,
#     so re-signing unchanged data gives the same bytes) with validity fixed
#     from 2020-01-01 to 2060-01-01, independent of today's date. The root
#     delegates each zone, with a DS record for each signed one.
#   - Unbound on 127.0.0.1:10054 and 127.0.53.53:53 forwards everything to
#     Knot and validates from one trust anchor, the root's DS.
#   - nginx serves each MTA-STS policy host on its own address in
#     127.0.54.0/24, port 443.
#   - An nftables table of its own (ip ehlo_dns_lab) DNATs port 25 of each
#     MX address in 127.0.55.0/24 to the Postfix lab: 127.0.0.1:10025
#     (STARTTLS) or 127.0.0.1:10026 (no STARTTLS). `up` starts the Postfix
#     lab when it is not up (keeping its message size limit), so its
#     certificate names the MTA-STS MX hosts.
#
# Files: /etc/ehlo-dns-lab/ (knot.conf, unbound.conf, nginx.conf),
# /var/lib/ehlo-dns-lab/ (keys, zones, certificates, policies, env),
# /run/ehlo-dns-lab/ (pid files, control sockets), /var/log/ehlo-dns-lab/.
# The daemons run as root: they listen on loopback only, for tests.
#
# Idempotent: a second `up` rewrites only what changed, reloads only the
# daemons whose files changed, and otherwise just checks. Concurrent calls
# serialize on /run/ehlo-dns-lab.lock. `down` keeps keys and certificates.
set -euo pipefail
shopt -s lastpipe # `... | write_if_changed F && CHANGED=1` sets CHANGED here

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

readonly LAB=ehlo-dns-lab
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly CONF_DIR=/etc/$LAB
readonly STATE_DIR=/var/lib/$LAB
readonly KEY_DIR=$STATE_DIR/keys
readonly ZONE_DIR=$STATE_DIR/zones
readonly TLS_DIR=$STATE_DIR/tls
readonly WWW_DIR=$STATE_DIR/www
readonly RUN_DIR=/run/$LAB
readonly LOG_DIR=/var/log/$LAB
readonly ENV_FILE=$STATE_DIR/env
readonly LOCK_FILE=/run/$LAB.lock
readonly KNOT_CONF=$CONF_DIR/knot.conf
readonly UNBOUND_CONF=$CONF_DIR/unbound.conf
readonly NGINX_CONF=$CONF_DIR/nginx.conf
readonly KNOT_PID=$RUN_DIR/knot/knot.pid
readonly UNBOUND_PID=$RUN_DIR/unbound.pid
readonly NGINX_PID=$RUN_DIR/nginx.pid
readonly ROOT_DS=$STATE_DIR/root.ds
readonly RESOLV_CONF=$STATE_DIR/resolv.conf
readonly NFT_TABLE=ehlo_dns_lab

readonly AUTH_ADDR=127.0.0.1 AUTH_PORT=10053
readonly RES_ADDR=127.0.0.1 RES_PORT=10054
readonly RES53_ADDR=127.0.53.53

# Signature validity, fixed far from today (RFC 4034 3.1.5: serial-number
# arithmetic, so both ends stay within 68 years of the clock).
readonly SIG_INCEPTION=20200101000000 SIG_EXPIRATION=20600101000000
# ... and long past, for the zone whose signatures have expired.
readonly OLD_INCEPTION=20000101000000 OLD_EXPIRATION=20010101000000

readonly PF_LAB=/var/lib/ehlo-postfix-lab
readonly PF_CONF=/etc/ehlo-postfix-lab/postfix
readonly CA_PEM=$PF_LAB/ca.pem
readonly CA_KEY=$PF_LAB/ca.key
readonly PF_CERT=$PF_LAB/server.pem
readonly PF_MX=127.0.0.1:10025
readonly PF_PLAIN=127.0.0.1:10026

readonly PACKAGES=(knot knot-dnsutils unbound nginx-light nftables ldnsutils openssl curl python3-spf)

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

usage() {
	cat >&2 <<EOF
usage: ${0##*/} up|down|status|env
  up      install if needed, sign the zones, start Knot ($AUTH_ADDR:$AUTH_PORT),
          Unbound ($RES_ADDR:$RES_PORT, $RES53_ADDR:53), nginx (127.0.54.x:443)
          and the port-25 DNAT of 127.0.55.x; prints the env block
  down    stop them (by pid) and remove the nftables table; keeps keys
  status  check every zone, policy host and MX; exit 0 if all pass, 3 if not
  env     print the env block (KEY=value lines)
EOF
}

need_root() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages, binds port 53 and 443, adds nftables rules); try: sudo $0 $*"
}

lock() {
	exec 9>"$LOCK_FILE"
	flock -w 300 9 || die "another ${0##*/} has held $LOCK_FILE for 5 minutes"
}

# pid_alive PIDFILE NAME: PIDFILE names a live process whose comm is NAME.
pid_alive() {
	local file=$1 name=$2 pid
	[[ -r $file ]] || return 1
	pid=$(tr -d ' \n' <"$file" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm ]] || return 1
	[[ $(<"/proc/$pid/comm") == "$name" ]]
}

read_pid() { tr -d ' \n' <"$1"; }

# write_if_changed FILE MODE < content: 0 when (re)written, 1 when unchanged.
write_if_changed() {
	local file=$1 mode=$2 tmp
	tmp=$(mktemp "$file.XXXXXX")
	cat >"$tmp"
	chmod "$mode" "$tmp"
	if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$file"
	return 0
}

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
	# Keep dpkg from starting Debian's own knot/unbound/nginx services: the
	# lab runs its own. Only add a policy-rc.d if none is there.
	local policy=/usr/sbin/policy-rc.d made_policy=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# temporary, from %s\nexit 101\n' "$0" >"$policy"
		chmod 755 "$policy"
		made_policy=1
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	local rc=0 apt_opts=(-q -o DPkg::Lock::Timeout=300)
	{ apt-get "${apt_opts[@]}" update >&2 &&
		apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2; } || rc=$?
	if [[ -n $made_policy ]]; then
		rm -f "$policy"
		trap - EXIT
	fi
	((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
	for p in knotd knotc kdig unbound unbound-control nginx nft ldns-signzone ldns-keygen curl; do
		command -v "$p" >/dev/null || die "$p not on PATH after installing ${missing[*]}"
	done
}

# ---------------------------------------------------------------- Postfix

# smtp_ehlo ADDR PORT: the EHLO reply of a plaintext SMTP listener, one line
# each, CR removed (QUIT sent).
smtp_ehlo() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		IFS= read -r -t 4 line <&3 || exit 1
		printf "%s\n" "${line%$'"'"'\r'"'"'}"
		printf "EHLO dns-lab.test\r\n" >&3
		while IFS= read -r -t 4 line <&3; do
			line=${line%$'"'"'\r'"'"'}
			printf "%s\n" "$line"
			[[ $line == [0-9][0-9][0-9]" "* ]] && break
		done
		printf "QUIT\r\n" >&3
	' _ "$1" "$2" 2>/dev/null
}

postfix_ok() {
	local names=(mx1.sts-enforce.test mx.sts-plaintext.test) n
	[[ -s $CA_PEM && -s $CA_KEY && -s $PF_CERT ]] || return 1
	for n in "${names[@]}"; do
		grep -q ' does match ' <<<"$(openssl x509 -in "$PF_CERT" -noout -checkhost "$n" 2>/dev/null)" || return 1
	done
	grep -q '^250[- ]STARTTLS' <<<"$(smtp_ehlo "${PF_MX%:*}" "${PF_MX#*:}")" || return 1
	local plain
	plain=$(smtp_ehlo "${PF_PLAIN%:*}" "${PF_PLAIN#*:}") || return 1
	[[ $plain == *$'\n'"250 "* ]] && ! grep -q STARTTLS <<<"$plain"
}

# ensure_postfix: the Postfix lab is up, with a certificate that names the
# MTA-STS MX hosts and the port without STARTTLS; its message size limit is
# kept as it is.
ensure_postfix() {
	if postfix_ok; then return 0; fi
	local limit=
	if [[ -f $PF_CONF/main.cf ]]; then
		limit=$(postconf -c "$PF_CONF" -h message_size_limit 2>/dev/null) || limit=
	fi
	log "starting or updating the Postfix lab (scripts/postfix-lab.sh up)"
	EHLO_POSTFIX_MESSAGE_SIZE_LIMIT=${EHLO_POSTFIX_MESSAGE_SIZE_LIMIT:-${limit:-10240000}} \
		bash "$HERE/postfix-lab.sh" up >/dev/null 9>&-
	postfix_ok || die "the Postfix lab is up but its certificate lacks the MTA-STS MX names or $PF_PLAIN does not answer without STARTTLS"
}

# spki_sha256 CERT: the SHA-256 of the certificate's public key (TLSA 3 1 1).
spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# cert_sha256 CERT: the SHA-256 of the whole certificate (TLSA x 0 1).
cert_sha256() {
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------- TLS

# The policy hosts' certificates: "good" names every policy host that must
# verify; "wrongname" is from the lab CA for a name no policy host has;
# "untrusted" has the right name but comes from a CA nobody trusts.
readonly GOOD_NAMES=(mta-sts.sts-enforce.test mta-sts.sts-mismatch.test mta-sts.sts-testing.test
	mta-sts.sts-404.test mta-sts.sts-redirect.test mta-sts.sts-huge.test mta-sts.sts-invalid.test
	mta-sts.sts-certmismatch.test mta-sts.sts-plaintext.test mta-sts.sts-hostile.test)

# leaf_ok NAME CA_PEM HOST...: TLS_DIR/NAME.pem chains to CA_PEM, stays valid
# a week, and names every HOST.
leaf_ok() {
	local name=$1 ca=$2 host
	shift 2
	[[ -s $TLS_DIR/$name.pem && -s $TLS_DIR/$name.key ]] || return 1
	openssl x509 -in "$TLS_DIR/$name.pem" -noout -checkend 604800 >/dev/null 2>&1 || return 1
	openssl verify -CAfile "$ca" "$TLS_DIR/$name.pem" >/dev/null 2>&1 || return 1
	for host; do
		grep -q ' does match ' <<<"$(openssl x509 -in "$TLS_DIR/$name.pem" -noout -checkhost "$host" 2>/dev/null)" || return 1
	done
}

# issue NAME CA_PEM CA_KEY HOST...: a server certificate for HOSTs.
issue() {
	local name=$1 ca=$2 cakey=$3 san='' host tmp
	shift 3
	for host; do san+=${san:+,}DNS:$host; done
	tmp=$(mktemp -d)
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
		-keyout "$tmp/k" -out "$tmp/csr" -subj "/O=ehlo dns lab/CN=$1" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth" "subjectAltName=$san" >"$tmp/ext"
	openssl x509 -req -in "$tmp/csr" -CA "$ca" -CAkey "$cakey" -CAcreateserial -CAserial "$tmp/srl" \
		-days 825 -sha256 -extfile "$tmp/ext" -out "$tmp/pem" 2>/dev/null
	install -m 600 "$tmp/k" "$TLS_DIR/$name.key"
	install -m 644 "$tmp/pem" "$TLS_DIR/$name.pem"
	rm -rf "$tmp"
	CHANGED_NGINX=1
}

make_certs() {
	install -d -m 755 "$TLS_DIR"
	local rogue=$TLS_DIR/untrusted-ca
	if ! [[ -s $rogue.pem && -s $rogue.key ]] || ! openssl x509 -in "$rogue.pem" -noout -checkend 604800 >/dev/null 2>&1; then
		log "generating the untrusted CA in $TLS_DIR"
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
			-keyout "$rogue.key" -out "$rogue.pem" -subj "/O=ehlo dns lab/CN=ehlo dns lab untrusted CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		chmod 600 "$rogue.key"
	fi
	leaf_ok good "$CA_PEM" "${GOOD_NAMES[@]}" || issue good "$CA_PEM" "$CA_KEY" "${GOOD_NAMES[@]}"
	leaf_ok wrongname "$CA_PEM" mta-sts.wrong-name.test || issue wrongname "$CA_PEM" "$CA_KEY" mta-sts.wrong-name.test
	leaf_ok untrusted "$rogue.pem" mta-sts.sts-badcert-untrusted.test ||
		issue untrusted "$rogue.pem" "$rogue.key" mta-sts.sts-badcert-untrusted.test
}

# ---------------------------------------------------------------- zones

# Each zone: NAME KIND, KIND one of
#   signed    signed, DS in the root
#   unsigned  delegated without DS: provably insecure
#   expired   signed with signatures that expired in 2001: bogus
#   badtlsa   signed, but the TLSA RRsets' signatures are corrupted: bogus
readonly ZONES=(
	dane-ok.test:signed
	dane-mismatch.test:signed
	dane-bogus.test:badtlsa
	dane-insecure.test:unsigned
	dane-plaintext.test:signed
	dane-unusable.test:signed
	dnssec-bogus.test:expired
	mx-null.test:signed
	mx-implicit.test:signed
	mx-cname.test:signed
	mx-dangling.test:signed
	mx-many.test:signed
	mx-loop.test:signed
	txt-hostile.test:signed
	sts-enforce.test:signed
	sts-mismatch.test:signed
	sts-testing.test:signed
	sts-404.test:signed
	sts-badcert-name.test:signed
	sts-badcert-untrusted.test:signed
	sts-redirect.test:signed
	sts-huge.test:signed
	sts-invalid.test:signed
	sts-certmismatch.test:signed
	sts-plaintext.test:signed
	sts-hostile.test:signed
	spf-pass.test:signed
	spf-fail.test:signed
	spf-softfail.test:signed
	spf-neutral.test:signed
	spf-none.test:signed
	spf-include.test:signed
	spf-macro.test:signed
	spf-permerror-lookups.test:signed
	spf-permerror-syntax.test:signed
	spf-permerror-two.test:signed
	spf-void.test:signed
	spf-loop.test:signed
	spf-split.test:signed
	dmarc-reject.test:signed
	dmarc-quarantine.test:signed
	dmarc-none.test:signed
	dmarc-pass.test:signed
	dmarc-org.test:signed
	dmarc-badtags.test:signed
	dmarc-nop.test:signed
	ptr.test:signed
	127.in-addr.arpa:signed
	dnsbl.test:unsigned
)

# MX host addresses (127.0.55.x) and where their port 25 goes. The plaintext
# ones go to the Postfix port that does not offer STARTTLS.
readonly MX_ADDRS=(
	127.0.55.1:mx1.dane-ok.test:tls
	127.0.55.2:mx2.dane-ok.test:tls
	127.0.55.3:mx.dane-mismatch.test:tls
	127.0.55.4:mx.dane-bogus.test:tls
	127.0.55.5:mx.dane-insecure.test:tls
	127.0.55.6:mx.dane-plaintext.test:plain
	127.0.55.7:mx.dane-unusable.test:tls
	127.0.55.8:mx.dnssec-bogus.test:tls
	127.0.55.9:mx-implicit.test:tls
	127.0.55.10:real.mx-cname.test:tls
	127.0.55.11:mx.mx-dangling.test:tls
	127.0.55.12:mx1.sts-enforce.test:tls
	127.0.55.13:mx2.sts-enforce.test:tls
	127.0.55.14:mx1.sts-mismatch.test:tls
	127.0.55.15:mx2.sts-mismatch.test:tls
	127.0.55.16:mx.sts-testing.test:tls
	127.0.55.17:mx.sts-404.test:tls
	127.0.55.18:mx.sts-badcert-name.test:tls
	127.0.55.19:mx.sts-badcert-untrusted.test:tls
	127.0.55.20:mx.sts-redirect.test:tls
	127.0.55.21:mx.sts-huge.test:tls
	127.0.55.22:mx.sts-invalid.test:tls
	127.0.55.23:mx.sts-certmismatch.test:tls
	127.0.55.24:mx.sts-plaintext.test:plain
	127.0.55.25:mx.sts-hostile.test:tls
	127.0.55.26:mx1.mx-many.test:tls
	127.0.55.27:mx.txt-hostile.test:tls
)

# Policy hosts: address, zone, what nginx does (policy file, 404, redirect).
readonly POLICY_HOSTS=(
	127.0.54.1:sts-enforce.test:good
	127.0.54.2:sts-mismatch.test:good
	127.0.54.3:sts-testing.test:good
	127.0.54.4:sts-404.test:good
	127.0.54.5:sts-badcert-name.test:wrongname
	127.0.54.6:sts-badcert-untrusted.test:untrusted
	127.0.54.7:sts-redirect.test:good
	127.0.54.8:sts-huge.test:good
	127.0.54.9:sts-invalid.test:good
	127.0.54.10:sts-certmismatch.test:good
	127.0.54.11:sts-plaintext.test:good
	127.0.54.12:sts-hostile.test:good
)

# addr NAME: the address of MX host NAME in MX_ADDRS.
addr() {
	local e
	for e in "${MX_ADDRS[@]}"; do
		[[ ${e#*:} == "$1":* ]] && { printf '%s' "${e%%:*}"; return 0; }
	done
	die "no address for $1"
}

# policy_addr ZONE: the address of mta-sts.ZONE.
policy_addr() {
	local e
	for e in "${POLICY_HOSTS[@]}"; do
		[[ ${e#*:} == "$1":* ]] && { printf '%s' "${e%%:*}"; return 0; }
	done
	die "no policy host for $1"
}

# sts_zone ZONE MX...: the records every MTA-STS zone has: its MX hosts
# (preference 10, 20, ...), their addresses, the policy host and the
# _mta-sts record.
sts_zone() {
	local zone=$1 pref=10 mx
	shift
	for mx; do
		printf '@ MX %d %s.\n%s. A %s\n' "$pref" "$mx" "$mx" "$(addr "$mx")"
		pref=$((pref + 10))
	done
	printf 'mta-sts A %s\n_mta-sts TXT "v=STSv1; id=20261207T000000;"\n' "$(policy_addr "$zone")"
}

# zone_body NAME: the zone's records after SOA and NS (relative names are
# under NAME). TLSA_PF is Postfix's DANE-EE record data.
zone_body() {
	local other="3 1 1 $SPKI_OTHER"
	case $1 in
	dane-ok.test)
		cat <<EOF
@ MX 10 mx1
@ MX 20 mx2
mx1 A $(addr mx1.dane-ok.test)
mx2 A $(addr mx2.dane-ok.test)
_25._tcp.mx1 TLSA $TLSA_PF
; mx2: a rollover pair. A record for another certificate first (canonical
; order: 3 0 1 sorts before 3 1 1), the one that matches second.
_25._tcp.mx2 TLSA 3 0 1 $CERT_OTHER
_25._tcp.mx2 TLSA $TLSA_PF
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@dane-ok.test"
EOF
		;;
	dane-mismatch.test)
		printf '@ MX 10 mx\nmx A %s\n_25._tcp.mx TLSA %s\n' "$(addr mx.dane-mismatch.test)" "$other" ;;
	dane-bogus.test)
		printf '@ MX 10 mx\nmx A %s\n_25._tcp.mx TLSA %s\n' "$(addr mx.dane-bogus.test)" "$TLSA_PF" ;;
	dane-insecure.test)
		printf '@ MX 10 mx\nmx A %s\n_25._tcp.mx TLSA %s\n' "$(addr mx.dane-insecure.test)" "$TLSA_PF" ;;
	dane-plaintext.test)
		printf '@ MX 10 mx\nmx A %s\n_25._tcp.mx TLSA %s\n' "$(addr mx.dane-plaintext.test)" "$TLSA_PF" ;;
	dane-unusable.test)
		# Usage 1 (PKIX-EE) is unusable for SMTP (RFC 7672 3.1.3); 4 is unassigned.
		printf '@ MX 10 mx\nmx A %s\n_25._tcp.mx TLSA 1 1 1 %s\n_25._tcp.mx TLSA 4 1 1 %s\n' \
			"$(addr mx.dane-unusable.test)" "${TLSA_PF##* }" "${TLSA_PF##* }" ;;
	dnssec-bogus.test)
		printf '@ MX 10 mx\nmx A %s\n_25._tcp.mx TLSA %s\n' "$(addr mx.dnssec-bogus.test)" "$TLSA_PF" ;;
	mx-null.test)
		printf '@ MX 0 .\n@ A 127.0.55.250\n' ;;
	mx-implicit.test)
		printf '@ A %s\n' "$(addr mx-implicit.test)" ;;
	mx-cname.test)
		printf '@ MX 10 mail\nmail CNAME real\nreal A %s\n_25._tcp.real TLSA %s\n' "$(addr real.mx-cname.test)" "$TLSA_PF" ;;
	mx-dangling.test)
		printf '@ MX 10 nowhere\n@ MX 20 mx\nmx A %s\n' "$(addr mx.mx-dangling.test)" ;;
	mx-many.test)
		# 500 MX records (about 10 kB: a UDP answer is truncated, TCP is
		# needed); only mx1 has an address.
		local i
		for i in $(seq 1 500); do printf '@ MX %d mx%d\n' "$i" "$i"; done
		printf 'mx1 A %s\n' "$(addr mx1.mx-many.test)" ;;
	mx-loop.test)
		printf '@ MX 10 a\na CNAME b\nb CNAME a\n' ;;
	txt-hostile.test)
		# ESC sequences (clear screen, set the window title), a bidi
		# override (U+202E) and a NUL, as \DDD escapes.
		printf '@ MX 10 mx\nmx A %s\n' "$(addr mx.txt-hostile.test)"
		printf '_mta-sts TXT "v=STSv1; id=\\027[2J\\226\\128\\174evil;"\n'
		printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:\\027]0;pwned\\007tlsrpt@txt-hostile.test"\n'
		printf '@ TXT "v=spf1 \\000 ip4:127.0.0.1 \\027[8m-all"\n' ;;
	sts-enforce.test)
		sts_zone "$1" mx1.sts-enforce.test mx2.sts-enforce.test
		printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@sts-enforce.test,https://tlsrpt.sts-enforce.test/v1"\n' ;;
	sts-mismatch.test) sts_zone "$1" mx1.sts-mismatch.test mx2.sts-mismatch.test ;;
	sts-*.test) sts_zone "$1" "mx.$1" ;;
	spf-pass.test) spf_zone "v=spf1 ip4:127.0.0.1 -all" ;;
	spf-fail.test) spf_zone "v=spf1 ip4:192.0.2.1 -all" ;;
	spf-softfail.test) spf_zone "v=spf1 ip4:192.0.2.1 ~all" ;;
	spf-neutral.test) spf_zone "v=spf1 ?all" ;;
	spf-none.test) spf_zone "google-site-verification=ehlo-dns-lab" ;;
	spf-include.test)
		spf_zone "v=spf1 include:_a.spf-include.test -all"
		printf '_a TXT "v=spf1 include:_b.spf-include.test -all"\n_b TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"\n' ;;
	spf-macro.test)
		# exists: with the client address reversed (%{ir}) and the sender's
		# local part (%{l}): only alice@spf-macro.test from 127.0.0.1 passes.
		spf_zone "v=spf1 exists:%{ir}.%{l}._spf.%{d} -all"
		printf '1.0.0.127.alice._spf A 127.0.0.2\n' ;;
	spf-permerror-lookups.test)
		# 11 a: mechanisms, none matching 127.0.0.1: the 11th lookup is over
		# the limit of 10 (RFC 7208 4.6.4).
		local i rec="v=spf1"
		for i in $(seq 1 11); do rec+=" a:h$i.spf-permerror-lookups.test"; done
		spf_zone "$rec -all"
		for i in $(seq 1 11); do printf 'h%d A 192.0.2.%d\n' "$i" "$i"; done ;;
	spf-permerror-syntax.test) spf_zone "v=spf1 ip4:127.0.0.1/33 -all" ;;
	spf-permerror-two.test)
		spf_zone "v=spf1 ip4:127.0.0.1 -all"
		printf '@ TXT "v=spf1 -all"\n' ;;
	spf-void.test)
		# Three names that do not exist before the match: the third void
		# lookup is over the limit of 2 (RFC 7208 4.6.4).
		spf_zone "v=spf1 a:nx1.spf-void.test a:nx2.spf-void.test a:nx3.spf-void.test ip4:127.0.0.1 -all" ;;
	spf-loop.test)
		spf_zone "v=spf1 include:_a.spf-loop.test -all"
		printf '_a TXT "v=spf1 include:spf-loop.test -all"\n' ;;
	spf-split.test)
		# One record in five strings: SPF joins them with nothing between
		# (RFC 7208 3.3), so this is "v=spf1 ip4:127.0.0.1 -all".
		printf '@ MX 10 mx\nmx A 127.0.55.30\n@ TXT "v=spf1 " "ip4:127." "0.0.1" " -a" "ll"\n' ;;
	dmarc-badtags.test)
		spf_zone "v=spf1 -all"
		printf '_dmarc TXT "v=DMARC1; p=reject; x-unknown=1; pct=100"\n' ;;
	dmarc-nop.test)
		spf_zone "v=spf1 -all"
		printf '_dmarc TXT "v=DMARC1; rua=mailto:dmarc@dmarc-nop.test"\n' ;;
	dmarc-reject.test)
		spf_zone "v=spf1 -all"
		printf '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@dmarc-reject.test"\n' ;;
	dmarc-quarantine.test)
		spf_zone "v=spf1 -all"
		printf '_dmarc TXT "v=DMARC1; p=quarantine"\n' ;;
	dmarc-none.test)
		spf_zone "v=spf1 -all"
		printf '_dmarc TXT "v=DMARC1; p=none"\n' ;;
	dmarc-pass.test)
		spf_zone "v=spf1 ip4:127.0.0.1 -all"
		printf '_dmarc TXT "v=DMARC1; p=reject"\n' ;;
	dmarc-org.test)
		# The organizational domain's record covers sub.dmarc-org.test
		# (RFC 7489 6.6.3), whose own policy is sp=.
		spf_zone "v=spf1 -all"
		printf '_dmarc TXT "v=DMARC1; p=reject; sp=quarantine"\nsub MX 10 mx\nsub TXT "v=spf1 -all"\n' ;;
	ptr.test)
		printf 'confirmed A 127.0.55.40\nunconfirmed A 127.0.55.49\n' ;;
	127.in-addr.arpa)
		cat <<EOF
; 127.0.0.1 as on every machine (Unbound's own zone for it is turned off).
1.0.0 PTR localhost.
; An MX address whose PTR is its MX name.
1.55.0 PTR mx1.dane-ok.test.
; PTR present and forward-confirmed (FCrDNS).
40.55.0 PTR confirmed.ptr.test.
; PTR present but not forward-confirmed: unconfirmed.ptr.test is 127.0.55.49.
41.55.0 PTR unconfirmed.ptr.test.
; 127.0.55.42 has no PTR.
EOF
		# 127.0.55.44 has 100 PTR records.
		local i
		for i in $(seq 1 100); do printf '44.55.0 PTR name%d.ptr.test.\n' "$i"; done
		;;
	dnsbl.test)
		cat <<EOF
; RFC 5782 5: a DNSBL lists 127.0.0.2 as its test entry and never 127.0.0.1.
2.0.0.127 A 127.0.0.2
2.0.0.127 TXT "127.0.0.2 is listed: the test entry of dnsbl.test (RFC 5782 5)"
; 127.0.55.43 listed with another code, as lists tell kinds apart.
43.55.0.127 A 127.0.0.10
43.55.0.127 TXT "127.0.55.43 is listed: dynamic address (ehlo DNS lab)"
EOF
		;;
	*) die "no records for zone $1" ;;
	esac
}

# spf_zone TXT: an MX, its address and the TXT record at the apex, split
# into strings of 200 characters at most (one may hold 255: RFC 1035 3.3;
# SPF joins them without spaces, RFC 7208 3.3).
spf_zone() {
	local txt=$1 strings=
	while ((${#txt} > 200)); do
		strings+="\"${txt:0:200}\" "
		txt=${txt:200}
	done
	printf '@ MX 10 mx\nmx A 127.0.55.30\n@ TXT %s"%s"\n' "$strings" "$txt"
}

# zone_file NAME: the zone file before signing. The serial is a checksum of
# the records, so it changes exactly when they do.
zone_file() {
	local name=$1 body serial
	body=$(zone_body "$name")
	serial=$(printf '%s' "$body" | cksum | cut -d' ' -f1)
	cat <<EOF
\$ORIGIN $name.
\$TTL 300
@ SOA ns.$name. hostmaster.$name. $serial 3600 600 86400 300
@ NS ns.$name.
ns.$name. A $AUTH_ADDR
$body
EOF
}

# key_for ZONE: the base name of the zone's Ed25519 key (one key, SEP flag:
# it signs everything), generated once.
key_for() {
	local zone=$1 base stem=$1
	[[ $zone == . ]] && stem= # the root's key is K.+015+TAG
	base=$(find "$KEY_DIR" -maxdepth 1 -name "K$stem.+015+*.private" -print -quit)
	if [[ -z $base ]]; then
		base=$(cd "$KEY_DIR" && ldns-keygen -a ED25519 -k "$zone") || die "ldns-keygen failed for $zone"
		base=$KEY_DIR/$base.private
	fi
	printf '%s' "${base%.private}"
}

# sign ZONE IN OUT [INCEPTION EXPIRATION]
sign() {
	local zone=$1 in=$2 out=$3 inc=${4:-$SIG_INCEPTION} exp=${5:-$SIG_EXPIRATION} key origin=$1.
	[[ $zone == . ]] && origin=.
	key=$(key_for "$zone")
	ldns-signzone -o "$origin" -i "$inc" -e "$exp" -f "$out" "$in" "$key" || die "ldns-signzone failed for $zone"
}

# corrupt_tlsa_sigs FILE: change one character of every TLSA RRSIG's
# signature, so the data stays as it was and the signature fails.
corrupt_tlsa_sigs() {
	sed -i -E '/\tRRSIG\tTLSA /{
		/ A[^ ]*$/{ s/ A([^ ]*)$/ B\1/; b; }
		s/ [^ ]([^ ]*)$/ A\1/
	}' "$1"
}

# build_zones: every zone file, signed as its kind says, then the root
# with a delegation for each zone and a DS for each signed one.
build_zones() {
	install -d -m 700 "$KEY_DIR"
	install -d -m 755 "$ZONE_DIR"
	local e zone kind tmp root_body=
	tmp=$(mktemp -d)
	for e in "${ZONES[@]}"; do
		zone=${e%%:*} kind=${e#*:}
		zone_file "$zone" >"$tmp/$zone.zone"
		case $kind in
		unsigned) ldns-read-zone "$tmp/$zone.zone" >"$tmp/$zone.out" || die "ldns-read-zone rejects $zone" ;;
		signed | badtlsa) sign "$zone" "$tmp/$zone.zone" "$tmp/$zone.out" ;;
		expired) sign "$zone" "$tmp/$zone.zone" "$tmp/$zone.out" "$OLD_INCEPTION" "$OLD_EXPIRATION" ;;
		esac
		[[ $kind == badtlsa ]] && corrupt_tlsa_sigs "$tmp/$zone.out"
		if write_if_changed "$ZONE_DIR/$zone.zone" 644 <"$tmp/$zone.out"; then CHANGED_ZONES=1; fi
		root_body+="$zone. NS ns.$zone."$'\n'"ns.$zone. A $AUTH_ADDR"$'\n'
		if [[ $kind != unsigned ]]; then
			root_body+=$(ldns-key2ds -n -2 "$(key_for "$zone").key")$'\n'
		fi
	done
	local serial
	serial=$(printf '%s' "$root_body" | cksum | cut -d' ' -f1)
	cat >"$tmp/root.zone" <<EOF
\$ORIGIN .
\$TTL 300
. SOA ns.root. hostmaster.root. $serial 3600 600 86400 300
. NS ns.root.
ns.root. A $AUTH_ADDR
$root_body
EOF
	sign . "$tmp/root.zone" "$tmp/root.out"
	if write_if_changed "$ZONE_DIR/root.zone" 644 <"$tmp/root.out"; then CHANGED_ZONES=1; fi
	ldns-key2ds -n -2 "$(key_for .).key" | write_if_changed "$ROOT_DS" 644 || true
	rm -rf "$tmp"
}

# ---------------------------------------------------------------- Knot

write_knot_config() {
	install -d -m 755 "$CONF_DIR" "$RUN_DIR" "$RUN_DIR/knot" "$LOG_DIR" "$STATE_DIR/knot-db"
	local e zone
	{
		cat <<EOF
# Written by scripts/dns-lab.sh (ehlo). Edits are overwritten by \`up\`.
server:
  listen: $AUTH_ADDR@$AUTH_PORT
  rundir: $RUN_DIR/knot
  identity: ehlo-dns-lab
log:
  - target: $LOG_DIR/knot.log
    any: info
database:
  storage: $STATE_DIR/knot-db
template:
  - id: default
    storage: $ZONE_DIR
    # The files are signed already: serve them as they are, never write back.
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: .
    file: root.zone
EOF
		for e in "${ZONES[@]}"; do
			zone=${e%%:*}
			printf '  - domain: %s\n    file: %s.zone\n' "$zone" "$zone"
		done
	} | if write_if_changed "$KNOT_CONF" 644; then CHANGED_KNOT=1; fi
}

start_knot() {
	if pid_alive "$KNOT_PID" knotd; then
		if [[ -n $CHANGED_KNOT ]]; then
			log "reloading knot (config changed)"
			knotc -c "$KNOT_CONF" reload >&2 9>&-
		fi
		if [[ -n $CHANGED_ZONES ]]; then
			log "reloading knot's zones (zones changed)"
			knotc -c "$KNOT_CONF" zone-reload >&2 9>&-
		fi
		return 0
	fi
	port_free "$AUTH_ADDR" "$AUTH_PORT" udp || die "$AUTH_ADDR:$AUTH_PORT is in use by something else; free it and retry"
	knotc -c "$KNOT_CONF" conf-check >&2 || die "knot rejects $KNOT_CONF"
	log "starting knot on $AUTH_ADDR:$AUTH_PORT"
	knotd -c "$KNOT_CONF" -d </dev/null >>"$LOG_DIR/knot.start.log" 2>&1 9>&- ||
		die "knotd failed to start; see $LOG_DIR/knot.log and $LOG_DIR/knot.start.log"
}

# port_free ADDR PORT tcp|udp: nothing listens there.
port_free() {
	local flag=-lnt
	[[ $3 == udp ]] && flag=-lnu
	! grep -q . <<<"$(ss -H "$flag" "src $1:$2" 2>/dev/null)"
}

# soa_serial SERVER PORT ZONE: the zone's SOA serial as SERVER says, no
# recursion, no validation.
soa_serial() {
	kdig @"$1" -p "$2" +norec +short +timeout=1 +retry=0 SOA "$3" 2>/dev/null | awk '{print $3; exit}'
}

# wait_for_knot: Knot serves every zone with the serial just written.
wait_for_knot() {
	local deadline=$((SECONDS + 20)) e zone want got pending
	while :; do
		pending=
		for e in ".:x" "${ZONES[@]}"; do
			zone=${e%%:*}
			local file=$ZONE_DIR/$zone.zone
			[[ $zone == . ]] && file=$ZONE_DIR/root.zone
			want=$(awk '$4 == "SOA" {print $7; exit}' "$file")
			got=$(soa_serial "$AUTH_ADDR" "$AUTH_PORT" "$zone")
			[[ $got == "$want" ]] || { pending=$zone; break; }
		done
		[[ -z $pending ]] && return 0
		((SECONDS < deadline)) || die "knot does not serve $pending with serial $want within 20s (it says '${got}'); see $LOG_DIR/knot.log"
		sleep 0.2
	done
}

stop_pidfile() { # PIDFILE COMM LABEL
	local file=$1 comm=$2 label=$3 pid i
	if ! pid_alive "$file" "$comm"; then
		log "$label: not running"
		return 0
	fi
	pid=$(read_pid "$file")
	log "stopping $label (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.1
	done
	die "$label (pid $pid) did not exit after SIGTERM"
}

# ---------------------------------------------------------------- Unbound

write_unbound_config() {
	if write_if_changed "$UNBOUND_CONF" 644 <<EOF; then CHANGED_UNBOUND=1; fi
# Written by scripts/dns-lab.sh (ehlo). Edits are overwritten by \`up\`.
server:
  interface: $RES_ADDR@$RES_PORT
  interface: $RES53_ADDR@53
  do-ip6: no
  num-threads: 1
  so-reuseport: no
  username: ""
  chroot: ""
  directory: "$STATE_DIR"
  pidfile: "$UNBOUND_PID"
  use-syslog: no
  logfile: "$LOG_DIR/unbound.log"
  verbosity: 1
  # Say why an answer is bogus, in the log and as Extended DNS Errors.
  val-log-level: 2
  ede: yes
  module-config: "validator iterator"
  # One trust anchor: the lab root's DS.
  trust-anchor-file: "$ROOT_DS"
  # Knot is on 127.0.0.1; and test. and 127.in-addr.arpa. are local zones
  # by default (RFC 6761, 6303) that would hide the lab's.
  do-not-query-localhost: no
  local-zone: "test." nodefault
  local-zone: "127.in-addr.arpa." nodefault
  # Records in the order the zone has them (canonical), so "record N" of a
  # TLSA RRset means the same in every answer.
  rrset-roundrobin: no
  qname-minimisation: no
  val-bogus-ttl: 5
  cache-max-negative-ttl: 60
remote-control:
  control-enable: yes
  control-interface: "$RUN_DIR/unbound.ctl"
  control-use-cert: no
forward-zone:
  name: "."
  forward-addr: $AUTH_ADDR@$AUTH_PORT
EOF
}

start_unbound() {
	if pid_alive "$UNBOUND_PID" unbound; then
		if [[ -n $CHANGED_UNBOUND$CHANGED_ZONES ]]; then
			log "reloading unbound (config or zones changed; the cache goes too)"
			unbound-control -c "$UNBOUND_CONF" reload >&2 9>&- || die "unbound-control reload failed; see $LOG_DIR/unbound.log"
		fi
		return 0
	fi
	port_free "$RES_ADDR" "$RES_PORT" udp || die "$RES_ADDR:$RES_PORT is in use by something else; free it and retry"
	port_free "$RES53_ADDR" 53 udp || die "$RES53_ADDR:53 is in use by something else; free it and retry"
	unbound-checkconf "$UNBOUND_CONF" >&2 || die "unbound rejects $UNBOUND_CONF"
	log "starting unbound on $RES_ADDR:$RES_PORT and $RES53_ADDR:53"
	unbound -c "$UNBOUND_CONF" </dev/null >>"$LOG_DIR/unbound.start.log" 2>&1 9>&- ||
		die "unbound failed to start; see $LOG_DIR/unbound.log"
}

# wait_for_unbound: the resolver validates the root's NS (AD set).
wait_for_unbound() {
	local deadline=$((SECONDS + 20))
	while :; do
		if grep -q 'Flags:.* ad;' <<<"$(kdig @"$RES_ADDR" -p "$RES_PORT" +dnssec +timeout=1 +retry=0 NS . 2>/dev/null)"; then
			return 0
		fi
		((SECONDS < deadline)) || die "unbound on $RES_ADDR:$RES_PORT does not validate NS . within 20s; see $LOG_DIR/unbound.log"
		sleep 0.2
	done
}

# ---------------------------------------------------------------- nginx

readonly HUGE_SIZE=10485760 # 10 MiB

# policy MODE MX...: an MTA-STS policy (RFC 8461 3.2).
policy() {
	local mode=$1 mx
	shift
	printf 'version: STSv1\nmode: %s\n' "$mode"
	for mx; do printf 'mx: %s\n' "$mx"; done
	printf 'max_age: 604800\n'
}

# put_policy ZONE < policy: the file the policy host of ZONE serves.
put_policy() {
	if write_if_changed "$WWW_DIR/$1/.well-known/mta-sts.txt" 644; then CHANGED_NGINX=1; fi
}

write_policies() {
	local e zone file
	for e in "${POLICY_HOSTS[@]}"; do
		zone=${e#*:} zone=${zone%%:*}
		install -d -m 755 "$WWW_DIR/$zone" "$WWW_DIR/$zone/.well-known"
	done
	policy enforce mx1.sts-enforce.test '*.sts-enforce.test' | sed 's/$/\r/' | put_policy sts-enforce.test # CRLF lines
	policy enforce mx1.sts-mismatch.test | put_policy sts-mismatch.test
	policy testing mx.elsewhere.test | put_policy sts-testing.test
	rm -f "$WWW_DIR/sts-404.test/.well-known/mta-sts.txt"
	policy enforce mx.sts-badcert-name.test | put_policy sts-badcert-name.test
	policy enforce mx.sts-badcert-untrusted.test | put_policy sts-badcert-untrusted.test
	policy enforce mx.sts-invalid.test | sed 's/^mode: enforce$/mode: enforced/' | put_policy sts-invalid.test
	policy enforce mx.sts-certmismatch.test | put_policy sts-certmismatch.test
	policy enforce mx.sts-plaintext.test | put_policy sts-plaintext.test
	# A CR inside a line (after it, "mode: none"), a pattern that is no
	# host name, and an ESC sequence.
	printf 'version: STSv1\nmode: enforce\nmx: mx.sts-hostile.test\rmode: none\nmx: not a host name!\nmx: \033[31mred.sts-hostile.test\nmax_age: 604800\n' |
		put_policy sts-hostile.test
	# A valid policy followed by extension lines (ignored by RFC 8461 3.2)
	# up to 10 MiB: only a size limit stops a reader.
	file=$WWW_DIR/sts-huge.test/.well-known/mta-sts.txt
	if [[ ! -f $file || $(stat -c %s "$file") != "$HUGE_SIZE" ]] || ! grep -q '^mx: mx.sts-huge.test$' <<<"$(head -c 200 "$file")"; then
		local pad
		pad="x-padding: $(printf '%*s' 1000 '' | tr ' ' a)"
		{ policy enforce mx.sts-huge.test; yes "$pad" || true; } | head -c "$HUGE_SIZE" >"$file.tmp"
		chmod 644 "$file.tmp"
		mv -f "$file.tmp" "$file"
	fi
}

write_nginx_config() {
	install -d -m 755 "$RUN_DIR/nginx"
	local e a zone cert loc
	{
		cat <<EOF
# Written by scripts/dns-lab.sh (ehlo). Edits are overwritten by \`up\`.
worker_processes 1;
pid $NGINX_PID;
error_log $LOG_DIR/nginx.log warn;
events { worker_connections 64; }
http {
  access_log $LOG_DIR/nginx.access.log;
  types { text/plain txt; }
  default_type text/plain;
  client_body_temp_path $RUN_DIR/nginx/body;
  proxy_temp_path $RUN_DIR/nginx/proxy;
  fastcgi_temp_path $RUN_DIR/nginx/fastcgi;
  uwsgi_temp_path $RUN_DIR/nginx/uwsgi;
  scgi_temp_path $RUN_DIR/nginx/scgi;
  server_tokens off;
  ssl_protocols TLSv1.2 TLSv1.3;
EOF
		for e in "${POLICY_HOSTS[@]}"; do
			a=${e%%:*} zone=${e#*:} cert=${zone#*:} zone=${zone%%:*}
			loc=
			[[ $zone == sts-redirect.test ]] &&
				loc="    location = /.well-known/mta-sts.txt { return 301 https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt; }"
			cat <<EOF
  server {
    listen $a:443 ssl;
    server_name mta-sts.$zone;
    ssl_certificate $TLS_DIR/$cert.pem;
    ssl_certificate_key $TLS_DIR/$cert.key;
    root $WWW_DIR/$zone;
${loc:+$loc
}  }
EOF
		done
		printf '}\n'
	} | if write_if_changed "$NGINX_CONF" 644; then CHANGED_NGINX=1; fi
}

start_nginx() {
	if pid_alive "$NGINX_PID" nginx; then
		if [[ -n $CHANGED_NGINX ]]; then
			log "reloading nginx (config, certificates or policies changed)"
			nginx -c "$NGINX_CONF" -t 2>&1 | grep -v 'syntax is ok\|test is successful' >&2 || true
			nginx -c "$NGINX_CONF" -s reload >&2 9>&-
		fi
		return 0
	fi
	nginx -c "$NGINX_CONF" -t >/dev/null 2>&1 || { nginx -c "$NGINX_CONF" -t >&2 || true; die "nginx rejects $NGINX_CONF"; }
	log "starting nginx on 127.0.54.1-${#POLICY_HOSTS[@]}:443"
	nginx -c "$NGINX_CONF" </dev/null >>"$LOG_DIR/nginx.start.log" 2>&1 9>&- ||
		die "nginx failed to start; see $LOG_DIR/nginx.log"
}

# fetch_policy ZONE [CURL ARGS]: curl the policy of ZONE at its address,
# verifying against the lab CA; prints "HTTP-CODE SIZE" or fails with
# curl's exit code.
fetch_policy() {
	local zone=$1
	shift
	curl -sS -o /dev/null -w '%{http_code} %{size_download}' --max-time 5 --max-redirs 0 \
		--cacert "$CA_PEM" --resolve "mta-sts.$zone:443:$(policy_addr "$zone")" "$@" \
		"https://mta-sts.$zone/.well-known/mta-sts.txt" 2>/dev/null
}

# wait_for_nginx: every good policy host serves what this `up` wrote (the
# huge one's size tells an old worker from a new one after a reload).
wait_for_nginx() {
	local deadline=$((SECONDS + 20)) got
	while :; do
		got=$(fetch_policy sts-huge.test) || got=
		[[ $got == "200 $HUGE_SIZE" ]] && return 0
		((SECONDS < deadline)) || die "nginx does not serve https://mta-sts.sts-huge.test/ on $(policy_addr sts-huge.test):443 within 20s (got '$got'); see $LOG_DIR/nginx.log"
		sleep 0.2
	done
}

# ---------------------------------------------------------------- nftables

nft_rules() {
	local e a host kind to
	printf 'table ip %s\ndelete table ip %s\n' "$NFT_TABLE" "$NFT_TABLE"
	printf 'table ip %s {\n  chain output {\n    type nat hook output priority -100; policy accept;\n' "$NFT_TABLE"
	for e in "${MX_ADDRS[@]}"; do
		a=${e%%:*} host=${e#*:} kind=${host#*:} host=${host%%:*}
		to=$PF_MX
		[[ $kind == plain ]] && to=$PF_PLAIN
		printf '    ip daddr %s tcp dport 25 dnat to %s comment "%s"\n' "$a" "$to" "$host"
	done
	# 127.0.55.30 is the MX of the SPF and DMARC zones.
	printf '    ip daddr 127.0.55.30 tcp dport 25 dnat to %s comment "mx.spf-*.test, mx.dmarc-*.test"\n' "$PF_MX"
	printf '  }\n}\n'
}

apply_nft() {
	nft_rules >"$RUN_DIR/nft.rules"
	nft -f "$RUN_DIR/nft.rules" || die "nft rejects $RUN_DIR/nft.rules"
}

# ---------------------------------------------------------------- env

zone_var() { local v=${1%.test}; v=${v//[.-]/_}; printf 'EHLO_DNS_ZONE_%s' "${v^^}"; }

env_block() {
	local e zone all=
	for e in "${ZONES[@]}"; do all+=${all:+ }${e%%:*}; done
	cat <<EOF
EHLO_DNS_RESOLVER=$RES_ADDR:$RES_PORT
EHLO_DNS_RESOLVER_53=$RES53_ADDR:53
EHLO_DNS_RESOLV_CONF=$RESOLV_CONF
EHLO_DNS_AUTH=$AUTH_ADDR:$AUTH_PORT
EHLO_DNS_CA=$CA_PEM
EHLO_DNS_TRUST_ANCHOR=$ROOT_DS
EHLO_DNS_TLSA="${TLSA_PF:-$(tlsa_pf)}"
EHLO_DNS_ZONES="$all"
EOF
	for e in "${ZONES[@]}"; do
		zone=${e%%:*}
		[[ $zone == *.test ]] || continue
		printf '%s=%s\n' "$(zone_var "$zone")" "$zone"
	done
	printf 'EHLO_DNS_ZONE_REVERSE=127.in-addr.arpa\n'
}

tlsa_pf() { [[ -r $PF_CERT ]] && printf '3 1 1 %s' "$(spki_sha256 "$PF_CERT")"; }

# ---------------------------------------------------------------- commands

CHANGED_ZONES='' CHANGED_KNOT='' CHANGED_UNBOUND='' CHANGED_NGINX=''
TLSA_PF='' SPKI_OTHER='' CERT_OTHER=''

cmd_up() {
	need_root up
	lock
	install_packages
	ensure_postfix
	install -d -m 755 "$CONF_DIR" "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
	make_certs
	TLSA_PF=$(tlsa_pf)
	SPKI_OTHER=$(spki_sha256 "$TLS_DIR/untrusted-ca.pem")
	CERT_OTHER=$(cert_sha256 "$TLS_DIR/untrusted-ca.pem")
	build_zones
	printf 'nameserver %s\noptions trust-ad\n' "$RES53_ADDR" | write_if_changed "$RESOLV_CONF" 644 || true
	write_knot_config
	start_knot
	wait_for_knot
	write_unbound_config
	start_unbound
	wait_for_unbound
	write_policies
	write_nginx_config
	start_nginx
	wait_for_nginx
	apply_nft
	env_block | write_if_changed "$ENV_FILE" 644 || true
	log "up: Knot $AUTH_ADDR:$AUTH_PORT, Unbound $RES_ADDR:$RES_PORT and $RES53_ADDR:53, policy hosts 127.0.54.x:443, MX hosts 127.0.55.x:25; env in $ENV_FILE"
	env_block
}

cmd_down() {
	need_root down
	lock
	stop_pidfile "$NGINX_PID" nginx nginx
	stop_pidfile "$UNBOUND_PID" unbound unbound
	stop_pidfile "$KNOT_PID" knotd knot
	if command -v nft >/dev/null && nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
		nft delete table ip "$NFT_TABLE"
		log "removed nftables table ip $NFT_TABLE"
	fi
	log "down"
}

# ---------------------------------------------------------------- status

PASS=0 FAIL=0

report() { # ok|FAIL TEXT
	if [[ $1 == ok ]]; then PASS=$((PASS + 1)); else FAIL=$((FAIL + 1)); fi
	printf '%-4s %s\n' "$1" "$2"
}

# dns_check NAME TYPE WANT [PATTERN]: ask Unbound; WANT is
#   secure    NOERROR with AD          insecure  NOERROR without AD
#   bogus     SERVFAIL (DNSSEC)        nxdomain  NXDOMAIN with AD
#   servfail  SERVFAIL (another cause)
#   nodata    NOERROR, AD, no records of TYPE
# and PATTERN (an ERE) must match the answer's records of TYPE, one per
# line as "data" (kdig +short).
dns_check() {
	local name=$1 type=$2 want=$3 pattern=${4:-} out status ad='' data got
	out=$(kdig @"$RES_ADDR" -p "$RES_PORT" +dnssec +timeout=2 +retry=1 "$name" "$type" 2>&1) || {
		report FAIL "$name $type: no answer from $RES_ADDR:$RES_PORT"
		return
	}
	status=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -1)
	grep -q '^;; Flags:.* ad;' <<<"$out" && ad=1
	data=$(awk -v t="$type" '/^;; ANSWER SECTION:/{s=1; next} /^;;/{s=0} s && $4 == t {$1=$2=$3=$4=""; sub(/^ +/, ""); print}' <<<"$out")
	got="$status${ad:+ AD}"
	case $want in
	secure) [[ $status == NOERROR && -n $ad && -n $data ]] ;;
	insecure) [[ $status == NOERROR && -z $ad && -n $data ]] ;;
	bogus | servfail) [[ $status == SERVFAIL ]] ;;
	nxdomain) [[ $status == NXDOMAIN && -n $ad ]] ;;
	nodata) [[ $status == NOERROR && -n $ad && -z $data ]] ;;
	esac && { [[ -z $pattern ]] || grep -Eq -- "$pattern" <<<"$data"; } && {
		report ok "$name $type: $want ($got)${data:+: $(tr '\n' ' ' <<<"$data" | cut -c1-90)}"
		return
	}
	report FAIL "$name $type: want $want${pattern:+ matching /$pattern/}, got $got${data:+: $(tr '\n' ' ' <<<"$data" | cut -c1-90)}"
}

# policy_check ZONE WANT: WANT "200 SIZE", "404", "301" or "cert" (the
# certificate does not verify against the lab CA).
policy_check() {
	local zone=$1 want=$2 got rc=0
	got=$(fetch_policy "$zone") || rc=$?
	case $want in
	cert) if ((rc == 60 || rc == 51)); then report ok "https://mta-sts.$zone/: certificate refused (curl exit $rc)"; return; fi ;;
	*) if ((rc == 0)) && [[ $got == "$want"* ]]; then report ok "https://mta-sts.$zone/: HTTP $got bytes"; return; fi ;;
	esac
	report FAIL "https://mta-sts.$zone/: want $want, got '${got}' (curl exit $rc)"
}

# mx_check ADDR NAME tls|plain: port 25 greets, and offers STARTTLS or not.
mx_check() {
	local a=$1 name=$2 kind=$3 out to=$PF_MX
	[[ $kind == plain ]] && to=$PF_PLAIN
	if ! out=$(smtp_ehlo "$a" 25) || [[ $out != 220* ]]; then
		report FAIL "$name $a:25: no 220 greeting (is the Postfix lab's $to up? the nftables table ip $NFT_TABLE there?)"
		return
	fi
	if [[ $kind == tls ]] && grep -q '^250[- ]STARTTLS' <<<"$out"; then
		report ok "$name $a:25: 220, STARTTLS offered"
	elif [[ $kind == plain ]] && ! grep -q STARTTLS <<<"$out" && grep -q '^250 ' <<<"$out"; then
		report ok "$name $a:25: 220, no STARTTLS"
	else
		report FAIL "$name $a:25: want $kind, EHLO said: $(tr '\n' ' ' <<<"$out" | cut -c1-100)"
	fi
}

cmd_status() {
	local tlsa
	tlsa=$(tlsa_pf) || tlsa="3 1 1 ?"
	local h=${tlsa##* }
	printf 'dns lab: Knot %s:%s, Unbound %s:%s and %s:53\n' "$AUTH_ADDR" "$AUTH_PORT" "$RES_ADDR" "$RES_PORT" "$RES53_ADDR"
	dns_check . NS secure 'ns\.root\.'
	dns_check dane-ok.test MX secure '^20 mx2\.dane-ok\.test\.$'
	dns_check _25._tcp.mx1.dane-ok.test TLSA secure "^3 1 1 ${h^^}$"
	dns_check _25._tcp.mx2.dane-ok.test TLSA secure "^3 1 1 ${h^^}$"
	dns_check _smtp._tls.dane-ok.test TXT secure 'v=TLSRPTv1'
	dns_check _25._tcp.mx.dane-mismatch.test TLSA secure '^3 1 1 '
	dns_check mx.dane-bogus.test A secure
	dns_check _25._tcp.mx.dane-bogus.test TLSA bogus
	dns_check dane-insecure.test MX insecure
	dns_check _25._tcp.mx.dane-insecure.test TLSA insecure "^3 1 1 ${h^^}$"
	dns_check _25._tcp.mx.dane-plaintext.test TLSA secure
	dns_check _25._tcp.mx.dane-unusable.test TLSA secure '^4 1 1 '
	dns_check dnssec-bogus.test MX bogus
	dns_check mx-null.test MX secure '^0 \.$'
	dns_check mx-implicit.test MX nodata
	dns_check mx-implicit.test A secure '^127\.0\.55\.9$'
	dns_check mail.mx-cname.test A secure '^127\.0\.55\.10$'
	dns_check _25._tcp.real.mx-cname.test TLSA secure
	dns_check nowhere.mx-dangling.test A nxdomain
	dns_check mx-many.test MX secure '^500 mx500\.mx-many\.test\.$'
	dns_check a.mx-loop.test A servfail
	dns_check _mta-sts.txt-hostile.test TXT secure
	dns_check _smtp._tls.txt-hostile.test TXT secure
	local e zone a
	for e in "${POLICY_HOSTS[@]}"; do
		zone=${e#*:} zone=${zone%%:*} a=${e%%:*}
		dns_check "_mta-sts.$zone" TXT secure '^"v=STSv1; id='
		dns_check "mta-sts.$zone" A secure "^${a//./\\.}$"
	done
	dns_check _smtp._tls.sts-enforce.test TXT secure 'v=TLSRPTv1'
	policy_check sts-enforce.test 200
	policy_check sts-mismatch.test 200
	policy_check sts-testing.test 200
	policy_check sts-404.test 404
	policy_check sts-badcert-name.test cert
	policy_check sts-badcert-untrusted.test cert
	policy_check sts-redirect.test 301
	policy_check sts-huge.test "200 $HUGE_SIZE"
	policy_check sts-invalid.test 200
	policy_check sts-certmismatch.test 200
	policy_check sts-plaintext.test 200
	policy_check sts-hostile.test 200
	local host kind
	for e in "${MX_ADDRS[@]}"; do
		a=${e%%:*} host=${e#*:} kind=${host#*:} host=${host%%:*}
		mx_check "$a" "$host" "$kind"
	done
	dns_check spf-pass.test TXT secure '^"v=spf1 ip4:127\.0\.0\.1 -all"$'
	dns_check spf-fail.test TXT secure '-all"$'
	dns_check spf-softfail.test TXT secure '~all"$'
	dns_check spf-neutral.test TXT secure '\?all"$'
	dns_check spf-none.test TXT secure '^"google'
	dns_check _b.spf-include.test TXT secure 'ip4:127\.0\.0\.1'
	dns_check 1.0.0.127.alice._spf.spf-macro.test A secure '^127\.0\.0\.2$'
	dns_check h11.spf-permerror-lookups.test A secure
	dns_check spf-permerror-syntax.test TXT secure '/33'
	dns_check spf-permerror-two.test TXT secure '^"v=spf1 -all"$'
	dns_check nx3.spf-void.test A nxdomain
	dns_check _dmarc.dmarc-reject.test TXT secure 'p=reject'
	dns_check _dmarc.dmarc-quarantine.test TXT secure 'p=quarantine'
	dns_check _dmarc.dmarc-none.test TXT secure 'p=none'
	dns_check _dmarc.dmarc-pass.test TXT secure 'p=reject'
	dns_check _dmarc.dmarc-org.test TXT secure 'sp=quarantine'
	dns_check _dmarc.sub.dmarc-org.test TXT nxdomain
	dns_check spf-split.test TXT secure '^"v=spf1 " "ip4:127\." "0\.0\.1" " -a" "ll"$'
	dns_check _dmarc.dmarc-nop.test TXT secure '^"v=DMARC1; rua='
	dns_check 44.55.0.127.in-addr.arpa PTR secure '^name100\.ptr\.test\.$'
	dns_check 1.0.0.127.in-addr.arpa PTR secure '^localhost\.$'
	dns_check 1.55.0.127.in-addr.arpa PTR secure '^mx1\.dane-ok\.test\.$'
	dns_check 40.55.0.127.in-addr.arpa PTR secure '^confirmed\.ptr\.test\.$'
	dns_check confirmed.ptr.test A secure '^127\.0\.55\.40$'
	dns_check 41.55.0.127.in-addr.arpa PTR secure '^unconfirmed\.ptr\.test\.$'
	dns_check unconfirmed.ptr.test A secure '^127\.0\.55\.49$'
	dns_check 42.55.0.127.in-addr.arpa PTR nxdomain
	dns_check 2.0.0.127.dnsbl.test A insecure '^127\.0\.0\.2$'
	if grep -q 'status: NXDOMAIN' <<<"$(kdig @"$RES_ADDR" -p "$RES_PORT" +timeout=2 1.0.0.127.dnsbl.test A 2>/dev/null)"; then
		report ok "1.0.0.127.dnsbl.test A: NXDOMAIN (insecure): 127.0.0.1 is not listed"
	else
		report FAIL "1.0.0.127.dnsbl.test A: want NXDOMAIN"
	fi
	if grep -q 'Flags:.* ad;' <<<"$(kdig @"$RES53_ADDR" -p 53 +dnssec +timeout=2 dane-ok.test MX 2>/dev/null)"; then
		report ok "$RES53_ADDR:53: dane-ok.test MX validated (AD)"
	else
		report FAIL "$RES53_ADDR:53: dane-ok.test MX not validated"
	fi
	if ((FAIL == 0)); then
		printf 'status: up (all %d checks pass)\n' "$PASS"
		return 0
	fi
	printf 'status: degraded (%d of %d checks fail; "%s up" repairs)\n' "$FAIL" "$((PASS + FAIL))" "$0"
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
