package cli

import (
	"crypto/x509"
	"strconv"

	"github.com/ehlo-sh/ehlo/lab"
)

// labRoute is how a command routing by MX (--mx DOMAIN) reaches the
// domains of the built-in lab (lab.Serves: lab.test, forged.test) with no
// network and no flags: each field takes the place of a flag the user
// would otherwise give.
type labRoute struct {
	resolver   string         // the lab's DNS server, "127.0.0.1:1053": --resolver
	mxPort     int            // where every MX host of lab.test listens, in place of 25: --mx DOMAIN:PORT
	policyPort string         // where mta-sts.lab.test serves HTTPS, in place of 443
	rootCAs    *x509.CertPool // the lab CA, which signed the MX hosts' and the policy host's certificates: --ca
}

// startLabRoute starts a built-in lab for a command that routes mail to
// one of its domains. The caller closes the lab.
func startLabRoute() (*lab.Lab, labRoute, error) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		return nil, labRoute{}, err
	}
	return l, labRoute{
		resolver:   l.DNSAddr(),
		mxPort:     l.MXPort(),
		policyPort: strconv.Itoa(l.PolicyPort()),
		rootCAs:    l.CertPool(),
	}, nil
}
