package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// connectUsage is :connect's; its flags are the command line's of the same
// names, which the explanations of failures name.
const connectUsage = "usage: :connect HOST[:PORT] [--tls|--tls=false] [--insecure] [--ca FILE] [--servername NAME] " +
	"[--tls-min V] [--tls-max V] [--ciphers LIST] [--curves LIST] [--alpn LIST] [--cert FILE [--key FILE]] " +
	"[--proxy socks5://HOST:PORT] [--proxy-protocol v1|v2 --proxy-source ADDR:PORT] [-4|-6] [--local-address ADDR] " +
	"[--protocol smtp|lmtp] (port 25 by default)"

// connectReq is a :connect line read: where to, the options, and the
// files to read before the dial (in a command, never in Update).
type connectReq struct {
	target         string
	opts           client.Options
	ca, cert, key  string
	proxyProtocol  string
	proxySource    string
	ipv4, ipv6     bool
	tlsMin, tlsMax string
}

// parseConnect reads ":connect HOST[:PORT] [flags]" over base, the
// command line's options; a flag takes its value after a space or an
// "=". What is wrong is said in words.
func parseConnect(arg string, base client.Options) (connectReq, error) {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return connectReq{}, errors.New(connectUsage)
	}
	if _, _, err := wire.ParseTarget(f[0]); err != nil || strings.HasPrefix(f[0], "-") {
		return connectReq{}, errors.New(connectUsage)
	}
	r := connectReq{target: f[0], opts: base}
	if base.Transport.Pipe != "" { // a target named is a socket: the --pipe program is left
		r.opts.Transport.Pipe = ""
		if r.opts.GreetingWait < 0 { // set for the program, which a second connection would run again
			r.opts.GreetingWait = 0
		}
	}
	for i := 1; i < len(f); i++ {
		name, value, hasValue := strings.Cut(f[i], "=")
		if fn, ok := connectSwitches[name]; ok {
			if err := fn(&r, value, hasValue); err != nil {
				return connectReq{}, err
			}
			continue
		}
		fn, ok := connectValues[name]
		if !ok {
			return connectReq{}, fmt.Errorf("%s: not a :connect flag; %s", session.SanitizeString(f[i]), connectUsage)
		}
		if !hasValue {
			if i+1 >= len(f) {
				return connectReq{}, fmt.Errorf("%s needs a value; %s", name, connectUsage)
			}
			i++
			value = f[i]
		}
		if err := fn(&r, value); err != nil {
			return connectReq{}, err
		}
	}
	return r, r.finish()
}

// connectSwitches are the flags without a value (--tls=false aside).
var connectSwitches = map[string]func(r *connectReq, value string, hasValue bool) error{
	"--tls": func(r *connectReq, v string, has bool) error {
		switch {
		case !has || v == "true":
			r.opts.ImplicitTLS, r.opts.Plain = true, false
		case v == "false":
			r.opts.ImplicitTLS, r.opts.Plain = false, true
		default:
			return fmt.Errorf("--tls=%s: want --tls or --tls=false", session.SanitizeString(v))
		}
		return nil
	},
	"--insecure": func(r *connectReq, _ string, _ bool) error { r.opts.Insecure = true; return nil },
	"-4":         func(r *connectReq, _ string, _ bool) error { r.ipv4 = true; return nil },
	"-6":         func(r *connectReq, _ string, _ bool) error { r.ipv6 = true; return nil },
	"--ipv4":     func(r *connectReq, _ string, _ bool) error { r.ipv4 = true; return nil },
	"--ipv6":     func(r *connectReq, _ string, _ bool) error { r.ipv6 = true; return nil },
}

// connectValues are the flags that take a value.
var connectValues = map[string]func(r *connectReq, value string) error{
	"--ca":         func(r *connectReq, v string) error { r.ca = v; return nil },
	"--servername": func(r *connectReq, v string) error { r.opts.ServerName = v; return nil },
	"--tls-min":    func(r *connectReq, v string) error { r.tlsMin = v; return nil },
	"--tls-max":    func(r *connectReq, v string) error { r.tlsMax = v; return nil },
	"--cert":       func(r *connectReq, v string) error { r.cert = v; return nil },
	"--key":        func(r *connectReq, v string) error { r.key = v; return nil },
	"--ciphers": func(r *connectReq, v string) (err error) {
		r.opts.TLS.Wire.CipherSuites, err = client.ParseCiphers(v)
		return err
	},
	"--curves": func(r *connectReq, v string) (err error) {
		r.opts.TLS.Wire.Curves, err = client.ParseCurves(v)
		return err
	},
	"--alpn": func(r *connectReq, v string) error {
		r.opts.TLS.Wire.ALPN = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if len(p) > 255 {
				return errors.New("--alpn: a protocol name is at most 255 bytes (RFC 7301 section 3.1)")
			}
			r.opts.TLS.Wire.ALPN = append(r.opts.TLS.Wire.ALPN, p)
		}
		return nil
	},
	"--proxy": func(r *connectReq, v string) error {
		p, err := wire.ParseSOCKS5(v)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "wire: "))
		}
		r.opts.Transport.Proxy = p
		return nil
	},
	"--proxy-protocol": func(r *connectReq, v string) error { r.proxyProtocol = v; return nil },
	"--proxy-source":   func(r *connectReq, v string) error { r.proxySource = v; return nil },
	"--local-address": func(r *connectReq, v string) error {
		r.opts.Transport.LocalAddr = v
		return nil
	},
	"--protocol": func(r *connectReq, v string) error {
		switch strings.ToLower(v) {
		case "smtp":
			r.opts.LMTP = false
		case "lmtp":
			r.opts.LMTP = true
		default:
			return fmt.Errorf("--protocol %q: want smtp or lmtp", session.SanitizeString(v))
		}
		return nil
	},
}

// finish checks what goes together: the TLS versions, -4 and -6, the
// PROXY header and its source, a key with its certificate.
func (r *connectReq) finish() error {
	if err := r.versions(); err != nil {
		return err
	}
	switch {
	case r.ipv4 && r.ipv6:
		return errors.New("-4 and -6: give one of them")
	case r.ipv4:
		r.opts.Transport.Family = "4"
	case r.ipv6:
		r.opts.Transport.Family = "6"
	}
	switch {
	case r.proxySource != "" && r.proxyProtocol == "":
		return errors.New("--proxy-source needs --proxy-protocol v1 or v2")
	case r.proxyProtocol != "" && r.proxySource == "":
		return errors.New("--proxy-protocol needs --proxy-source ADDR:PORT, the client address to claim")
	case r.proxyProtocol != "":
		h, err := wire.ParseProxyHeader(r.proxyProtocol, r.proxySource)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "wire: "))
		}
		r.opts.Transport.Header = h
	}
	if r.key != "" && r.cert == "" {
		return errors.New("--key needs --cert: the key belongs to a certificate")
	}
	return nil
}

// versions reads --tls-min and --tls-max, each against the other (or the
// command line's).
func (r *connectReq) versions() error {
	if r.tlsMin != "" {
		v, ok := client.ParseTLSVersion(r.tlsMin)
		if !ok {
			return fmt.Errorf("--tls-min %q: want 1.0, 1.1, 1.2 or 1.3", session.SanitizeString(r.tlsMin))
		}
		r.opts.MinTLS = v
	}
	if r.tlsMax != "" {
		v, ok := client.ParseTLSVersion(r.tlsMax)
		if !ok {
			return fmt.Errorf("--tls-max %q: want 1.0, 1.1, 1.2 or 1.3", session.SanitizeString(r.tlsMax))
		}
		r.opts.TLS.Wire.MaxVersion = v
	}
	lo, hi := r.opts.MinTLS, r.opts.TLS.Wire.MaxVersion
	if lo == 0 {
		lo, _ = client.ParseTLSVersion("1.2")
	}
	if hi != 0 && hi < lo {
		return fmt.Errorf("--tls-max %s is below --tls-min %s: no version is left to offer", client.TLSVersionNumber(hi), client.TLSVersionNumber(lo))
	}
	return nil
}
