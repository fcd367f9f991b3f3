package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Limits of the DNS server.
const (
	dnsTimeout = 5 * time.Second // a TCP query's read, and its connection's idle time
	dnsUDPSize = 1232            // the EDNS payload size it offers (DNS Flag Day 2020)
)

// dnsServer is the lab's authoritative DNS server for its zones, on UDP and
// TCP at the same port. It signs nothing and never sets the AD bit: a
// validating resolver would find lab.test insecure (RFC 4035 section 4.3),
// and without one the answers are not authenticated either.
type dnsServer struct {
	udp, tcp *dns.Server
	addr     string
}

// listenDNS opens the UDP and TCP sockets on host and port (0: a free port,
// the same for both); it serves nothing yet.
func listenDNS(host string, port int) (*dnsServer, error) {
	for range 10 { // a free TCP port may be taken in UDP: try another
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("lab: dns: %w", err)
		}
		at := tcp.Addr().(*net.TCPAddr)
		udp, err := net.ListenPacket("udp", at.String())
		if err != nil && port == 0 {
			tcp.Close()
			continue
		}
		if err != nil {
			tcp.Close()
			return nil, fmt.Errorf("lab: dns: %w", err)
		}
		return &dnsServer{
			udp:  &dns.Server{PacketConn: udp, ReadTimeout: dnsTimeout},
			tcp:  &dns.Server{Listener: tcp, ReadTimeout: dnsTimeout, IdleTimeout: func() time.Duration { return dnsTimeout }},
			addr: at.String(),
		}, nil
	}
	return nil, errors.New("lab: dns: no port free in both UDP and TCP")
}

// close closes the sockets of a server that never started.
func (s *dnsServer) close() {
	s.udp.PacketConn.Close()
	s.tcp.Listener.Close()
}

// serve answers from z on both sockets, in goroutines counted by wg, and
// returns once both serve, or with the first error.
func (s *dnsServer) serve(z *zone, wg *sync.WaitGroup) error {
	started := make(chan error, 4) // from each server: started, then an error at most
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		srv.Handler = handler{z}
		srv.NotifyStartedFunc = func() { started <- nil }
		wg.Go(func() {
			if err := srv.ActivateAndServe(); err != nil {
				started <- err
			}
		})
	}
	for range 2 {
		if err := <-started; err != nil {
			s.shutdown()
			s.close()
			return fmt.Errorf("lab: dns: %w", err)
		}
	}
	return nil
}

// shutdown stops both servers and waits for their queries in progress, a
// TCP read at most.
func (s *dnsServer) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*dnsTimeout)
	defer cancel()
	var errs []error
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		errs = append(errs, srv.ShutdownContext(ctx))
	}
	return errors.Join(errs...)
}

// handler answers one query from the zone.
type handler struct{ z *zone }

// ServeDNS implements dns.Handler. miekg/dns has already answered FORMERR
// to a query without exactly one question, and NOTIMP to other opcodes
// than QUERY and NOTIFY.
func (h handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	if req.Opcode != dns.OpcodeQuery {
		resp.SetRcode(req, dns.RcodeNotImplemented)
		w.WriteMsg(resp)
		return
	}
	rcode, answer, authority := h.z.answer(req.Question[0])
	resp.SetRcode(req, rcode)
	resp.Authoritative = rcode != dns.RcodeRefused
	resp.RecursionAvailable = false
	resp.AuthenticatedData = false // never: nothing here is signed (RFC 4035 section 3.2.3)
	resp.Answer, resp.Ns = answer, authority
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		// EDNS (RFC 6891): offer our size; the DO bit is echoed (RFC 3225
		// section 3), with no signatures to go with it.
		size = max(size, min(int(opt.UDPSize()), dnsUDPSize))
		resp.SetEdns0(dnsUDPSize, opt.Do())
	}
	if w.LocalAddr().Network() == "udp" {
		resp.Truncate(size) // sets TC when it does not fit: retry over TCP
	}
	w.WriteMsg(resp)
}
