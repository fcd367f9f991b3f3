package lab_test

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ehlo-sh/ehlo/lab"
)

// ask sends one question to the lab's DNS server over net ("udp" or
// "tcp"), as a stub resolver would: RD set, and here AD and the DO bit set
// too, so that a server echoing them would be caught.
func ask(t *testing.T, l *lab.Lab, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.AuthenticatedData = true
	q.SetEdns0(1232, true)
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(q, l.DNSAddr())
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	if r.AuthenticatedData {
		t.Errorf("%s %s: AD bit set: the lab signs nothing", name, dns.TypeToString[qtype])
	}
	if r.RecursionAvailable {
		t.Errorf("%s %s: RA set: the lab does not recurse", name, dns.TypeToString[qtype])
	}
	return r
}

// rdata is each record as "TYPE DATA", without owner, TTL and class.
func rdata(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		h := rr.Header()
		out = append(out, dns.TypeToString[h.Rrtype]+" "+strings.TrimPrefix(rr.String(), h.String()))
	}
	return out
}

// mxFacts are what the zone must say, found from the running lab itself:
// the mx endpoint's address and port, and the TLSA data of the certificate
// it serves after STARTTLS, fetched over SMTP.
func mxFacts(t *testing.T, l *lab.Lab) (ip string, port int, tlsa string) {
	t.Helper()
	host, p, _ := net.SplitHostPort(addr(t, l, "mx"))
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	c.cmd("EHLO client.test")
	c.startTLS(l.CertPool(), lab.MXHosts[0])
	leaf := c.conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	port, _ = strconv.Atoi(p)
	return host, port, "3 1 1 " + hex.EncodeToString(sum[:])
}

func TestDNSRecords(t *testing.T) {
	l := start(t, lab.Config{})
	ip, mxPort, tlsa := mxFacts(t, l)
	dnsHost, _, _ := net.SplitHostPort(l.DNSAddr())
	policyHost, _, _ := net.SplitHostPort(l.PolicyAddr())
	_, submissionPort, _ := net.SplitHostPort(addr(t, l, "submission"))
	_, smtpsPort, _ := net.SplitHostPort(addr(t, l, "smtps"))
	if l.MXPort() != mxPort || l.MXEndpoint().Name != "mx" {
		t.Errorf("MXPort() = %d, MXEndpoint() %q; the mx endpoint listens on %d", l.MXPort(), l.MXEndpoint().Name, mxPort)
	}
	mxPortTLSA := "_" + strconv.Itoa(mxPort) + "._tcp.mx1.lab.test."
	tests := []struct {
		name  string
		qtype uint16
		want  []string
	}{
		{"lab.test.", dns.TypeMX, []string{"MX 10 mx1.lab.test.", "MX 20 mx2.lab.test."}},
		{"lab.test.", dns.TypeNS, []string{"NS ns.lab.test."}},
		{"lab.test.", dns.TypeSOA, []string{"SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300"}},
		{"ns.lab.test.", dns.TypeA, []string{"A " + dnsHost}},
		{"mx1.lab.test.", dns.TypeA, []string{"A " + ip}},
		{"mx2.lab.test.", dns.TypeA, []string{"A " + ip}},
		{"mail.lab.test.", dns.TypeA, []string{"A " + ip}},
		{"submission.lab.test.", dns.TypeA, []string{"A " + ip}},
		{"_25._tcp.mx1.lab.test.", dns.TypeTLSA, []string{"TLSA " + tlsa}},
		{"_25._tcp.mx2.lab.test.", dns.TypeTLSA, []string{"TLSA " + tlsa}},
		{mxPortTLSA, dns.TypeTLSA, []string{"TLSA " + tlsa}},
		{"_mta-sts.lab.test.", dns.TypeTXT, []string{`TXT "v=STSv1; id=`}}, // the id: TestDNSSTSID
		{"mta-sts.lab.test.", dns.TypeA, []string{"A " + policyHost}},
		{"_ports.lab.test.", dns.TypeTXT, []string{`TXT "mx=` + strconv.Itoa(mxPort) + ` mta-sts=` + strconv.Itoa(l.PolicyPort()) + `"`}},
		{"_smtp._tls.lab.test.", dns.TypeTXT, []string{`TXT "v=TLSRPTv1; rua=mailto:tlsrpt@lab.test"`}},
		{"lab.test.", dns.TypeTXT, []string{`TXT "v=spf1 ip4:127.0.0.1 ip6:::1 -all"`}},
		{"_dmarc.lab.test.", dns.TypeTXT, []string{`TXT "v=DMARC1; p=none; rua=mailto:dmarc@lab.test"`}},
		{"forged.test.", dns.TypeTXT, []string{`TXT "v=spf1 ip4:192.0.2.0/24 -all"`}},
		{"_dmarc.forged.test.", dns.TypeTXT, []string{`TXT "v=DMARC1; p=reject"`}},
		{"forged.test.", dns.TypeSOA, []string{"SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300"}},
		{"_submission._tcp.lab.test.", dns.TypeSRV, []string{"SRV 0 1 " + submissionPort + " submission.lab.test."}},
		{"_submissions._tcp.lab.test.", dns.TypeSRV, []string{"SRV 0 1 " + smtpsPort + " smtps.lab.test."}},
		{"nullmx.lab.test.", dns.TypeMX, []string{"MX 0 ."}},
		{"dangling.lab.test.", dns.TypeMX, []string{"MX 10 nowhere.lab.test."}},
		{"implicit.lab.test.", dns.TypeA, []string{"A " + ip}},
		{"cname.lab.test.", dns.TypeMX, []string{"MX 10 mxalias.lab.test."}},
		{"mxalias.lab.test.", dns.TypeA, []string{"CNAME mx1.lab.test.", "A " + ip}},
		{"MX1.Lab.TEST.", dns.TypeA, []string{"A " + ip}}, // names are case-insensitive (RFC 4343)
	}
	for _, tt := range tests {
		r := ask(t, l, "udp", tt.name, tt.qtype)
		got := rdata(r.Answer)
		what := tt.name + " " + dns.TypeToString[tt.qtype]
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
			t.Errorf("%s: rcode %s, AA %v", what, dns.RcodeToString[r.Rcode], r.Authoritative)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s = %q, want %q", what, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] && !(strings.HasSuffix(tt.want[i], "id=") && strings.HasPrefix(got[i], tt.want[i])) {
				t.Errorf("%s = %q, want %q", what, got, tt.want)
			}
		}
	}
}

func TestDNSSTSID(t *testing.T) {
	l := start(t, lab.Config{})
	txt := ask(t, l, "udp", "_mta-sts.lab.test.", dns.TypeTXT).Answer[0].(*dns.TXT).Txt
	id, ok := strings.CutPrefix(strings.Join(txt, ""), "v=STSv1; id=")
	// RFC 8461 section 3.1: 1 to 32 letters and digits.
	if !ok || len(id) == 0 || len(id) > 32 || strings.IndexFunc(id, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) >= 0 {
		t.Errorf("_mta-sts TXT %q", txt)
	}
}

// TestDNSNegative: a name that does not exist is NXDOMAIN, a name without
// records of the type NODATA, both with the zone's SOA for negative caching
// (RFC 2308).
func TestDNSNegative(t *testing.T) {
	l := start(t, lab.Config{})
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		soa   string
	}{
		{"nowhere.lab.test.", dns.TypeA, dns.RcodeNameError, "lab.test."},
		{"nowhere.lab.test.", dns.TypeAAAA, dns.RcodeNameError, "lab.test."},
		{"_25._tcp.implicit.lab.test.", dns.TypeTLSA, dns.RcodeNameError, "lab.test."},
		{"nobody.forged.test.", dns.TypeMX, dns.RcodeNameError, "forged.test."},
		{"mx1.lab.test.", dns.TypeAAAA, dns.RcodeSuccess, "lab.test."},    // the lab listens on 127.0.0.1 only
		{"implicit.lab.test.", dns.TypeMX, dns.RcodeSuccess, "lab.test."}, // no MX: the implicit MX
		{"forged.test.", dns.TypeMX, dns.RcodeSuccess, "forged.test."},
		{"_tcp.mx1.lab.test.", dns.TypeTXT, dns.RcodeSuccess, "lab.test."}, // an empty non-terminal exists
		{"mxalias.lab.test.", dns.TypeTXT, dns.RcodeSuccess, "lab.test."},
	}
	for _, tt := range tests {
		r := ask(t, l, "udp", tt.name, tt.qtype)
		what := tt.name + " " + dns.TypeToString[tt.qtype]
		if r.Rcode != tt.rcode || !r.Authoritative {
			t.Errorf("%s: rcode %s AA %v, want %s", what, dns.RcodeToString[r.Rcode], r.Authoritative, dns.RcodeToString[tt.rcode])
		}
		var answer []dns.RR // a CNAME may come first; nothing of the asked type
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == tt.qtype {
				answer = append(answer, rr)
			}
		}
		if len(answer) != 0 {
			t.Errorf("%s: answer %q", what, rdata(answer))
		}
		if len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA || r.Ns[0].Header().Name != tt.soa {
			t.Errorf("%s: authority %v, want the SOA of %s", what, r.Ns, tt.soa)
		}
	}
}

// TestDNSRefused: the lab answers for its own zones only.
func TestDNSRefused(t *testing.T) {
	l := start(t, lab.Config{})
	for _, name := range []string{"example.org.", ".", "test.", "xlab.test.", "lab.test.example.org.", "notforged.test."} {
		r := ask(t, l, "udp", name, dns.TypeA)
		if r.Rcode != dns.RcodeRefused || r.Authoritative || len(r.Answer)+len(r.Ns) != 0 {
			t.Errorf("%s: rcode %s AA %v answer %v authority %v, want a bare REFUSED", name,
				dns.RcodeToString[r.Rcode], r.Authoritative, r.Answer, r.Ns)
		}
	}
	q := new(dns.Msg)
	q.SetQuestion("lab.test.", dns.TypeTXT)
	q.Question[0].Qclass = dns.ClassCHAOS
	r, err := dns.Exchange(q, l.DNSAddr())
	if err != nil || r.Rcode != dns.RcodeRefused {
		t.Errorf("CH TXT lab.test: %v %v", r, err)
	}
}

// TestDNSTCP: the same answers over TCP, several queries on one connection.
func TestDNSTCP(t *testing.T) {
	l := start(t, lab.Config{})
	udp := rdata(ask(t, l, "udp", "lab.test.", dns.TypeMX).Answer)
	if tcp := rdata(ask(t, l, "tcp", "lab.test.", dns.TypeMX).Answer); !slices.Equal(tcp, udp) {
		t.Errorf("MX over TCP %q, over UDP %q", tcp, udp)
	}
	conn, err := dns.Dial("tcp", l.DNSAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	for _, name := range []string{"mx1.lab.test.", "mx2.lab.test.", "mta-sts.lab.test."} {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeA)
		if err := conn.WriteMsg(q); err != nil {
			t.Fatal(err)
		}
		r, err := conn.ReadMsg()
		if err != nil || r.Id != q.Id || len(r.Answer) != 1 || r.AuthenticatedData {
			t.Fatalf("%s on a reused connection: %v %v", name, r, err)
		}
	}
}

// TestDNSv6: a lab on ::1 gives its names AAAA records and no A.
func TestDNSv6(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	l := start(t, lab.Config{Host: "::1"})
	if !strings.HasPrefix(l.DNSAddr(), "[::1]:") || !strings.HasPrefix(l.PolicyAddr(), "[::1]:") {
		t.Errorf("DNS on %s, MTA-STS on %s, want ::1", l.DNSAddr(), l.PolicyAddr())
	}
	for _, name := range []string{"mx1.lab.test.", "mta-sts.lab.test.", "ns.lab.test."} {
		if got := rdata(ask(t, l, "udp", name, dns.TypeAAAA).Answer); !slices.Equal(got, []string{"AAAA ::1"}) {
			t.Errorf("%s AAAA = %q", name, got)
		}
		if got := ask(t, l, "udp", name, dns.TypeA).Answer; len(got) != 0 {
			t.Errorf("%s A = %v", name, got)
		}
	}
}

// TestDNSPortBusy: a DNS port taken in UDP fails Start, naming the DNS
// server, and leaves nothing listening.
func TestDNSPortBusy(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.LocalAddr().(*net.UDPAddr).Port
	l, err := lab.Start(lab.Config{Ports: lab.Ports{DNS: port}})
	if err == nil {
		l.Close()
		t.Fatal("Start succeeded on a busy DNS port")
	}
	if !strings.Contains(err.Error(), "dns") {
		t.Errorf("error %q does not name the DNS server", err)
	}
	if conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
		conn.Close()
		t.Errorf("TCP port %d still accepts after the failed Start", port)
	}
	noServerGoroutines(t)
}

// TestDNSClose: after Close the DNS server answers no more.
func TestDNSClose(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := dns.Dial("tcp", l.DNSAddr()) // an idle TCP connection is cut too
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	q := new(dns.Msg)
	q.SetQuestion("lab.test.", dns.TypeMX)
	if r, _, err := c.Exchange(q, l.DNSAddr()); err == nil {
		t.Errorf("DNS answered after Close: %v", r)
	}
	noServerGoroutines(t)
}

func TestServes(t *testing.T) {
	l := start(t, lab.Config{})
	for name, want := range map[string]bool{
		"lab.test": true, "LAB.TEST.": true, "mx1.lab.test": true, "nullmx.lab.test": true, "forged.test": true,
		"x.forged.test.": true, "test": false, "xlab.test": false, "lab.test.example.org": false, "example.org": false, "": false,
	} {
		if got := lab.Serves(name); got != want {
			t.Errorf("Serves(%q) = %v, want %v", name, got, want)
		}
		// Serves agrees with the server itself.
		if name != "" {
			refused := ask(t, l, "udp", dns.Fqdn(name), dns.TypeA).Rcode == dns.RcodeRefused
			if refused == want {
				t.Errorf("%q: Serves %v, the server refused: %v", name, want, refused)
			}
		}
	}
}

// TestDNSNotify: the lab takes no zone transfers' notifications nor
// updates: NOTIMP, as for any opcode but QUERY.
func TestDNSNotify(t *testing.T) {
	l := start(t, lab.Config{})
	for _, m := range []*dns.Msg{new(dns.Msg).SetNotify("lab.test."), new(dns.Msg).SetUpdate("lab.test.")} {
		r, err := dns.Exchange(m, l.DNSAddr())
		if err != nil || r.Rcode != dns.RcodeNotImplemented {
			t.Errorf("opcode %s: %v %v", dns.OpcodeToString[m.Opcode], r, err)
		}
	}
}

// TestDNSGarbage: packets that are not DNS messages, and a TCP length
// prefix promising more than comes, leave the server answering.
func TestDNSGarbage(t *testing.T) {
	l := start(t, lab.Config{})
	udp, err := net.Dial("udp", l.DNSAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, junk := range []string{"", "x", "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03lab", strings.Repeat("\xff", 600)} {
		udp.Write([]byte(junk))
	}
	tcp, err := net.Dial("tcp", l.DNSAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	tcp.Write([]byte("\xff\xff\x12\x34")) // 65535 bytes promised, 2 sent
	for _, network := range []string{"udp", "tcp"} {
		if r := ask(t, l, network, "lab.test.", dns.TypeMX); len(r.Answer) != 2 {
			t.Errorf("after garbage, MX over %s: %v", network, r)
		}
	}
}
