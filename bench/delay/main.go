// Command delay is a TCP proxy on loopback that delays every byte by the
// same time in each direction, as a link with that latency would: a way to
// see round trips that loopback hides (README, "--pipelining").
//
//	delay -listen 127.0.0.1:20587 -to 127.0.0.1:10587 -delay 20ms
//
// With -v it prints, for each connection, how many reads brought the
// client's bytes: a rough count of the segments it sent.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:20587", "`address` to listen on")
	to := flag.String("to", "", "`address` to forward to")
	delay := flag.Duration("delay", 20*time.Millisecond, "one-way delay")
	verbose := flag.Bool("v", false, "print each connection's count of client reads")
	flag.Parse()
	if *to == "" {
		fmt.Fprintln(os.Stderr, "usage: delay -listen ADDR -to ADDR [-delay D] [-v]")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go proxy(c, *to, *delay, *verbose)
	}
}

func proxy(client net.Conn, to string, delay time.Duration, verbose bool) {
	defer client.Close()
	server, err := net.Dial("tcp", to)
	if err != nil {
		log.Print(err)
		return
	}
	defer server.Close()
	var reads atomic.Int64
	done := make(chan struct{})
	go func() {
		forward(client, server, delay, nil)
		close(done)
	}()
	forward(server, client, delay, &reads)
	<-done
	if verbose {
		log.Printf("%s: the client's bytes came in %d reads", client.RemoteAddr(), reads.Load())
	}
}

// forward copies src to dst, each read written delay after it arrived, in
// order; reads counts the reads when not nil.
func forward(dst, src net.Conn, delay time.Duration, reads *atomic.Int64) {
	type piece struct {
		due  time.Time
		data []byte
	}
	queue := make(chan piece, 4096)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for p := range queue {
			time.Sleep(time.Until(p.due))
			if _, err := dst.Write(p.data); err != nil {
				return
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if reads != nil {
				reads.Add(1)
			}
			queue <- piece{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}
		}
		if err != nil {
			break
		}
	}
	close(queue)
	<-sent
}
