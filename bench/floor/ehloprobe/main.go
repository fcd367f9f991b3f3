// Command ehloprobe is ehlo probe without its command line: the same
// client.ProbeAll and client.WriteProbe that ehlo's probe command runs,
// called from a bare main with the flag package. Between the floor
// (bench/floor/probe) and ehlo, it tells what ehlo's probe path costs and
// what the command line around it (cobra, fang, package cli) does.
//
//	ehloprobe -ca FILE -servername NAME HOST:PORT
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ehlo-sh/ehlo/client"
)

func main() {
	ca := flag.String("ca", "", "PEM `file` of the CA to trust")
	name := flag.String("servername", "", "`name` to verify")
	flag.Parse()
	pool, err := client.LoadCA(*ca)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ehloprobe:", err)
		os.Exit(2)
	}
	opts := client.Options{ServerName: *name, RootCAs: pool, Helo: client.DefaultHelo, Timeout: 30 * time.Second}
	r := client.ProbeAll(context.Background(), []client.Job{{Target: flag.Arg(0), Options: opts}}, 1)[0]
	out := bufio.NewWriter(os.Stdout)
	client.WriteProbe(out, r)
	out.Flush()
	if r.Err != nil {
		fmt.Fprintln(os.Stderr, "ehloprobe:", client.Explain(r.Err))
		os.Exit(1)
	}
}
