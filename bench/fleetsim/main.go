// Command fleetsim serves a fleet of SMTP targets on loopback for the
// fleet benchmark (bench/fleet.sh): one listener per target, each on its own
// address of 127.1.0.0/16 and the same port, speaking greeting, EHLO with
// STARTTLS, a real TLS handshake with a certificate of its own test CA,
// EHLO with AUTH, and QUIT. A share of the targets misbehave, by their
// index, so that every status a fleet run gives is exercised:
//
//	share  behaviour                                     status
//	 76%   healthy                                       ok
//	  1%   healthy, AUTH PLAIN offered before TLS        ok
//	  5%   greeting after 300 ms                         ok
//	  4%   greeting after -tarpit-delay (a tarpit)       tarpit
//	  4%   no listener (the port is closed)              refused
//	  1%   554 greeting                                  refused
//	  4%   421 "too many connections" greeting           rate-limited
//	  1%   a certificate of another CA                   tls-failed
//	  1%   a reply to EHLO with mixed codes              protocol-error
//	  1%   the connection closed after the greeting      not-testable
//	  1%   dead: its SYNs dropped (a listener whose      timeout
//	       accept queue is full, so no root is needed)
//	  1%   port 25 filtered, the host up: the target is  blocked
//	       ADDR:25, whose SYNs an nftables rule drops
//	       (bench/fleet.sh adds it, as root, from
//	       dir/blocked.ips), ports 587/465/443 refused;
//	       without -blocked these are healthy (ok)
//
// and one more host, 127.NET.255.251, with -reset-lines targets on the
// ports after -port, that serves the first -reset-after connections of a
// run and resets (RST) every one after, until it has been idle for 2 s
// (the next run): its lines are -reset-after ok and the rest rate-limited,
// in whatever order (truth "reset-after:K", fleetcheck.py counts them);
// and -dns-lines names that cannot resolve (a label over 63 characters,
// refused before any question is sent, so no DNS server is needed), whose
// status is dns-error.
//
// It writes the targets (dir/targets.txt, one host:port a line; for
// zgrab2, dir/targets.ips, one address a line), the truth (dir/truth.tsv:
// target, expected status), the CA (dir/ca.pem), then prints "ready" on
// stdout and serves until killed or stdin closes.
//
//	fleetsim -n 10000 -dir bench/out/fleet -port 2525
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ServerName is the name in the simulator's certificates: probe with
// --servername sim.test --ca DIR/ca.pem.
const ServerName = "sim.test"

type behaviour struct {
	name, status string
	share        int // in 100
}

// behaviours in the order of their shares over i%100.
var behaviours = []behaviour{
	{"healthy", "ok", 76},
	{"auth-plain", "ok", 1},
	{"slow", "ok", 5},
	{"tarpit", "tarpit", 4},
	{"closed", "refused", 4},
	{"554", "refused", 1},
	{"421", "rate-limited", 4},
	{"bad-cert", "tls-failed", 1},
	{"mixed-codes", "protocol-error", 1},
	{"hangup", "not-testable", 1},
	{"dead", "timeout", 1},
	{"blocked", "blocked", 1},
}

func behaviourOf(i int) behaviour {
	k := i % 100
	for _, b := range behaviours {
		if k < b.share {
			return b
		}
		k -= b.share
	}
	panic("shares do not add to 100")
}

// netB is the second byte of the targets' addresses (-net): 127.netB.0.0/16.
var netB = 1

// addr is target i's address: 127.netB.0.1 onwards, skipping .0 and .255.
func addr(i int) string { return fmt.Sprintf("127.%d.%d.%d", netB, i/250, i%250+1) }

type sim struct {
	good, bad  *tls.Config
	tarpit     time.Duration
	slow       time.Duration
	lineBudget int
}

func main() {
	n := flag.Int("n", 10000, "targets (at most 64000)")
	dir := flag.String("dir", "bench/out/fleet", "where to write targets.txt, targets.ips, truth.tsv and ca.pem")
	port := flag.Int("port", 2525, "the port of every target")
	tarpit := flag.Duration("tarpit-delay", 2*time.Second, "a tarpit's greeting delay")
	blocked := flag.Bool("blocked", false, "serve the blocked share on ADDR:25, for an nftables rule to filter (else they are healthy)")
	resetLines := flag.Int("reset-lines", 20, "targets on the host that resets after -reset-after connections (0: none)")
	resetAfter := flag.Int("reset-after", 5, "connections that host serves in a run before it resets")
	dnsLines := flag.Int("dns-lines", 10, "targets whose name cannot resolve")
	flag.IntVar(&netB, "net", 1, "serve on 127.NET.0.0/16 (1 to 254), so two simulators can run at once")
	flag.Parse()
	if netB < 1 || netB > 254 {
		log.Fatalf("-net %d: want 1 to 254", netB)
	}
	if *n < 1 || *n > 64000 {
		log.Fatal("-n: 1 to 64000")
	}
	good, caPEM, err := tlsConfig()
	if err != nil {
		log.Fatal(err)
	}
	bad, _, err := tlsConfig()
	if err != nil {
		log.Fatal(err)
	}
	s := &sim{good: good, bad: bad, tarpit: *tarpit, slow: 300 * time.Millisecond}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "ca.pem"), caPEM, 0o644); err != nil {
		log.Fatal(err)
	}
	var targets, ips, truth, blockedIPs strings.Builder
	var hold []io.Closer // the dead targets' queued connections
	for i := range *n {
		b := behaviourOf(i)
		if b.name == "blocked" && !*blocked {
			b = behaviours[0]
		}
		a := addr(i)
		target := fmt.Sprintf("%s:%d", a, *port)
		if b.name == "blocked" { // port 25, filtered by fleet.sh's nftables rule; nothing listens here
			target = a + ":25"
			fmt.Fprintln(&blockedIPs, a)
		} else {
			fmt.Fprintln(&ips, a) // zgrab2 probes -port only
		}
		fmt.Fprintln(&targets, target)
		fmt.Fprintf(&truth, "%s\t%s\t%s\n", target, b.status, b.name)
		switch b.name {
		case "closed", "blocked":
			continue
		case "dead":
			held, err := deadListener(target)
			if err != nil {
				log.Fatalf("dead %s: %v", target, err)
			}
			hold = append(hold, held...)
			continue
		}
		ln, err := net.Listen("tcp", target)
		if err != nil {
			log.Fatalf("listen %s: %v", target, err)
		}
		go s.serve(ln, b.name)
	}
	if *resetLines > 0 {
		r := &resetter{after: *resetAfter}
		a := fmt.Sprintf("127.%d.255.251", netB)
		for p := range *resetLines {
			target := fmt.Sprintf("%s:%d", a, *port+1+p)
			ln, err := net.Listen("tcp", target)
			if err != nil {
				log.Fatalf("listen %s: %v", target, err)
			}
			go r.serve(s, ln)
			fmt.Fprintln(&targets, target)
			fmt.Fprintf(&truth, "%s\treset-after:%d\treset-after\n", target, *resetAfter)
		}
	}
	for i := range *dnsLines {
		target := fmt.Sprintf("%s%06d.sim.invalid:%d", strings.Repeat("x", 58), i, *port) // a 64-character label
		fmt.Fprintln(&targets, target)
		fmt.Fprintf(&truth, "%s\tdns-error\tunresolvable\n", target)
	}
	for name, text := range map[string]string{"targets.txt": targets.String(), "targets.ips": ips.String(), "truth.tsv": truth.String(), "blocked.ips": blockedIPs.String()} {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // serve until stdin closes (or a signal)
	for _, c := range hold {
		c.Close()
	}
}

// resetter is one host on many ports that serves the first after
// connections of a run and resets the next; a run ends when the host has
// been idle for resetIdle.
type resetter struct {
	mu    sync.Mutex
	after int
	count int
	last  time.Time
}

const resetIdle = 2 * time.Second

func (r *resetter) serve(s *sim, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		r.mu.Lock()
		now := time.Now()
		if now.Sub(r.last) > resetIdle {
			r.count = 0
		}
		r.last = now
		r.count++
		over := r.count > r.after
		r.mu.Unlock()
		if over {
			c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
			continue
		}
		go s.session(c, "healthy")
	}
}

func (s *sim) serve(ln net.Listener, kind string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			if strings.Contains(err.Error(), "too many open files") {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return
		}
		go s.session(c, kind)
	}
}

// session speaks one target's SMTP. Every read has a deadline.
func (s *sim) session(c net.Conn, kind string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	switch kind {
	case "tarpit":
		time.Sleep(s.tarpit)
	case "slow":
		time.Sleep(s.slow)
	case "554":
		io.WriteString(c, "554 5.7.1 sim.test: no SMTP service for you\r\n")
		return
	case "421":
		io.WriteString(c, "421 4.7.0 sim.test: too many connections from your address, try again later\r\n")
		return
	}
	io.WriteString(c, "220 sim.test ESMTP fleetsim\r\n")
	if kind == "hangup" {
		return
	}
	var conn net.Conn = c
	r := bufio.NewReaderSize(conn, 1024)
	secure := false
	for {
		line, err := r.ReadString('\n')
		if err != nil || len(line) > 1000 {
			return
		}
		verb := strings.ToUpper(strings.TrimSpace(line))
		if i := strings.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		}
		switch verb {
		case "EHLO":
			io.WriteString(conn, ehlo(kind, secure))
		case "HELO":
			io.WriteString(conn, "250 sim.test\r\n")
		case "STARTTLS":
			if secure {
				io.WriteString(conn, "503 5.5.1 TLS already active\r\n")
				continue
			}
			io.WriteString(conn, "220 2.0.0 Ready to start TLS\r\n")
			cfg := s.good
			if kind == "bad-cert" {
				cfg = s.bad
			}
			tc := tls.Server(c, cfg)
			if tc.Handshake() != nil {
				return
			}
			conn, secure = tc, true
			r = bufio.NewReaderSize(conn, 1024)
		case "QUIT":
			io.WriteString(conn, "221 2.0.0 Bye\r\n")
			return
		case "NOOP", "RSET":
			io.WriteString(conn, "250 2.0.0 OK\r\n")
		default:
			io.WriteString(conn, "502 5.5.2 Command not implemented\r\n")
		}
	}
}

func ehlo(kind string, secure bool) string {
	switch {
	case kind == "mixed-codes":
		return "250-sim.test\r\n251-PIPELINING\r\n250 STARTTLS\r\n"
	case secure:
		return "250-sim.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
	case kind == "auth-plain":
		return "250-sim.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
	}
	return "250-sim.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
}

// tlsConfig makes a CA and a leaf for ServerName (ECDSA P-256: the
// cheapest handshake for both sides), and the server's config: TLS 1.2
// and 1.3 (zgrab2 speaks 1.2 at most), no session tickets (a prober never
// resumes; the tickets would cost the simulator CPU for nothing).
func tlsConfig() (*tls.Config, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleetsim test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ServerName},
		DNSNames: []string{ServerName}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(20 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, SessionTicketsDisabled: true}
	return cfg, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}
