package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// client returns a Client for f that keeps every exchange it observes.
func client(f *fake, timeout time.Duration) (*Client, func() []Exchange) {
	var (
		mu  sync.Mutex
		got []Exchange
	)
	c := &Client{Server: f.addr, Timeout: timeout, Observer: func(x Exchange) {
		mu.Lock()
		got = append(got, x)
		mu.Unlock()
	}}
	return c, func() []Exchange {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

func lookup(t *testing.T, c *Client, name string, qtype uint16) *Answer {
	t.Helper()
	a, err := c.Lookup(context.Background(), name, qtype)
	if err != nil {
		t.Fatalf("Lookup(%s %s): %v", TypeString(qtype), name, err)
	}
	return a
}

func TestAuthenticDataBit(t *testing.T) {
	for _, ad := range []bool{true, false} {
		f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
			m := reply(r)
			m.AuthenticatedData = ad
			m.Answer = append(m.Answer, rr(t, "signed.test. 300 IN MX 10 mx.signed.test."))
			w.WriteMsg(m)
		})
		c, _ := client(f, time.Second)
		a := lookup(t, c, "signed.test", TypeMX)
		if a.Authentic != ad {
			t.Errorf("AD %v in the reply: Authentic = %v", ad, a.Authentic)
		}
		if len(a.Records) != 1 || a.Records[0].Pref != 10 || a.Records[0].Host != "mx.signed.test." || a.Records[0].TTL != 300 {
			t.Errorf("records = %+v, want MX 10 mx.signed.test. with TTL 300", a.Records)
		}
		q := f.queries()[0].msg
		opt := q.IsEdns0()
		if opt == nil || !opt.Do() || opt.UDPSize() != 1232 || !q.RecursionDesired {
			t.Errorf("query: want RD, EDNS0 with DO and a 1232-byte buffer; got %v", q)
		}
	}
}

func TestTruncatedAnswerRetriedOverTCP(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		if !isTCP(w) {
			m.Truncated = true
			w.WriteMsg(m)
			return
		}
		for i := 1; i <= 3; i++ {
			m.Answer = append(m.Answer, rr(t, fmt.Sprintf("big.test. 60 IN A 192.0.2.%d", i)))
		}
		w.WriteMsg(m)
	})
	c, seen := client(f, time.Second)
	a := lookup(t, c, "big.test.", TypeA)
	if len(a.Records) != 3 || a.Records[2].Addr != netip.MustParseAddr("192.0.2.3") {
		t.Errorf("records = %+v, want the three A records of the TCP answer", a.Records)
	}
	q := f.queries()
	if len(q) != 2 || q[0].network != "udp" || q[1].network != "tcp" {
		t.Errorf("server saw %v, want one UDP query then one TCP query", q)
	}
	if x := seen(); len(x) != 1 || x[0].Attempts != 2 {
		t.Errorf("observed %+v, want one exchange of 2 attempts", x)
	}
}

func TestReplyWithAnotherIDIsIgnored(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		spoof := reply(r)
		spoof.Id = r.Id + 1
		spoof.Answer = append(spoof.Answer, rr(t, "bank.test. 60 IN A 203.0.113.66"))
		w.WriteMsg(spoof)
		m := reply(r)
		m.Answer = append(m.Answer, rr(t, "bank.test. 60 IN A 192.0.2.1"))
		w.WriteMsg(m)
	})
	c, _ := client(f, time.Second)
	a := lookup(t, c, "bank.test", TypeA)
	if len(a.Records) != 1 || a.Records[0].Addr != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("records = %+v, want only 192.0.2.1 from the reply with the query's ID", a.Records)
	}
}

func TestUnreadableReplyIsIgnored(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		b, _ := reply(r).Pack()
		w.Write(append(b[:12:12], 0xc0, 0xff)) // the right ID, then a broken question
		m := reply(r)
		m.Answer = append(m.Answer, rr(t, "ok.test. 60 IN A 192.0.2.7"))
		w.WriteMsg(m)
	})
	c, _ := client(f, time.Second)
	if a := lookup(t, c, "ok.test", TypeA); len(a.Records) != 1 {
		t.Errorf("records = %+v, want the A record of the readable reply", a.Records)
	}
}

func TestReplyToAnotherQuestionOnly(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Question[0].Name = "evil.test."
		m.Answer = append(m.Answer, rr(t, "evil.test. 60 IN A 203.0.113.66"))
		w.WriteMsg(m)
	})
	c, seen := client(f, 150*time.Millisecond)
	start := time.Now()
	_, err := c.Lookup(context.Background(), "good.test", TypeA)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: want two attempts of 150ms", took)
	}
	if !errors.Is(err, ErrMismatch) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want a timeout after ignoring a reply to another question", err)
	}
	if !strings.Contains(err.Error(), "answered A evil.test., not A good.test.") {
		t.Errorf("err = %q: want it to say which question the reply answered", err)
	}
	if x := seen(); len(x) != 1 || x[0].Err == nil || x[0].Answer != nil {
		t.Errorf("observed %+v, want one failed exchange", x)
	}
}

func TestSilentResolverTimesOut(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {})
	c, seen := client(f, 100*time.Millisecond)
	start := time.Now()
	_, err := c.Lookup(context.Background(), "quiet.test", TypeMX)
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("took %v: want two attempts of 100ms", took)
	}
	var e *Error
	if !errors.As(err, &e) || !e.Timeout || e.Attempts != 2 || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %#v, want a timeout after 2 attempts", err)
	}
	if !strings.Contains(err.Error(), "no answer from the resolver "+f.addr) {
		t.Errorf("err = %q: want it to name the resolver", err)
	}
	if n := len(f.queries()); n != 2 {
		t.Errorf("server saw %d queries, want 2 (one retry)", n)
	}
	if x := seen(); len(x) != 1 || x[0].Attempts != 2 {
		t.Errorf("observed %+v", x)
	}
}

func TestContextDeadlineBoundsTheWait(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {})
	c, _ := client(f, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Lookup(ctx, "quiet.test", TypeA)
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v: the context allowed 150ms", took)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want a timeout", err)
	}
}

func TestNothingListening(t *testing.T) {
	pc, _ := listenPair(t)
	addr := pc.LocalAddr().String()
	pc.Close()
	c := &Client{Server: addr, Timeout: 3 * time.Second}
	start := time.Now()
	_, err := c.Lookup(context.Background(), "x.test", TypeA)
	if err == nil || errors.Is(err, ErrTimeout) || time.Since(start) > 2*time.Second {
		t.Errorf("err = %v after %v: want a prompt refusal, not a timeout", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "read udp") {
		t.Errorf("err = %q: want words, not the socket's", err)
	}
}

func TestServFailWithExtendedError(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Rcode = mdns.RcodeServerFailure
		m.SetEdns0(1232, true)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &mdns.EDNS0_EDE{InfoCode: mdns.ExtendedErrorCodeDNSBogus, ExtraText: "signature expired for bogus.test."})
		w.WriteMsg(m)
	})
	c, _ := client(f, time.Second)
	a := lookup(t, c, "bogus.test", TypeTLSA)
	if a.Rcode != RcodeServFail || a.Authentic || a.NoData() {
		t.Errorf("answer = %+v, want SERVFAIL, not authentic, not NODATA", a)
	}
	want := []ExtendedError{{Code: 6, Text: "signature expired for bogus.test."}}
	if !slices.Equal(a.EDE, want) {
		t.Errorf("EDE = %+v, want %+v", a.EDE, want)
	}
}

func TestNXDomainAndNoData(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		if strings.HasPrefix(r.Question[0].Name, "gone.") {
			m.Rcode = mdns.RcodeNameError
		}
		m.Ns = append(m.Ns, soa(t, "test."))
		w.WriteMsg(m)
	})
	c, _ := client(f, time.Second)
	gone := lookup(t, c, "gone.test", TypeMX)
	if gone.Rcode != RcodeNXDomain || gone.NoData() {
		t.Errorf("gone.test: %+v, want NXDOMAIN, not NODATA", gone)
	}
	empty := lookup(t, c, "empty.test", TypeMX)
	if empty.Rcode != RcodeSuccess || !empty.NoData() {
		t.Errorf("empty.test: %+v, want NOERROR without records (NODATA)", empty)
	}
}

func TestCNAMEChainInTheAnswer(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.AuthenticatedData = true
		m.Answer = append(m.Answer,
			rr(t, "www.test. 300 IN CNAME web.test."),
			rr(t, "web.test. 300 IN CNAME Edge.CDN.test."),
			rr(t, "www.test. 300 IN A 203.0.113.66"), // at the alias, not the canonical name: not taken
			rr(t, "edge.cdn.test. 60 IN A 192.0.2.80"))
		w.WriteMsg(m)
	})
	c, seen := client(f, time.Second)
	a := lookup(t, c, "www.test", TypeA)
	if !slices.Equal(a.CNAMEs, []string{"web.test.", "Edge.CDN.test."}) || a.Canonical != "Edge.CDN.test." {
		t.Errorf("CNAMEs %v, canonical %q", a.CNAMEs, a.Canonical)
	}
	if len(a.Records) != 1 || a.Records[0].Addr != netip.MustParseAddr("192.0.2.80") || !a.Authentic {
		t.Errorf("records %+v authentic %v, want the one A at the chain's end", a.Records, a.Authentic)
	}
	if n := len(seen()); n != 1 {
		t.Errorf("%d exchanges, want 1: the resolver followed the chain", n)
	}
}

func TestCNAMEChasedWhenTheResolverDidNot(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		switch r.Question[0].Name {
		case "mail.test.":
			m.AuthenticatedData = true
			m.Answer = append(m.Answer, rr(t, "mail.test. 300 IN CNAME mx.other.test."))
		case "mx.other.test.":
			m.Answer = append(m.Answer, rr(t, "mx.other.test. 300 IN A 192.0.2.25"))
		}
		w.WriteMsg(m)
	})
	c, seen := client(f, time.Second)
	a := lookup(t, c, "mail.test", TypeA)
	if a.Name != "mail.test." || a.Canonical != "mx.other.test." || len(a.Records) != 1 {
		t.Errorf("answer %+v, want mail.test. through mx.other.test. to one A", a)
	}
	if a.Authentic {
		t.Error("authentic, though the second answer had no AD bit")
	}
	if x := seen(); len(x) != 2 || x[1].Name != "mx.other.test." {
		t.Errorf("observed %+v, want the alias then its target asked", x)
	}
}

func TestCNAMENoDataNotRequeried(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Answer = append(m.Answer, rr(t, "alias.test. 300 IN CNAME target.test."))
		m.Ns = append(m.Ns, soa(t, "test."))
		w.WriteMsg(m)
	})
	c, seen := client(f, time.Second)
	a := lookup(t, c, "alias.test", TypeTLSA)
	if !a.NoData() || a.Canonical != "target.test." || len(seen()) != 1 {
		t.Errorf("answer %+v after %d exchanges, want NODATA at target.test. in one", a, len(seen()))
	}
}

func TestCNAMELoops(t *testing.T) {
	inAnswer := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Answer = append(m.Answer, rr(t, "a.test. 60 IN CNAME b.test."), rr(t, "b.test. 60 IN CNAME A.test."))
		w.WriteMsg(m)
	})
	acrossQueries := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		next := map[string]string{"a.test.": "b.test.", "b.test.": "a.test."}[r.Question[0].Name]
		m.Answer = append(m.Answer, rr(t, r.Question[0].Name+" 60 IN CNAME "+next))
		w.WriteMsg(m)
	})
	for name, f := range map[string]*fake{"in one answer": inAnswer, "across queries": acrossQueries} {
		c, _ := client(f, time.Second)
		_, err := c.Lookup(context.Background(), "a.test", TypeA)
		if !errors.Is(err, ErrCNAMELoop) || !strings.Contains(err.Error(), "A a.test: ") || !strings.Contains(err.Error(), "a.test → b.test → ") {
			t.Errorf("%s: err = %v, want a CNAME loop through a.test and b.test, said without final dots", name, err)
		}
		if n := len(f.queries()); n > 2 {
			t.Errorf("%s: %d queries, want at most 2", name, n)
		}
	}
}

func TestCNAMEChainTooLong(t *testing.T) {
	long := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		for i := range MaxCNAMEs + 1 {
			m.Answer = append(m.Answer, rr(t, fmt.Sprintf("c%d.test. 60 IN CNAME c%d.test.", i, i+1)))
		}
		w.WriteMsg(m)
	})
	endless := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Answer = append(m.Answer, rr(t, r.Question[0].Name+" 60 IN CNAME x"+r.Question[0].Name))
		w.WriteMsg(m)
	})
	for name, f := range map[string]*fake{"in one answer": long, "across queries": endless} {
		c, _ := client(f, time.Second)
		_, err := c.Lookup(context.Background(), "c0.test", TypeA)
		if !errors.Is(err, ErrCNAMEChain) {
			t.Errorf("%s: err = %v, want a chain too long", name, err)
		}
		if n := len(f.queries()); n > MaxCNAMEs+1 {
			t.Errorf("%s: %d queries, want at most %d", name, n, MaxCNAMEs+1)
		}
	}
}

func TestFiveHundredMX(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		for i := range 500 {
			m.Answer = append(m.Answer, rr(t, fmt.Sprintf("many.test. 60 IN MX %d mx%d.many.test.", i, i)))
		}
		m.Compress = true
		if !isTCP(w) {
			m.Truncate(1232)
		}
		w.WriteMsg(m)
	})
	c, _ := client(f, 2*time.Second)
	a := lookup(t, c, "many.test", TypeMX)
	if len(a.Records) != 500 || a.Records[499].Host != "mx499.many.test." {
		t.Errorf("%d records, want all 500 of the TCP answer", len(a.Records))
	}
}

func TestTXTBytesAsSent(t *testing.T) {
	raw := "v=spf1 \x1b]0;pwned\x07 \u202eevil \"q\" \\ \xff -all"
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Answer = append(m.Answer, &mdns.TXT{Hdr: mdns.RR_Header{Name: "txt.test.", Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 60},
			Txt: []string{"x", escapeForTest(raw)}})
		w.WriteMsg(m)
	})
	c, _ := client(f, time.Second)
	a := lookup(t, c, "txt.test", TypeTXT)
	if len(a.Records) != 1 || !slices.Equal(a.Records[0].TXT, []string{"x", raw}) {
		t.Errorf("TXT = %q, want %q: the bytes as sent", a.Records[0].TXT, []string{"x", raw})
	}
}

// escapeForTest writes s in the presentation form miekg/dns packs from.
func escapeForTest(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteString(`\` + string(c))
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestInternationalNameAskedInALabels(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := reply(r)
		m.Ns = append(m.Ns, soa(t, "test."))
		w.WriteMsg(m)
	})
	c, _ := client(f, time.Second)
	a := lookup(t, c, "Bücher.test", TypeMX)
	if got := f.queries()[0].q.Name; got != "xn--bcher-kva.test." || a.Name != got {
		t.Errorf("asked %q, answer for %q: want xn--bcher-kva.test.", got, a.Name)
	}
	if _, err := c.Lookup(context.Background(), "bad name.test", TypeMX); !errors.Is(err, ErrName) {
		t.Errorf("a name with a space: err = %v, want ErrName", err)
	}
}

func TestFloodOfWrongRepliesEndsTheWait(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		for i := range 2 * maxIgnored {
			m := reply(r)
			m.Id = r.Id ^ uint16(i+1)
			w.WriteMsg(m)
		}
	})
	c, _ := client(f, 5*time.Second)
	start := time.Now()
	_, err := c.Lookup(context.Background(), "flood.test", TypeA)
	if !errors.Is(err, ErrMismatch) || errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want replies to other questions, not a timeout", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v: the flood should end the wait, not the 5s deadline", took)
	}
}

func TestSilentOverTCP(t *testing.T) {
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) {
		if !isTCP(w) {
			m := reply(r)
			m.Truncated = true
			w.WriteMsg(m)
		}
	})
	c, _ := client(f, 200*time.Millisecond)
	start := time.Now()
	_, err := c.Lookup(context.Background(), "tc.test", TypeTXT)
	var e *Error
	if !errors.As(err, &e) || !e.Timeout || e.Attempts != 2 || time.Since(start) > 2*time.Second {
		t.Errorf("err = %v after %v, want a timeout of the TCP attempt (the second)", err, time.Since(start))
	}
}

// FuzzAnswerOf: whatever a reply holds, reading it does not panic, keeps
// only records of the asked type at the chain's end, and never follows
// more than MaxCNAMEs links.
func FuzzAnswerOf(f *testing.F) {
	for _, rrs := range [][]string{
		{"a.test. 60 IN CNAME b.test.", "b.test. 60 IN A 192.0.2.1"},
		{"a.test. 60 IN CNAME a.test."},
		{"a.test. 60 IN MX 10 mx.test.", "a.test. 60 IN TXT \"x\\255\""},
	} {
		m := new(mdns.Msg)
		m.SetQuestion("a.test.", mdns.TypeA)
		m.Response = true
		for _, s := range rrs {
			m.Answer = append(m.Answer, rr(f, s))
		}
		b, _ := m.Pack()
		f.Add(b, uint16(mdns.TypeA))
	}
	f.Fuzz(func(t *testing.T, b []byte, qtype uint16) {
		r := new(mdns.Msg)
		if r.Unpack(b) != nil {
			return
		}
		a, _, err := answerOf(r, "a.test.", qtype)
		if err != nil {
			if !errors.Is(err, ErrCNAMELoop) && !errors.Is(err, ErrCNAMEChain) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(a.CNAMEs) > MaxCNAMEs {
			t.Fatalf("%d CNAMEs followed", len(a.CNAMEs))
		}
		for _, rec := range a.Records {
			if rec.Type != qtype || !equalNames(rec.Name, a.Canonical) {
				t.Fatalf("record %+v is not %s at %s", rec, TypeString(qtype), a.Canonical)
			}
		}
	})
}

func TestCanceledIsNotATimeout(t *testing.T) {
	asked := make(chan struct{}, 4)
	f := newFake(t, func(w mdns.ResponseWriter, r *mdns.Msg) { asked <- struct{}{} })
	c, _ := client(f, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-asked; cancel() }()
	start := time.Now()
	_, err := c.Lookup(ctx, "slow.test", TypeA)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v, want context.Canceled at once", err, time.Since(start))
	}
}
