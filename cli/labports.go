package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// remoteLab is what an `ehlo lab` running in another terminal tells a
// command that asks its DNS server (--resolver) about one of its domains:
// the ports its MX hosts and its policy host listen on, in place of 25 and
// 443, from the TXT record lab.PortsName ("mx=1025 mta-sts=1443"), and its
// CA, which the lab leaves in the user's state directory under the address
// of its DNS server (labCAFile). Only for the lab's own names (lab.Serves):
// a real domain never gets either.
type remoteLab struct {
	server             string // the resolver asked
	mxPort, policyPort string
	rootCAs            *x509.CertPool
	caFile             string // where rootCAs came from; "" when not found
}

// labPortsTimeout bounds the question for lab.PortsName.
const labPortsTimeout = 3 * time.Second

// findRemoteLab asks server (the named resolver) for the lab's port map,
// and loads the CA the lab at that address left, if any.
func findRemoteLab(ctx context.Context, server string) (remoteLab, error) {
	rl := remoteLab{server: server}
	ctx, cancel := context.WithTimeout(ctx, labPortsTimeout)
	defer cancel()
	a, err := dns.NewClient(server).Lookup(ctx, lab.PortsName+".", dns.TypeTXT)
	switch {
	case err != nil:
		return rl, err
	case a.Rcode != dns.RcodeSuccess || len(a.Records) == 0:
		return rl, fmt.Errorf("no %s TXT record there", lab.PortsName)
	}
	if rl.mxPort, rl.policyPort, err = parseLabPorts(strings.Join(a.Records[0].TXT, "")); err != nil {
		return rl, err
	}
	if file := labCAFile(server); file != "" {
		if pool, err := loadOwnCA(file); err == nil {
			rl.rootCAs, rl.caFile = pool, file
		}
	}
	return rl, nil
}

// parseLabPorts reads "mx=1025 mta-sts=1443": each a port from 1 to 65535.
func parseLabPorts(txt string) (mx, policy string, err error) {
	for _, f := range strings.Fields(txt) {
		k, v, _ := strings.Cut(f, "=")
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
			continue
		}
		switch k {
		case "mx":
			mx = v
		case "mta-sts":
			policy = v
		}
	}
	if mx == "" || policy == "" {
		return "", "", fmt.Errorf("%s says %q, not mx=PORT mta-sts=PORT", lab.PortsName, session.SanitizeString(txt))
	}
	return mx, policy, nil
}

// labCAFile is where a lab whose DNS server listens on server leaves its
// CA for the commands of the same user: in the state directory, named
// after the address ("lab-ca-127.0.0.1_1053.pem"); "" when there is no
// state directory.
func labCAFile(server string) string {
	name := strings.NewReplacer(":", "_", "[", "", "]", "", "/", "_").Replace(server)
	return stateFile(false, "lab-ca-"+name+".pem")
}

// loadOwnCA loads a lab's CA file: a regular file, not a link, that no
// one but its owner may write.
func loadOwnCA(file string) (*x509.CertPool, error) {
	if fi, err := os.Lstat(file); err == nil && fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%s may be written by others", file)
	}
	pem, err := client.ReadPrivate(file, 1<<20) // no link, a regular file, the one checked
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// apply puts the lab's ports and CA into o where no flag set them:
// DOMAIN:PORT, --mta-sts-port and --ca come first.
func (rl remoteLab) apply(o *client.DomainOptions) {
	if o.Port == "" {
		o.Port = rl.mxPort
	}
	if o.PolicyPort == "" {
		o.PolicyPort = rl.policyPort
	}
	if o.RootCAs == nil && rl.rootCAs != nil {
		o.RootCAs = rl.rootCAs
	}
}

// tell says on stderr what the lab published and what of it is used.
func (rl remoteLab) tell(w io.Writer, o client.DomainOptions) {
	ca := "no CA of it found: give --ca FILE, the file `ehlo lab` printed, or its certificates are not trusted"
	switch {
	case rl.rootCAs != nil && o.RootCAs == rl.rootCAs:
		ca = "its CA from " + rl.caFile
	case o.RootCAs != nil:
		ca = "--ca's CA"
	}
	fmt.Fprintf(w, "ehlo: the lab at %s publishes its ports (%s): MX hosts on port %s, MTA-STS on port %s; %s\n",
		rl.server, lab.PortsName, o.Port, o.PolicyPort, ca)
}

// namedLab reports whether every domain is one of the lab's and a
// resolver is named: the lab asked may be one running elsewhere.
func (f *mxFlags) namedLab(args []string) bool {
	return !f.labOnly(args) && f.allLab(args)
}

// useRemoteLab asks the named resolver for the lab's ports and CA when
// every domain is the lab's, and puts them into o; a resolver that knows
// nothing of them is said on w, and o is left as it was.
func (f *mxFlags) useRemoteLab(ctx context.Context, w io.Writer, args []string, o *client.DomainOptions) {
	if !f.namedLab(args) || o.Port != "" && o.PolicyPort != "" && o.RootCAs != nil {
		return
	}
	server, err := f.dns.address(os.Getenv, dns.ResolvConf)
	if err != nil {
		return // said when the resolver was made
	}
	rl, err := findRemoteLab(ctx, server)
	if err != nil {
		var ne interface{ Timeout() bool }
		why := session.SanitizeString(err.Error())
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			why = "no answer"
		}
		fmt.Fprintf(w, "ehlo: %s: no port map of an ehlo lab at %s (%s): the MX hosts are tried on port 25 unless DOMAIN:PORT says otherwise\n",
			lab.PortsName, server, why)
		return
	}
	rl.apply(o)
	rl.tell(w, *o)
}
