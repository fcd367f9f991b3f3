package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/wire"
)

// dnsServer serves h on a loopback UDP port until the test ends.
func dnsServer(t *testing.T, h mdns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &mdns.Server{PacketConn: pc, Handler: h}
	go s.ActivateAndServe()
	t.Cleanup(func() { s.Shutdown() })
	return pc.LocalAddr().String()
}

// hostileTXT is TXT data that would act on a terminal if printed raw: an
// OSC title, a colour, a bare CR that paints over the line, a bidi
// override, a C1 CSI and an invalid byte.
const hostileTXT = "v=spf1 \x1b]0;owned\x07\x1b[31mred\r550 no \u202eevil\u202c \u009b2J \xff -all"

func TestDNSLinesSanitized(t *testing.T) {
	addr := dnsServer(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(r)
		var txt strings.Builder
		for _, c := range []byte(hostileTXT) {
			if c < ' ' || c > '~' || c == '"' || c == '\\' {
				fmt.Fprintf(&txt, `\%03d`, c)
			} else {
				txt.WriteByte(c)
			}
		}
		m.Answer = append(m.Answer, &mdns.TXT{Hdr: mdns.RR_Header{Name: r.Question[0].Name, Rrtype: mdns.TypeTXT,
			Class: mdns.ClassINET, Ttl: 60}, Txt: []string{txt.String()}})
		m.Rcode = mdns.RcodeSuccess
		m.SetEdns0(1232, true)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &mdns.EDNS0_EDE{InfoCode: 18, ExtraText: "see \x1b[2J\u202e"})
		w.WriteMsg(m)
	})
	tr := wire.NewTranscript()
	c := &dns.Client{Server: addr, Timeout: time.Second, Observer: DNSObserver(tr)}
	a, err := c.Lookup(context.Background(), "_mta-sts.hostile.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if a.Records[0].TXT[0] != hostileTXT {
		t.Fatalf("TXT %q, want the bytes as sent", a.Records[0].TXT[0])
	}
	var out bytes.Buffer
	if err := WriteTranscript(&out, tr.Entries(), TranscriptFormat{}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "D: TXT _mta-sts.hostile.test. → NOERROR, insecure (no AD), EDE 18 (Prohibited): ") {
		t.Errorf("transcript %q: want one D: line for the TXT question", text)
	}
	for _, raw := range []string{"\x1b", "\x07", "\r", "\u202e", "\u202c", "\u009b", "\xff"} {
		if strings.Contains(text, raw) {
			t.Errorf("transcript holds %q raw: %q", raw, text)
		}
	}
	for _, shown := range []string{`\x1b]0;owned\x07`, `red\r550 no`, `\u202eevil\u202c`, `\u009b2J`, `\xff -all"`, `see \x1b[2J\u202e`} {
		if !strings.Contains(text, shown) {
			t.Errorf("transcript %q: want %q, escaped", text, shown)
		}
	}
	if strings.Count(text, "\n") != 1 {
		t.Errorf("transcript %q: want exactly one line", text)
	}
	if j := entryJSON(tr.Entries()[0]); j.Dir != "D" || strings.ContainsAny(j.Text, "\x1b\r\u202e") {
		t.Errorf("JSON entry %+v: want dir D, sanitized text", j)
	}
}

func TestDNSLine(t *testing.T) {
	sent := time.Now()
	mx := func(n int) []dns.Record {
		var rs []dns.Record
		for i := range n {
			rs = append(rs, dns.Record{Name: "many.test.", Type: dns.TypeMX, TTL: uint32(300 - i%2), Pref: uint16(i), Host: fmt.Sprintf("mx%d.many.test.", i)})
		}
		return rs
	}
	for _, c := range []struct {
		x    dns.Exchange
		want string
	}{
		{dns.Exchange{Server: "127.0.0.1:53", Name: "example.org.", Type: dns.TypeMX, Attempts: 1, Answer: &dns.Answer{
			Name: "example.org.", Type: dns.TypeMX, Authentic: true, Elapsed: 12 * time.Millisecond, Records: mx(2)}},
			"MX example.org. → NOERROR, authentic (AD), TTL 299: 0 mx0.many.test., 1 mx1.many.test. (12ms, 127.0.0.1:53)"},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "many.test.", Type: dns.TypeMX, Attempts: 2, Answer: &dns.Answer{
			Type: dns.TypeMX, Elapsed: 30 * time.Millisecond, Records: mx(500)}},
			"MX many.test. → NOERROR, insecure (no AD), TTL 299: 500 records, the first 10: 0 mx0.many.test., 1 mx1.many.test., " +
				"2 mx2.many.test., 3 mx3.many.test., 4 mx4.many.test., 5 mx5.many.test., 6 mx6.many.test., 7 mx7.many.test., " +
				"8 mx8.many.test., 9 mx9.many.test., … 490 more (30ms, 2 tries, 127.0.0.1:53)"},
		{dns.Exchange{Server: "[::1]:53", Name: "_25._tcp.mx.bogus.test.", Type: dns.TypeTLSA, Attempts: 1, Answer: &dns.Answer{
			Type: dns.TypeTLSA, Rcode: dns.RcodeServFail, Elapsed: 40 * time.Millisecond,
			EDE: []dns.ExtendedError{{Code: 6, Text: "signature expired"}}}},
			`TLSA _25._tcp.mx.bogus.test. → SERVFAIL, EDE 6 (DNSSEC Bogus): "signature expired" (40ms, [::1]:53)`},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "xn--bcher-kva.test.", Type: dns.TypeMX, Attempts: 1, Answer: &dns.Answer{
			Type: dns.TypeMX, Rcode: dns.RcodeNXDomain}},
			"MX xn--bcher-kva.test. (bücher.test.) → NXDOMAIN, insecure (no AD) (0s, 127.0.0.1:53)"},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "gone.test.", Type: dns.TypeA, Attempts: 1, Answer: &dns.Answer{
			Type: dns.TypeA, Rcode: dns.RcodeNXDomain, Authentic: true, Elapsed: time.Millisecond}},
			"A gone.test. → NXDOMAIN, authentic (AD) (1ms, 127.0.0.1:53)"},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "www.test.", Type: dns.TypeAAAA, Attempts: 1, Answer: &dns.Answer{
			Type: dns.TypeAAAA, CNAMEs: []string{"web.test.", "edge.test."}, Elapsed: 2 * time.Millisecond}},
			"AAAA www.test. → CNAME web.test. → edge.test.; NOERROR (no AAAA records), insecure (no AD) (2ms, 127.0.0.1:53)"},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "mx.test.", Type: dns.TypeTLSA, Attempts: 1, Answer: &dns.Answer{
			Type: dns.TypeTLSA, Authentic: true, Records: []dns.Record{{Type: dns.TypeTLSA, TTL: 60,
				TLSA: &dns.TLSA{Usage: 3, Selector: 1, Matching: 1, Data: []byte{0xab, 0x12}}}}}},
			"TLSA mx.test. → NOERROR, authentic (AD), TTL 60: 3 1 1 ab12 (0s, 127.0.0.1:53)"},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "a.test.", Type: dns.TypeA, Attempts: 2, Sent: sent,
			Err: &dns.Error{Server: "127.0.0.1:53", Name: "a.test.", Type: dns.TypeA, Attempts: 2, Timeout: true, After: 10 * time.Second}},
			"A a.test. → no answer: no answer from the resolver 127.0.0.1:53 within 10s (2 tries) ("},
		{dns.Exchange{Server: "127.0.0.1:53", Name: "a.test.", Type: dns.TypeA, Attempts: 1, Answer: &dns.Answer{
			Type: dns.TypeA, Records: []dns.Record{{Type: dns.TypeA, TTL: 5, Addr: netip.MustParseAddr("192.0.2.1")}}}},
			"A a.test. → NOERROR, insecure (no AD), TTL 5: 192.0.2.1 (0s, 127.0.0.1:53)"},
		{dns.Exchange{Name: "a.test.", Type: dns.TypeA, Answer: &dns.Answer{Type: dns.TypeA, Rcode: dns.RcodeNXDomain, Elapsed: 3 * time.Millisecond}},
			"A a.test. → NXDOMAIN, insecure (no AD) (3ms)"},
	} {
		got := DNSLine(c.x)
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("DNSLine =\n  %s\nwant\n  %s", got, c.want)
		}
		// the question reads back from the line (the course's dns goals)
		if qt, name, ok := DNSQuestion(got); !ok || qt != dns.TypeString(c.x.Type) || name+"." != c.x.Name {
			t.Errorf("DNSQuestion(%q) = %q %q %v", got, qt, name, ok)
		}
	}
	if _, _, ok := DNSQuestion("MX"); ok {
		t.Error("DNSQuestion read a line with no question")
	}
}

func TestDNSLineBounded(t *testing.T) {
	long := strings.Repeat("é", 5000)
	x := dns.Exchange{Server: "127.0.0.1:53", Name: "t.test.", Type: dns.TypeTXT, Attempts: 1, Answer: &dns.Answer{Type: dns.TypeTXT,
		EDE: []dns.ExtendedError{{Code: 0, Text: long}}}}
	for range 100 {
		x.Answer.Records = append(x.Answer.Records, dns.Record{Type: dns.TypeTXT, TXT: []string{long}})
	}
	got := DNSLine(x)
	if len(got) > 4000 || !strings.Contains(got, "… (10002 bytes)") || !strings.Contains(got, "… 90 more") {
		t.Errorf("a line of %d bytes for 100 TXT of 10 kB: want it bounded and saying what it cut", len(got))
	}
	if strings.ContainsRune(got, '\uFFFD') || !strings.Contains(got, "éé…") {
		t.Error("cut inside a character")
	}
	if err := errors.New("x"); DNSLine(dns.Exchange{Err: err, Type: dns.TypeA}) == "" {
		t.Error("empty line for an error")
	}
}
