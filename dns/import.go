package dns

import (
	// The DNS library the resolver is built on: Go's net resolver exposes
	// neither the AD bit nor TLSA records (README, "Why miekg/dns").
	_ "github.com/miekg/dns"
)
