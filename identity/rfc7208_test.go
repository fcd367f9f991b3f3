package identity

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/dns"
)

// suite is one document of the OpenSPF project's RFC 7208 test suite
// (testdata/rfc7208-tests.json, converted from rfc7208-tests.yml, release
// 2014.04; licence in testdata/rfc7208-tests.LICENSE).
type suite struct {
	Description string
	Zonedata    map[string][]map[string]json.RawMessage
	Tests       map[string]struct {
		Spec, Helo, Host, Mailfrom string
		Result                     []string
	}
}

// rfcKnown are the suite's tests whose expected result ehlo does not give,
// with why. Each is a choice, written down.
var rfcKnown = map[string]string{
	"a-colon-domain": colonName, "a-colon-domain-ip4mapped": colonName,
	"mx-colon-domain": colonName, "mx-colon-domain-ip4mapped": colonName,
	"macro-mania-in-domain": "the expanded name holds '%' and spaces; ehlo's DNS layer (dns.ParseName) asks only host-name " +
		"characters, so the a: mechanism finds no such name and -all decides",
}

const (
	colonName = "the domain-spec foo:bar/baz.example.com holds ':' and '/'; ehlo's DNS layer (dns.ParseName) asks only " +
		"host-name characters, so the mechanism finds no such name and does not match"
)

// TestRFC7208Suite runs every test of the OpenSPF suite against CheckSPF,
// over a fake resolver holding the suite's zone data.
func TestRFC7208Suite(t *testing.T) {
	raw, err := os.ReadFile("testdata/rfc7208-tests.json")
	if err != nil {
		t.Fatal(err)
	}
	var suites []suite
	if err := json.Unmarshal(raw, &suites); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, s := range suites {
		z := zoneOf(t, s)
		for name, tc := range s.Tests {
			ran++
			t.Run(name, func(t *testing.T) {
				ip := netip.MustParseAddr(tc.Host)
				got := CheckSPF(context.Background(), z, ip, tc.Mailfrom, tc.Helo)
				if slices.Contains(tc.Result, string(got.Result)) {
					return
				}
				if why, ok := rfcKnown[name]; ok {
					t.Skipf("known difference: %s", why)
				}
				t.Errorf("%s (RFC 7208 %s): %s from %s: got %s (%s), want %v\ntrace:\n%s",
					s.Description, tc.Spec, tc.Mailfrom, tc.Host, got.Result, got.Reason, tc.Result, traceText(got))
			})
		}
	}
	if ran < 200 {
		t.Errorf("found %d tests in the suite, want its 203", ran)
	}
}

func traceText(s SPF) string {
	var b strings.Builder
	for _, st := range s.Trace {
		b.WriteString(strings.Repeat("  ", st.Depth+1) + st.Domain + " " + st.Term + " " + st.Expanded + ": " + st.Note + "\n")
	}
	return b.String()
}

// zoneOf builds the fake resolver of a suite: SPF records (type 99) are
// served as TXT where the name has no TXT of its own, as the suite asks of
// its drivers.
func zoneOf(t *testing.T, s suite) *zone {
	z := newZone()
	for name, recs := range s.Zonedata {
		txt := map[bool]bool{} // whether the name has a real TXT record; the suite's TXT "NONE" says it has none
		for _, r := range recs {
			if v, ok := r["TXT"]; ok {
				var list []string
				_ = json.Unmarshal(v, &list)
				txt[!slices.Equal(list, []string{"NONE"})] = true
			}
		}
		z.recs[key(name)] = nil // present, even with no records: NODATA, not NXDOMAIN
		for _, r := range recs {
			for typ, v := range r {
				addRecord(t, z, name, typ, v, txt[true], txt[false])
			}
		}
	}
	return z
}

func addRecord(t *testing.T, z *zone, name, typ string, v json.RawMessage, hasTXT, noTXT bool) {
	var list []string
	_ = json.Unmarshal(v, &list)
	switch typ {
	case "TXT":
		if hasTXT {
			z.txt(name, list...)
		}
	case "SPF":
		if !hasTXT && !noTXT {
			z.txt(name, list...)
		}
	case "A", "AAAA":
		z.a(name, list...)
	case "MX":
		pref, _ := strconv.Atoi(list[0])
		z.add(name, dns.Record{Type: dns.TypeMX, Pref: uint16(pref), Host: key(list[1]) + "."})
	case "PTR":
		for _, h := range list {
			z.add(name, dns.Record{Type: dns.TypePTR, Host: key(h) + "."})
		}
	case "CNAME":
		z.cname(name, list[0])
	case "TIMEOUT":
		if !hasTXT { // beside a TXT record it is for type SPF (99), which RFC 7208 3.1 retired and ehlo never asks
			z.timeout[key(name)] = true
		}
	case "CNAMELOOP":
		z.cname(name, name)
	default:
		t.Fatalf("zone data type %s", typ)
	}
}
