package client

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// sinkServer is a minimal SMTP server for tests: it advertises caps after
// EHLO, accepts every MAIL and RCPT, and counts message data without
// keeping it, so it weighs nothing in a memory measurement.
type sinkServer struct {
	addr string
	caps []string
	// refuse maps a verb, or "." for the end of data, to the reply that
	// refuses it instead of accepting.
	refuse map[string]string
	// refuseChunk maps a BDAT chunk's number in its message, from 1, to
	// the reply that refuses it; the chunks after it are discarded, each
	// answered 554 (RFC 3030 section 3). hangChunk closes the connection
	// instead of answering that chunk.
	refuseChunk map[int]string
	hangChunk   int
	keep        bool // keep the messages' octets in data

	mu       sync.Mutex
	received []int64  // message sizes, dot-stuffing undone
	data     [][]byte // with keep, the messages as received
	lines    []string // every command line received
	msg      []byte   // with keep, the BDAT chunks of the message under way
	msgLen   int64
	chunkNo  int
	failed   bool
}

func startSink(t testing.TB, caps ...string) *sinkServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &sinkServer{addr: ln.Addr().String(), caps: caps}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *sinkServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	reply("220 sink.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.lines = append(s.lines, line)
		s.mu.Unlock()
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		if r, ok := s.refusal(verb); ok {
			reply(r)
			continue
		}
		switch verb {
		case "EHLO":
			out := []string{"250-sink.test"}
			for _, c := range s.caps {
				out = append(out, "250-"+c)
			}
			out[len(out)-1] = "250 " + strings.TrimPrefix(out[len(out)-1], "250-")
			if len(s.caps) == 0 {
				out = []string{"250 sink.test"}
			}
			reply(out...)
		case "DATA":
			reply("354 go on")
			n, err := s.readData(r)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.received = append(s.received, n)
			s.mu.Unlock()
			if r, ok := s.refusal("."); ok {
				reply(r)
				continue
			}
			reply("250 2.0.0 taken")
		case "BDAT":
			if !s.chunk(r, line, reply) {
				return
			}
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 2.0.0 ok")
		}
	}
}

// readData reads message lines up to "." and returns their size with
// CRLF, dot-stuffing undone, as RFC 1870 counts it.
func (s *sinkServer) readData(r *bufio.Reader) (int64, error) {
	var n int64
	for {
		line, err := r.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			n += int64(len(line))
			line, err = r.ReadSlice('\n')
		}
		if err != nil {
			return n, err
		}
		if string(line) == ".\r\n" {
			return n, nil
		}
		if line[0] == '.' {
			line = line[1:]
		}
		n += int64(len(line))
	}
}

func (s *sinkServer) setRefuse(m map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = m
}

func (s *sinkServer) refusal(verb string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refuse[verb]
	return r, ok
}

func (s *sinkServer) sizes() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.received...)
}

func (s *sinkServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// chunk reads one BDAT chunk (RFC 3030) and answers it; after the last,
// the message counts as received. It reports whether to go on.
func (s *sinkServer) chunk(r *bufio.Reader, line string, reply func(...string)) bool {
	f := strings.Fields(line)
	n, err := strconv.Atoi(f[1])
	if err != nil {
		reply("501 5.5.4 bad size")
		return true
	}
	var kept bytes.Buffer // nothing held unless keep: the sink weighs nothing
	dst := io.Discard
	s.mu.Lock()
	if s.keep {
		dst = &kept
	}
	s.mu.Unlock()
	if _, err := io.CopyN(dst, r, int64(n)); err != nil {
		return false
	}
	last := len(f) > 2 && strings.EqualFold(f[2], "LAST")
	s.mu.Lock()
	s.msg = append(s.msg, kept.Bytes()...)
	s.msgLen += int64(n)
	s.chunkNo++
	no, failed, hang := s.chunkNo, s.failed, s.hangChunk
	refusal, refused := s.refuseChunk[no]
	s.failed = s.failed || refused
	if last {
		if !s.failed {
			s.received = append(s.received, s.msgLen)
			if s.keep {
				s.data = append(s.data, s.msg)
			}
		}
		s.msg, s.msgLen, s.chunkNo, s.failed = nil, 0, 0, false
	}
	s.mu.Unlock()
	switch {
	case no == hang:
		return false
	case refused:
		reply(refusal)
	case failed:
		reply("554 5.5.0 an earlier chunk was refused")
	case last:
		reply("250 2.0.0 taken")
	default:
		reply(fmt.Sprintf("250 2.0.0 %d octets", n))
	}
	return true
}

func (s *sinkServer) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.data...)
}

// setChunks sets how the sink answers BDAT: refuse and hang as
// refuseChunk and hangChunk, keep to keep the messages.
func (s *sinkServer) setChunks(refuse map[int]string, hang int, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseChunk, s.hangChunk, s.keep = refuse, hang, keep
}
