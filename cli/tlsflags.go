package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// keyLogEnv names the file TLS secrets are written to, in the NSS key log
// format, as browsers, curl and openssl read it.
const keyLogEnv = "SSLKEYLOGFILE"

// tlsFlags are the TLS choices shared by every command that dials, beside
// connFlags' --tls-min: the other end of the versions, the suites and
// groups offered, ALPN, a client certificate, and where the chain goes.
type tlsFlags struct {
	max, ciphers, curves, alpn string
	cert, key                  string
	showCerts                  bool
	certsOut                   string
	reconnect                  bool
	last                       lastTLS        // the latest handshake, for --show-certs and --certs-out
	cmd                        *cobra.Command // for its standard error, where the key log is announced
}

func (f *tlsFlags) register(cmd *cobra.Command) {
	f.cmd = cmd
	fl := cmd.Flags()
	fl.StringVar(&f.max, "tls-max", "1.3", "highest TLS version to offer: 1.0, 1.1, 1.2 or 1.3")
	fl.StringVar(&f.ciphers, "ciphers", "", "cipher suites to offer for TLS 1.2 and older, comma-separated IANA names (TLS 1.3's are Go's own)")
	fl.StringVar(&f.curves, "curves", "", "key exchange groups to offer, in order: "+strings.Join(wire.CurveNames, ", "))
	fl.StringVar(&f.alpn, "alpn", "", "protocols to offer by ALPN, comma-separated (for example smtp)")
	fl.StringVar(&f.cert, "cert", "", "client certificate (PEM, with its chain) to send when the server asks for one")
	fl.StringVar(&f.key, "key", "", "private key of --cert (PEM, not encrypted); default: in the --cert file")
	fl.BoolVar(&f.showCerts, "show-certs", false, "print the server's certificate chain as PEM, as openssl s_client -showcerts does")
	fl.StringVar(&f.certsOut, "certs-out", "", "write the server's certificate chain as PEM to this file (mode 0600; a symbolic link is refused)")
}

// registerReconnect adds --reconnect, for the commands that can connect a
// second time to try resuming the TLS session.
func (f *tlsFlags) registerReconnect(fl *pflag.FlagSet, usage string) {
	fl.BoolVar(&f.reconnect, "reconnect", false, usage)
}

// apply checks the flags and puts them on opts; a file that cannot be used
// is a usage error, in words. SSLKEYLOGFILE, when set, is opened for
// appending and announced on standard error: it is a secret.
func (f *tlsFlags) apply(opts *client.Options) error {
	t := &opts.TLS
	t.Reconnect = f.reconnect
	hi, ok := client.ParseTLSVersion(f.max)
	if !ok {
		return usageErr(fmt.Errorf("--tls-max %q: want 1.0, 1.1, 1.2 or 1.3", f.max))
	}
	lo := opts.MinTLS
	if lo == 0 {
		lo, _ = client.ParseTLSVersion("1.2")
	}
	if hi < lo {
		return usageErr(fmt.Errorf("--tls-max %s is below --tls-min %s: no version is left to offer (give --tls-min %s too)", f.max, client.TLSVersionNumber(lo), f.max))
	}
	t.Wire.MaxVersion = hi
	if err := f.lists(&t.Wire); err != nil {
		return usageErr(err)
	}
	if f.key != "" && f.cert == "" {
		return usageErr(errors.New("--key needs --cert: the key belongs to a certificate"))
	}
	if f.cert != "" {
		pair, err := client.LoadClientCert(f.cert, f.key)
		if err != nil {
			return usageErr(err)
		}
		t.Wire.Certificate = &pair
	}
	if f.showCerts && f.certsOut != "" {
		return usageErr(errors.New("give --show-certs (to standard output) or --certs-out FILE, not both"))
	}
	if fi, err := os.Lstat(f.certsOut); f.certsOut != "" && err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return usageErr(client.FileErr("--certs-out", f.certsOut, client.ErrSymlink))
	}
	t.Wire.Handshaked = f.last.keep
	return f.keyLog(t)
}

// lists reads --ciphers, --curves and --alpn.
func (f *tlsFlags) lists(w *wire.TLSOptions) error {
	var err error
	if f.ciphers != "" {
		if w.CipherSuites, err = client.ParseCiphers(f.ciphers); err != nil {
			return err
		}
	}
	if f.curves != "" {
		if w.Curves, err = client.ParseCurves(f.curves); err != nil {
			return err
		}
	}
	for _, p := range strings.Split(f.alpn, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if len(p) > 255 {
			return fmt.Errorf("--alpn: a protocol name is at most 255 bytes (RFC 7301 section 3.1)")
		}
		w.ALPN = append(w.ALPN, p)
	}
	return nil
}

// keyLog opens SSLKEYLOGFILE, when set, to append the session's secrets,
// as a private file (0600, no symbolic link followed), and says so on
// standard error.
func (f *tlsFlags) keyLog(t *client.TLSSettings) error {
	path := os.Getenv(keyLogEnv)
	if path == "" {
		return nil
	}
	file, err := client.OpenPrivate(path, os.O_APPEND)
	if err != nil {
		return usageErr(client.FileErr(keyLogEnv, path, err))
	}
	t.Wire.KeyLog, t.KeyLogFile = file, path
	fmt.Fprintf(f.stderr(), "ehlo: %s is set: TLS secrets are appended to %s; it is a secret: anyone who has it can decrypt these sessions\n", keyLogEnv, path)
	return nil
}

func (f *tlsFlags) stderr() io.Writer {
	if f.cmd == nil {
		return os.Stderr
	}
	return f.cmd.ErrOrStderr()
}

// lastTLS keeps the facts of the latest handshake, which wire reports
// from the goroutine that ran it.
type lastTLS struct {
	mu   sync.Mutex
	info *wire.TLSInfo
}

func (l *lastTLS) keep(info wire.TLSInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.info = &info
}

// get is the latest handshake's facts; nil when none completed.
func (l *lastTLS) get() *wire.TLSInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// finish prints or writes the chain of the latest handshake, for the
// commands that report no chain of their own (send, run, doctor, the
// explorer). A file that cannot be written is said on standard error.
// With asJSON the chain is not printed: the JSON holds it.
func (f *tlsFlags) finish(out io.Writer, asJSON bool) {
	if asJSON && f.showCerts {
		return
	}
	if info := f.last.get(); (f.showCerts || f.certsOut != "") && (info == nil || len(info.Chain) == 0) {
		fmt.Fprintln(f.stderr(), "ehlo: no certificate chain to show: no TLS handshake completed")
		return
	}
	if err := f.writeChain(out, f.last.get()); err != nil {
		fmt.Fprintf(f.stderr(), "ehlo: %s\n", err)
	}
}

// writeChain prints the chain for --show-certs to out, or writes it to
// --certs-out's file; nothing without either, or without a chain.
func (f *tlsFlags) writeChain(out io.Writer, info *wire.TLSInfo) error {
	if info == nil || len(info.Chain) == 0 || !f.showCerts && f.certsOut == "" {
		return nil
	}
	if f.showCerts {
		fmt.Fprintln(out, "\nCertificate chain")
		return client.WriteChainPEM(out, info.Chain)
	}
	file, err := client.OpenPrivate(f.certsOut, os.O_TRUNC)
	if err != nil {
		return client.FileErr("--certs-out", f.certsOut, err)
	}
	if err := client.WriteChainPEM(file, info.Chain); err != nil {
		file.Close()
		return client.FileErr("--certs-out", f.certsOut, err)
	}
	return file.Close()
}

// chainJSON adds each certificate's PEM to a probe's JSON for --show-certs.
func (f *tlsFlags) chainJSON(out client.ProbeJSON, info *wire.TLSInfo) client.ProbeJSON {
	if f.showCerts && out.TLS != nil && info != nil {
		client.AddPEM(out.TLS, info.Chain)
	}
	return out
}

// explorerTickets gives the explorer a session cache for --reconnect: each
// :reconnect (and :connect) then offers the ticket of the session before.
func explorerTickets(opts client.Options) client.Options {
	if opts.TLS.Reconnect {
		opts = opts.KeepTickets()
	}
	return opts
}

// doctorJSON adds the latest handshake's facts to the doctor's JSON, as
// "tls" (null without one), with each certificate's PEM for --show-certs.
func (f *tlsFlags) doctorJSON(out client.DoctorJSON) any {
	v := struct {
		client.DoctorJSON
		TLS *client.TLSJSON `json:"tls"`
	}{DoctorJSON: out}
	if info := f.last.get(); info != nil {
		v.TLS = client.TLSInfoJSON(*info)
		if f.showCerts {
			client.AddPEM(v.TLS, info.Chain)
		}
	}
	return v
}

// writeChains writes the chains of every probe to --certs-out, one after
// the other, in the order of the targets.
func (f *tlsFlags) writeChains(results []client.ProbeResult) error {
	if f.certsOut == "" {
		return nil
	}
	var all wire.TLSInfo
	for _, r := range results {
		if r.TLS != nil {
			all.Chain = append(all.Chain, r.TLS.Chain...)
		}
	}
	if len(all.Chain) == 0 {
		return fmt.Errorf("--certs-out %s: no certificate to write: no TLS session got that far", f.certsOut)
	}
	return f.writeChain(io.Discard, &all)
}

// replay are the TLS flags given, as a saved script's replay line needs
// them: name and value, files absolute, so that it works from any
// directory. The key log is the environment's, and stays out.
func (f *tlsFlags) replay(fs *pflag.FlagSet) [][2]string {
	var out [][2]string
	for _, fl := range []struct {
		name string
		file bool
	}{{"tls-min", false}, {"tls-max", false}, {"ciphers", false}, {"curves", false}, {"alpn", false}, {"cert", true}, {"key", true}} {
		if fs == nil || !fs.Changed(fl.name) {
			continue
		}
		v := fs.Lookup(fl.name).Value.String()
		if fl.file {
			v = absPath(v)
		}
		out = append(out, [2]string{"--" + fl.name, v})
	}
	return out
}
