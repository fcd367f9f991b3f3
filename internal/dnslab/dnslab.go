// Package dnslab is the Go side of scripts/dns-lab.sh, the DNS lab: where
// its servers are, read from the environment its env file sets
// (/var/lib/ehlo-dns-lab/env), for tests that need real DNSSEC-signed zones,
// a validating resolver, MTA-STS policy hosts and MX hosts on port 25.
// README.md, "The DNS lab", lists the zones and the verdict ehlo should
// give for each.
package dnslab

import (
	"os"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// Lab is where the DNS lab's servers are.
type Lab struct {
	Resolver string // EHLO_DNS_RESOLVER: Unbound, validating (sets AD), ADDR:PORT
	Auth     string // EHLO_DNS_AUTH: Knot, authoritative for every zone, answers not validated
	CA       string // EHLO_DNS_CA: the CA of the policy hosts' and the MX hosts' certificates
	TLSA     string // EHLO_DNS_TLSA: the DANE-EE record of the MX hosts' key, "3 1 1 <hex>"
}

// FromEnv reads the lab's variables; ok is false when the lab is not set.
func FromEnv() (lab Lab, ok bool) {
	lab = Lab{
		Resolver: os.Getenv("EHLO_DNS_RESOLVER"),
		Auth:     os.Getenv("EHLO_DNS_AUTH"),
		CA:       os.Getenv("EHLO_DNS_CA"),
		TLSA:     os.Getenv("EHLO_DNS_TLSA"),
	}
	return lab, lab.Resolver != "" && lab.Auth != "" && lab.CA != "" && len(strings.Fields(lab.TLSA)) == 4
}

// Need returns the lab, or skips t when its variables are not set.
func Need(t testing.TB) Lab {
	t.Helper()
	lab, ok := FromEnv()
	if !ok {
		testenv.Need(t, "the DNS lab (Knot + Unbound)", "sudo bash scripts/dns-lab.sh up, then load its env file: "+
			"set -a; . /var/lib/ehlo-dns-lab/env; set +a (README, The DNS lab)")
	}
	return lab
}
