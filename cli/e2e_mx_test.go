package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/internal/dnslab"
)

// TestTUIMXLab drives `ehlo --mx lab.test` with no other flag, at 120x40
// and 80x24: the built-in lab's DNS answers, the D: lines show, the side
// panel lists both MX hosts, the first is connected to; STARTTLS brings
// the three TLS facts (WebPKI, DANE, MTA-STS); alt+o and :mx 2 pick mx2.
func TestTUIMXLab(t *testing.T) {
	bin := ehloBinary(t)
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			tm := newTerm(t, size[0], size[1], []string{"NO_COLOR=1", "EHLO_RESOLVER="}, bin, "--mx", "lab.test")
			s := tm.waitFor(`S: 220 `)
			for _, want := range []string{"D: MX lab.test.", "MX lab.test no DNSSEC", "▸ 1 10 mx1.lab.test", "2 20 mx2.lab.test", "mx1.lab.test:"} {
				if !strings.Contains(s, want) {
					t.Errorf("%q not on screen:\n%s", want, s)
				}
			}
			tm.typeLine("EHLO e2e.test")
			tm.waitFor(`S: 250 `)
			tm.typeLine("STARTTLS")
			tm.waitFor(`TLS 1\.3`)
			tm.typeLine("EHLO e2e.test")
			facts := []string{`MTA-STS enforce; MX`, "WebPKI  ✓ valid for", "DANE    TLSA insecure"}
			if size[0] < 100 { // a narrow side panel: each fact in a few words
				facts = []string{`MTA-STS enforce ✓`, "WebPKI  ✓ valid", "DANE    off: unsigned"}
			}
			s = tm.waitFor(facts[0])
			for _, want := range facts[1:] {
				if !strings.Contains(s, want) {
					t.Errorf("%q not on screen:\n%s", want, s)
				}
			}
			tm.keys("M-o")
			s = tm.waitFor(`▸ 2 20 mx2\.lab\.test`)
			if !strings.Contains(s, "mx2.lab.test:") {
				t.Errorf("alt+o: the side panel does not name mx2:\n%s", s)
			}
			tm.waitFor(`S: 220 `)
			tm.typeLine(":mx 1")
			tm.waitFor(`▸ 1 10 mx1\.lab\.test`)
			tm.typeLine(":mx 2")
			tm.waitFor(`MX 2 of 2: mx2\.lab\.test`)
			tm.keys("C-c")
		})
	}
}

// TestTUIMXDANE explores dane-ok.test of the DNS lab through its
// validating resolver: DNSSEC ✓, and after STARTTLS DANE matched by record
// 1 though WebPKI does not trust the certificate for the MX name; the
// badge says TLS, not TLS UNVERIFIED.
func TestTUIMXDANE(t *testing.T) {
	lab := dnslab.Need(t)
	bin := ehloBinary(t)
	tm := newTerm(t, 120, 40, []string{"NO_COLOR=1"}, bin, "--mx", "--resolver", lab.Resolver, "--ca", lab.CA, "dane-ok.test")
	s := tm.waitFor(`S: 220 `)
	if !strings.Contains(s, "MX dane-ok.test DNSSEC ✓") || !strings.Contains(s, "authentic (AD)") {
		t.Errorf("no DNSSEC-validated route on screen:\n%s", s)
	}
	tm.typeLine("EHLO e2e.test")
	tm.waitFor(`S: 250 `)
	tm.typeLine("STARTTLS")
	tm.waitFor(`TLS 1\.3`)
	tm.typeLine("EHLO e2e.test")
	s = tm.waitFor(`DANE    ✓ matched by record 1`)
	if !strings.Contains(s, "WebPKI  ✗") {
		t.Errorf("WebPKI is not shown apart, untrusted for the MX name:\n%s", s)
	}
	if strings.Contains(s, "UNVERIFIED") || !strings.Contains(s, " TLS  connected") {
		t.Errorf("a DANE-matched session is not badged TLS:\n%s", s)
	}
	tm.keys("C-c")
}

// TestExplorerMXFlags: the explorer's --mx refuses what cannot apply, in
// words, before any terminal or network is touched.
func TestExplorerMXFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mx"}, "--mx needs a DOMAIN"},
		{[]string{"--mx", "--tls", "lab.test"}, "--tls does not apply with --mx"},
		{[]string{"--mx", "--servername", "x.example", "lab.test"}, "--servername does not apply with --mx"},
		{[]string{"--mx", "--lab", "mx", "lab.test"}, "with --mx, give a DOMAIN"},
		{[]string{"--mx", "bad..name"}, "is not a domain name"},
		{[]string{"--mx", "--mx-order", "sorted", "lab.test"}, "want random or stable"},
		{[]string{"--mx", "--mta-sts-port", "99999", "lab.test"}, "--mta-sts-port"},
		{[]string{"--mx", "--resolver", "not an address", "lab.test"}, "--resolver"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("ehlo %s: exit %d, %q; want %d and %q", strings.Join(c.args, " "), code, stderr, exitUsage, c.want)
		}
	}
}
