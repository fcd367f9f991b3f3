package hostile

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"math/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait of the harness, so a broken client fails its
// test instead of hanging it.
const waitLimit = 20 * time.Second

// Server plays one scenario, from the start, on every connection to Addr
// (127.0.0.1 and a free port). Cleanup closes it and every connection, and
// waits for their goroutines.
type Server struct {
	Addr string
	sc   Scenario
	ln   net.Listener
	quit chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns []*Conn
	first chan struct{} // closed at the first connection
}

// Start runs sc on a new loopback listener until the test ends.
func Start(t testing.TB, sc Scenario) *Server {
	t.Helper()
	return StartOn(t, sc, "127.0.0.1")
}

// StartOn is Start on another local address, such as NonLoopback's.
func StartOn(t testing.TB, sc Scenario, host string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), sc: sc, ln: ln, quit: make(chan struct{}), first: make(chan struct{})}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Close stops the listener and every connection, and waits for them.
func (s *Server) Close() {
	select {
	case <-s.quit:
		return
	default:
	}
	close(s.quit)
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.closeAll()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &Conn{raw: nc, stream: nc, done: make(chan struct{}), quit: s.quit, gotCh: make(chan struct{}, 1)}
		c.br = bufio.NewReader(c.stream)
		s.mu.Lock()
		s.conns = append(s.conns, c)
		if len(s.conns) == 1 {
			close(s.first)
		}
		s.mu.Unlock()
		select {
		case <-s.quit:
			c.closeAll()
		default:
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.run(s.sc)
		}()
	}
}

// Conn returns the first connection, waiting for it.
func (s *Server) Conn(t testing.TB) *Conn {
	t.Helper()
	select {
	case <-s.first:
	case <-time.After(waitLimit):
		t.Fatalf("hostile %s: no connection within %v", s.sc.Name, waitLimit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[0]
}

// Accepted is closed at the first connection.
func (s *Server) Accepted() <-chan struct{} { return s.first }

// Conns returns every connection accepted so far.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Conn(nil), s.conns...)
}

// Conn is the server side of one connection: what the scenario wrote and
// what the client sent, both as plaintext (inside TLS, decrypted).
type Conn struct {
	raw    net.Conn
	stream net.Conn // raw, or the TLS connection on it
	br     *bufio.Reader
	done   chan struct{}
	quit   <-chan struct{}

	mu     sync.Mutex
	wrote  bytes.Buffer // the first maxRecord bytes written
	wroteN int64        // every byte written
	got    bytes.Buffer
	gotCh  chan struct{} // poked when got grows
	cred   string        // the last line of an AUTH exchange the client sent, for echo
	asked  bool          // the scenario's last write was a 334 challenge
	err    error         // why the script stopped early, if it did
}

// maxRecord is how much of what it writes a Conn keeps: enough for any
// comparison, and little enough that a flood or a 10 MB line does not
// weigh on a test's memory measurements.
const maxRecord = 256 << 10

// Wrote returns what the scenario wrote so far, up to its first 256 KiB.
func (c *Conn) Wrote() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.wrote.Bytes())
}

// WroteN counts every byte the scenario wrote so far.
func (c *Conn) WroteN() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wroteN
}

// Got returns every byte the client sent so far.
func (c *Conn) Got() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.got.Bytes())
}

// WaitGot waits until the client has sent s, and reports whether it did
// within the harness's wait limit (it may be called off the test's
// goroutine).
func (c *Conn) WaitGot(s string) bool {
	limit := time.After(waitLimit)
	for !bytes.Contains(c.Got(), []byte(s)) {
		select {
		case <-c.gotCh:
		case <-c.done:
			return bytes.Contains(c.Got(), []byte(s))
		case <-limit:
			return false
		}
	}
	return true
}

// gotMore records bytes from the client and pokes WaitGot.
func (c *Conn) gotMore(p []byte) {
	c.mu.Lock()
	c.got.Write(p)
	c.mu.Unlock()
	select {
	case c.gotCh <- struct{}{}:
	default:
	}
}

// Err reports why the script stopped before its end: the client closed,
// reset, or failed a handshake. nil when it ran to the end.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Wait waits for the script to end: it ran out of steps, or the client
// went away.
func (c *Conn) Wait(t testing.TB) *Conn {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitLimit):
		t.Fatalf("hostile: the scenario did not end within %v", waitLimit)
	}
	return c
}

// Done is closed when the script has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

func (c *Conn) closeAll() {
	c.mu.Lock()
	stream := c.stream
	c.mu.Unlock()
	stream.Close()
	c.raw.Close()
}

// run plays the scenario, then, unless it closed, hangs until the client
// goes.
func (c *Conn) run(sc Scenario) {
	defer close(c.done)
	defer c.closeAll()
	for _, st := range sc.Steps {
		if err := c.step(st); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		if st.Op == OpClose || st.Op == OpReset {
			return
		}
	}
	_ = c.hang()
}

// errClosed stops a script after close or reset.
var errClosed = errors.New("hostile: closed by the scenario")

func (c *Conn) step(st Step) error {
	switch st.Op {
	case OpSend:
		return c.write(st.Data)
	case OpTrickle:
		return c.trickle(st.Data, st.Every)
	case OpRepeat:
		return c.repeat(st.Data, st.Count)
	case OpFill:
		return c.fill(st.Data, st.Count)
	case OpRandom:
		return c.write(Random(st.Count, st.Seed))
	case OpExpect:
		return c.expect(string(st.Data))
	case OpEcho:
		return c.write(Echo(st.Data, c.cred))
	case OpSleep:
		return c.sleep(st.Every)
	case OpTLS:
		return c.startTLS(string(st.Data), st.MaxTLS)
	case OpHang:
		return c.hang()
	case OpSCRAM:
		f := strings.Fields(string(st.Data))
		if len(f) != 3 {
			return errors.New("hostile: scram wants USER PASSWORD MODE")
		}
		return c.scramStep(f[0], f[1], f[2])
	case OpClose:
		return c.stream.Close()
	case OpReset:
		if tc, ok := c.raw.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return c.raw.Close()
	}
	return errors.New("hostile: unknown step")
}

// write writes p in one call and records what went out.
func (c *Conn) write(p []byte) error {
	c.asked = bytes.HasPrefix(p, []byte("334 "))
	n, err := c.stream.Write(p)
	c.mu.Lock()
	c.wrote.Write(p[:min(n, max(maxRecord-c.wrote.Len(), 0))])
	c.wroteN += int64(n)
	c.mu.Unlock()
	return err
}

func (c *Conn) trickle(p []byte, every time.Duration) error {
	for i := range p {
		if err := c.write(p[i : i+1]); err != nil {
			return err
		}
		if err := c.sleep(every); err != nil {
			return err
		}
	}
	return nil
}

// repeat writes p n times, or until the client stops reading when n is 0.
func (c *Conn) repeat(p []byte, n int) error {
	batch := bytes.Repeat(p, max(1, 4096/max(len(p), 1)))
	per := len(batch) / max(len(p), 1)
	for i := 0; n == 0 || i < n; i += per {
		if n > 0 && n-i < per {
			batch = batch[:(n-i)*len(p)]
		}
		if err := c.write(batch); err != nil {
			return err
		}
		select {
		case <-c.quit:
			return errClosed
		default:
		}
	}
	return nil
}

// fill writes n bytes of the pattern in 64 KiB writes.
func (c *Conn) fill(pattern []byte, n int) error {
	if len(pattern) == 0 {
		pattern = []byte("x")
	}
	chunk := bytes.Repeat(pattern, 64<<10/len(pattern)+1)[:64<<10]
	for n > 0 {
		k := min(n, len(chunk))
		if err := c.write(chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// expect reads client lines until one starts with prefix (any case; "*"
// takes any line).
func (c *Conn) expect(prefix string) error {
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if prefix == "*" || strings.HasPrefix(strings.ToUpper(line), strings.ToUpper(prefix)) {
			return nil
		}
	}
}

func (c *Conn) readLine() (string, error) {
	line, err := c.br.ReadString('\n')
	c.gotMore([]byte(line))
	if c.asked || strings.HasPrefix(strings.ToUpper(line), "AUTH ") {
		c.cred = strings.TrimRight(line, "\r\n")
	}
	return line, err
}

// hang reads and keeps what the client sends until it goes.
func (c *Conn) hang() error {
	buf := make([]byte, 4096)
	for {
		n, err := c.br.Read(buf)
		c.gotMore(buf[:n])
		if err != nil {
			return err
		}
	}
}

func (c *Conn) sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.quit:
		return errClosed
	}
}

// startTLS runs the server side of a handshake with the named certificate,
// up to version max when it is not 0, and switches the connection onto it.
func (c *Conn) startTLS(name string, max uint16) error {
	cert, err := Certificate(name)
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if max != 0 {
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, max // MinVersion set: the tls10server GODEBUG does not matter
	}
	tc := tls.Server(c.raw, cfg)
	_ = c.raw.SetDeadline(time.Now().Add(waitLimit))
	err = tc.Handshake()
	_ = c.raw.SetDeadline(time.Time{})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.stream = tc
	c.mu.Unlock()
	c.br = bufio.NewReader(tc)
	return nil
}

// Random returns n pseudo-random bytes from seed, rich in what breaks
// parsers and terminals: ESC, CR, LF, NUL, C1 bytes and invalid UTF-8.
func Random(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	spice := []byte{0x1b, '\r', '\n', 0, 0x9b, 0x9d, 0xff, 0xc2, ']', '[', '2', '5', '0', '-', ' '}
	out := make([]byte, n)
	for i := range out {
		if rng.Intn(3) == 0 {
			out[i] = spice[rng.Intn(len(spice))]
		} else {
			out[i] = byte(rng.Intn(256))
		}
	}
	return out
}

// Tap wraps a client's net.Conn and keeps every byte read from it: what the
// client read, to compare with its transcript.
type Tap struct {
	net.Conn
	mu   sync.Mutex
	read bytes.Buffer
}

// NewTap wraps nc.
func NewTap(nc net.Conn) *Tap { return &Tap{Conn: nc} }

func (t *Tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.mu.Lock()
	t.read.Write(p[:n])
	t.mu.Unlock()
	return n, err
}

// Bytes returns what was read so far.
func (t *Tap) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.read.Bytes())
}

var _ io.Reader = (*Tap)(nil)

// NonLoopback returns an IPv4 address of this machine that is not
// loopback, for tests of what a client does with a remote host (AUTH in
// clear); ok is false when the machine has none.
func NonLoopback() (string, bool) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String(), true
		}
	}
	return "", false
}
