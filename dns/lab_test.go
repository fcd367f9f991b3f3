package dns

import (
	"bufio"
	"context"
	"encoding/hex"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// labEnvFile is where scripts/dns-lab.sh up writes its environment.
const labEnvFile = "/var/lib/ehlo-dns-lab/env"

// labEnv is the DNS lab's environment: the variables when set, else the
// file scripts/dns-lab.sh writes. It skips t when the lab is not up.
func labEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	if f, err := os.Open(labEnvFile); err == nil {
		defer f.Close()
		for sc := bufio.NewScanner(f); sc.Scan(); {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				env[k] = strings.Trim(v, `"'`)
			}
		}
	}
	for _, k := range []string{"EHLO_DNS_RESOLVER", "EHLO_DNS_TLSA"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	if env["EHLO_DNS_RESOLVER"] == "" {
		testenv.Need(t, "the DNS lab (Knot + Unbound)", "bash scripts/dns-lab.sh up")
	}
	return env
}

// TestLabValidatingResolver asks the lab's Unbound, which validates the
// lab's signed zones from their root's trust anchor, what the domain
// checks rely on: the AD bit on signed answers and authenticated denials,
// none on an unsigned zone, SERVFAIL with an Extended DNS Error on a bogus
// one, TLSA data, CNAMEs.
func TestLabValidatingResolver(t *testing.T) {
	env := labEnv(t)
	c := &Client{Server: env["EHLO_DNS_RESOLVER"], Timeout: 3 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ask := func(name string, qtype uint16) *Answer {
		t.Helper()
		a, err := c.Lookup(ctx, name, qtype)
		if err != nil {
			t.Fatalf("%s %s: %v", TypeString(qtype), name, err)
		}
		return a
	}

	mx := ask("dane-ok.test", TypeMX)
	var hosts []string
	for _, r := range mx.Records {
		hosts = append(hosts, r.String())
	}
	slices.Sort(hosts)
	if mx.Rcode != RcodeSuccess || !mx.Authentic || !slices.Equal(hosts, []string{"10 mx1.dane-ok.test.", "20 mx2.dane-ok.test."}) {
		t.Errorf("MX dane-ok.test: rcode %d, authentic %v, %v; want two MX, authentic", mx.Rcode, mx.Authentic, hosts)
	}

	tlsa := ask("_25._tcp.mx1.dane-ok.test", TypeTLSA)
	if want := env["EHLO_DNS_TLSA"]; want != "" {
		f := strings.Fields(want)
		data, _ := hex.DecodeString(f[len(f)-1])
		if len(tlsa.Records) != 1 || !tlsa.Authentic || tlsa.Records[0].TLSA == nil ||
			tlsa.Records[0].TLSA.Usage != 3 || tlsa.Records[0].TLSA.Selector != 1 || tlsa.Records[0].TLSA.Matching != 1 ||
			!slices.Equal(tlsa.Records[0].TLSA.Data, data) {
			t.Errorf("TLSA _25._tcp.mx1.dane-ok.test: %+v, want %s, authentic", tlsa, want)
		}
	}

	if a := ask("dane-insecure.test", TypeMX); a.Rcode != RcodeSuccess || a.Authentic || len(a.Records) != 1 {
		t.Errorf("MX dane-insecure.test: %+v, want one MX, not authentic (the zone is unsigned)", a)
	}

	bogus := ask("dnssec-bogus.test", TypeMX)
	if bogus.Rcode != RcodeServFail || len(bogus.Records) != 0 || len(bogus.EDE) == 0 {
		t.Errorf("MX dnssec-bogus.test: %+v, want SERVFAIL with an Extended DNS Error (its signatures expired)", bogus)
	}
	for _, e := range bogus.EDE {
		t.Logf("dnssec-bogus.test: %s", e)
	}

	if a := ask("nowhere.mx-dangling.test", TypeA); a.Rcode != RcodeNXDomain || !a.Authentic {
		t.Errorf("A nowhere.mx-dangling.test: %+v, want NXDOMAIN, authentic (a signed denial)", a)
	}
	if a := ask("mx-implicit.test", TypeMX); !a.NoData() || !a.Authentic {
		t.Errorf("MX mx-implicit.test: %+v, want NODATA, authentic", a)
	}
	if a := ask("mx-null.test", TypeMX); len(a.Records) != 1 || a.Records[0].Host != "." || a.Records[0].Pref != 0 {
		t.Errorf("MX mx-null.test: %+v, want the null MX, 0 .", a)
	}

	cname := ask("mail.mx-cname.test", TypeA)
	if !slices.Equal(cname.CNAMEs, []string{"real.mx-cname.test."}) || len(cname.Records) != 1 ||
		cname.Records[0].Addr != netip.MustParseAddr("127.0.55.10") || !cname.Authentic {
		t.Errorf("A mail.mx-cname.test: %+v, want it through real.mx-cname.test. to 127.0.55.10, authentic", cname)
	}
}
