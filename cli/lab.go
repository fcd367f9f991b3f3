package cli

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
)

func newLab() *cobra.Command {
	var (
		cfg   lab.Config
		caOut string
		sf    scenarioFlags
	)
	cfg.Ports = lab.DefaultPorts
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run the built-in sandbox SMTP server in the foreground",
		Long: "lab runs loopback SMTP endpoints that reproduce real-world cases: mx (STARTTLS, no AUTH, " +
			"relay denied), submission (like Gmail's 587: AUTH only after STARTTLS), smtps (implicit TLS), " +
			"legacy (AUTH in the clear), postfix (Postfix's submission port: every RCPT refused until AUTH), " +
			"exim (Exim's words, no enhanced status codes), greylist (an MX that greylists) and nopipe (like " +
			"aiosmtpd: no PIPELINING; a client that pipelines anyway is refused). Its CA is made " +
			"fresh at start. Port 0 picks a free port.",
		Example: "  ehlo lab --ca-out /tmp/lab-ca.pem\n  ehlo probe 127.0.0.1:1587 --ca /tmp/lab-ca.pem\n" +
			"  ehlo lab --list\n  ehlo lab --scenario strict-lf --log ./sessions   # one endpoint on 127.0.0.1:1025\n" +
			"  ehlo lab --scenario codes --rule 'MAIL=451 4.3.0 try again later' --greet-delay 2s",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("lab takes no %q: it runs every endpoint (--mx PORT and the like set their ports); one scenario is --scenario NAME", args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sf.list {
				listScenarios(cmd.OutOrStdout())
				return nil
			}
			if err := sf.apply(cmd, &cfg); err != nil {
				return err
			}
			return runLab(cmd.Context(), cmd.OutOrStdout(), cfg, caOut)
		},
	}
	sf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&cfg.Host, "host", "127.0.0.1", "loopback address to listen on")
	fl.IntVar(&cfg.Ports.MX, "mx", cfg.Ports.MX, "port of the mx endpoint")
	fl.IntVar(&cfg.Ports.Submission, "submission", cfg.Ports.Submission, "port of the submission endpoint")
	fl.IntVar(&cfg.Ports.SMTPS, "smtps", cfg.Ports.SMTPS, "port of the smtps endpoint")
	fl.IntVar(&cfg.Ports.Legacy, "legacy", cfg.Ports.Legacy, "port of the legacy endpoint")
	fl.IntVar(&cfg.Ports.Postfix, "postfix", cfg.Ports.Postfix, "port of the postfix endpoint")
	fl.IntVar(&cfg.Ports.Exim, "exim", cfg.Ports.Exim, "port of the exim endpoint")
	fl.IntVar(&cfg.Ports.Greylist, "greylist", cfg.Ports.Greylist, "port of the greylist endpoint")
	fl.IntVar(&cfg.Ports.NoPipe, "nopipe", cfg.Ports.NoPipe, "port of the nopipe endpoint")
	fl.IntVar(&cfg.Ports.DNS, "dns", cfg.Ports.DNS, "port of the DNS server for lab.test (UDP and TCP)")
	fl.BoolVar(&cfg.EnforceSPF, "enforce-spf", false, "the mx endpoint refuses a MAIL FROM in lab.test or "+lab.ForgedDomain+
		" whose SPF record fails for the client, with Postfix's policyd-spf words (eve@"+lab.ForgedDomain+" from loopback)")
	fl.IntVar(&cfg.Ports.MTASTS, "mta-sts", cfg.Ports.MTASTS, "port of the HTTPS server with lab.test's MTA-STS policy")
	fl.StringVar(&caOut, "ca-out", "", "write the CA certificate (PEM) to this file; default: a temporary file")
	cmd.Long += labDomainHelp
	return cmd
}

// labDomainHelp is what lab's help says of its DNS and MTA-STS servers.
const labDomainHelp = " It also serves DNS for lab.test (MX hosts mx1 and mx2 on the mx endpoint, TLSA, MTA-STS, " +
	"TLS-RPT, SPF and DMARC records, unsigned: a resolver finds them insecure) and forged.test, and " +
	"lab.test's MTA-STS policy over HTTPS."

// runLab serves the lab until ctx ends, printing its endpoints and each
// message it receives.
func runLab(ctx context.Context, out io.Writer, cfg lab.Config, caOut string) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM) // kill, as Ctrl-C: the CA files go
	defer stop()
	cfg.OnMessage = func(m lab.Message) {
		fmt.Fprintf(out, "%s  %-10s from <%s> to %s, %d bytes, subject %q\n", m.Received.Format(time.TimeOnly),
			m.Endpoint, m.From, "<"+strings.Join(m.To, ">, <")+">", len(m.Data), m.Subject())
	}
	l, err := lab.Start(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	if caOut == "" {
		if caOut, err = writeTempCA(l.CAPEM()); err != nil {
			return err
		}
		defer os.Remove(caOut)
	} else if err := writeCA(caOut, l.CAPEM()); err != nil {
		return usageErr(client.FileErr("--ca-out", caOut, err))
	}
	shared := shareCA(l)
	if shared != "" {
		defer os.Remove(shared)
	}
	fmt.Fprintln(out, "ehlo lab: sandbox SMTP server (Ctrl-C to stop)")
	if cfg.OpenLog != nil {
		fmt.Fprintln(out, "  logging each connection's transcript (credentials redacted unless --log-secrets)")
	}
	for _, ep := range l.Endpoints() {
		fmt.Fprintf(out, "  %-11s %-16s %s\n", ep.Name, ep.Addr, ep.Summary)
	}
	printLabDNS(out, l)
	fmt.Fprintf(out, "  CA          %s\n  user        %s / %s\n", caOut, lab.User, lab.Password)
	if submission, ok := l.Endpoint("submission"); ok {
		fmt.Fprintf(out, "try: ehlo probe %s --ca %s\n", submission.Addr, caOut)
	} else if eps := l.Endpoints(); len(eps) > 0 {
		fmt.Fprintf(out, "try: ehlo %s --ca %s\n", eps[0].Addr, caOut)
	}
	printLabRoute(out, l, shared != "", caOut)
	<-ctx.Done()
	fmt.Fprintln(out, "ehlo lab: stopped")
	return nil
}

// printLabDNS prints the lab's DNS and MTA-STS servers and where lab.test's
// mail goes.
func printLabDNS(out io.Writer, l *lab.Lab) {
	fmt.Fprintf(out, "  %-11s %-16s %s and %s, UDP and TCP; unsigned: without DNSSEC the answers are insecure (no AD bit)\n",
		"dns", l.DNSAddr(), lab.Domain, lab.ForgedDomain)
	host, port := splitAddr(l.DNSAddr())
	fmt.Fprintf(out, "  %-28s try: dig @%s -p %s %s MX\n", "", host, port, lab.Domain)
	fmt.Fprintf(out, "  %-11s %-16s %s (mode enforce), certificate from the lab CA\n", "mta-sts", l.PolicyAddr(), lab.PolicyURL())
	fmt.Fprintf(out, "  %-11s %s: %s (10), %s (20), both the %s endpoint, port %d\n",
		"MX", lab.Domain, lab.MXHosts[0], lab.MXHosts[1], l.MXEndpoint().Name, l.MXPort())
}

// shareCA leaves the lab's CA where a command of the same user asking
// the lab's DNS server for one of its names finds it (labCAFile), and
// returns its name; "" when it cannot (no state directory), said in the
// commands printed instead.
func shareCA(l *lab.Lab) string {
	file := labCAFile(l.DNSAddr())
	if file == "" || client.ReplacePrivate(file, l.CAPEM()) != nil { // 0700 directory, 0600 file, renamed into place
		return ""
	}
	return file
}

// printLabRoute prints the commands that reach lab.test from another
// terminal through the lab's DNS server: its port map (_ports.lab.test)
// and its CA are found there, so only the resolver is given.
func printLabRoute(out io.Writer, l *lab.Lab, shared bool, caOut string) {
	ca := ""
	if !shared {
		ca = " --ca " + caOut
	}
	fmt.Fprintf(out, "from another terminal, by MX through the lab's DNS (ports from %s):\n", lab.PortsName)
	fmt.Fprintf(out, "  ehlo probe --mx %s --resolver %s%s\n", lab.Domain, l.DNSAddr(), ca)
	fmt.Fprintf(out, "  ehlo --mx %s --resolver %s%s            (the explorer; doctor --mx and send --mx alike)\n", lab.Domain, l.DNSAddr(), ca)
}

// splitAddr splits "127.0.0.1:1053" or "[::1]:1053" into host and port.
func splitAddr(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// writeTempCA writes the CA certificate to a new temporary file, with a
// name no one can guess (os.CreateTemp), and returns its name.
func writeTempCA(cert []byte) (string, error) {
	f, err := os.CreateTemp("", "ehlo-lab-ca-*.pem")
	if err != nil {
		return "", err
	}
	if err := writeAll(f, cert); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// writeCA writes the CA certificate to path, which must not be a symbolic
// link nor hold anything but PEM certificates (a previous run's CA): a
// mistyped --ca-out never clobbers a file. The certificate is written to a
// new file beside it, then renamed over it: a rename replaces a name and
// follows no link, and a reader never sees half a certificate. It is
// public, so mode 0644.
func writeCA(path string, cert []byte) error {
	if err := replaceable(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".ehlo-lab-ca-*")
	if err != nil {
		return err
	}
	if err := writeAll(f, cert); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// replaceable reports why path may not be replaced by a CA certificate.
func replaceable(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return client.ErrSymlink
	case !fi.Mode().IsRegular():
		return errors.New("is not a regular file: not replaced")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !onlyCertificates(b) {
		return errors.New("exists and is not a PEM certificate: not overwritten (remove it, or name another file)")
	}
	return nil
}

// onlyCertificates reports b holding PEM certificates and nothing else.
func onlyCertificates(b []byte) bool {
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return n > 0 && len(bytes.TrimSpace(b)) == 0
		}
		if block.Type != "CERTIFICATE" {
			return false
		}
		n++
	}
}

// writeAll writes b to f, mode 0644, and closes it.
func writeAll(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if cerr := f.Chmod(0o644); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
