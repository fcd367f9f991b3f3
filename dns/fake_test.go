package dns

import (
	"net"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"
)

// fake is a scripted DNS server on loopback, over UDP and TCP on one port.
// Each test gives the handler; the server logs what it was asked.
type fake struct {
	addr string
	mu   sync.Mutex
	log  []asked
}

// asked is one query the fake received.
type asked struct {
	network string // "udp" or "tcp"
	q       mdns.Question
	msg     *mdns.Msg
}

// newFake starts a fake server answering with h until the test ends.
func newFake(t *testing.T, h func(w mdns.ResponseWriter, r *mdns.Msg)) *fake {
	t.Helper()
	f := &fake{}
	pc, ln := listenPair(t)
	f.addr = pc.LocalAddr().String()
	handler := mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		f.mu.Lock()
		f.log = append(f.log, asked{network: w.RemoteAddr().Network(), q: r.Question[0], msg: r})
		f.mu.Unlock()
		h(w, r)
	})
	for _, s := range []*mdns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
		go s.ActivateAndServe()
		t.Cleanup(func() { s.Shutdown() })
	}
	return f
}

// listenPair binds UDP and TCP on the same loopback port.
func listenPair(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return nil, nil
}

// queries returns what the fake was asked, in order.
func (f *fake) queries() []asked {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]asked(nil), f.log...)
}

// reply starts the answer to r.
func reply(r *mdns.Msg) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	return m
}

// rr parses one record in zone-file form.
func rr(t testing.TB, s string) mdns.RR {
	t.Helper()
	r, err := mdns.NewRR(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return r
}

// soa is an SOA for the authority section of a denial.
func soa(t testing.TB, zone string) mdns.RR {
	return rr(t, zone+" 300 IN SOA ns."+zone+" host."+zone+" 1 3600 600 86400 300")
}

// isTCP says whether w is a TCP connection.
func isTCP(w mdns.ResponseWriter) bool { return w.RemoteAddr().Network() == "tcp" }
