package lab

import (
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PolicyPath is where an MTA-STS policy is fetched (RFC 8461 section 3.3).
const PolicyPath = "/.well-known/mta-sts.txt"

// policyMaxAge is the policy's max_age in seconds: a day, as long as the
// lab's certificates last.
const policyMaxAge = 86400

// policyText is lab.test's MTA-STS policy (RFC 8461 section 3.2): enforce,
// both MX hosts by name.
var policyText = "version: STSv1\r\nmode: enforce\r\n" +
	"mx: " + MXHosts[0] + "\r\nmx: " + MXHosts[1] + "\r\n" +
	"max_age: " + strconv.Itoa(policyMaxAge) + "\r\n"

// Limits of the policy server.
const (
	policyTimeout  = 10 * time.Second // to read a request, and to write its answer
	policyIdle     = 30 * time.Second
	policyMaxBytes = 8 << 10 // request header bytes
)

// policyServer serves lab.test's MTA-STS policy over HTTPS, with a
// certificate from the lab's CA for PolicyHost.
type policyServer struct {
	srv  *http.Server
	ln   net.Listener
	addr string
}

// listenPolicy opens the policy server's socket; it serves nothing yet.
func listenPolicy(host string, port int, cert tls.Certificate, logf func(string, ...any)) (*policyServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("lab: mta-sts: %w", err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(servePolicy),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: policyTimeout,
		ReadTimeout:       policyTimeout,
		WriteTimeout:      policyTimeout,
		IdleTimeout:       policyIdle,
		MaxHeaderBytes:    policyMaxBytes,
		ErrorLog:          log.New(logWriter(logf), "lab: mta-sts: ", 0),
	}
	return &policyServer{srv: srv, ln: ln, addr: ln.Addr().String()}, nil
}

// serve serves HTTPS in a goroutine counted by wg.
func (p *policyServer) serve(wg *sync.WaitGroup) {
	wg.Go(func() { p.srv.ServeTLS(p.ln, "", "") })
}

// close stops the server and cuts its connections.
func (p *policyServer) close() error {
	err := p.srv.Close()
	p.ln.Close() // when it never served
	return err
}

// servePolicy answers GET or HEAD of PolicyPath at PolicyHost with the
// policy, as text/plain (RFC 8461 section 3.2), and anything else with 404
// or 405.
func servePolicy(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch {
	case !strings.EqualFold(strings.TrimSuffix(host, "."), PolicyHost) || r.URL.Path != PolicyPath:
		http.Error(w, "not found: this server has https://"+PolicyHost+PolicyPath+" only", http.StatusNotFound)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(policyText)))
		w.Write([]byte(policyText))
	}
}

// logWriter turns a log.Logger's lines into Config.Logf calls.
type logWriter func(string, ...any)

// Write implements io.Writer.
func (f logWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
