package domain

import (
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct{ in, ascii, uni string }{
		{"Example.ORG.", "example.org", "example.org"},
		{"bücher.example", "xn--bcher-kva.example", "bücher.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"},
		{"MÜNCHEN.de", "xn--mnchen-3ya.de", "münchen.de"},
		{"_mta-sts.example.org", "_mta-sts.example.org", "_mta-sts.example.org"},
	}
	for _, tt := range tests {
		n, err := ParseName(tt.in)
		if err != nil || n.ASCII != tt.ascii || n.Unicode != tt.uni {
			t.Errorf("ParseName(%q) = %+v, %v; want %s / %s", tt.in, n, err, tt.ascii, tt.uni)
		}
	}
	for _, bad := range []string{"", "a..b", "-a.example", "a-.example", strings.Repeat("a", 64) + ".example",
		"a b.example", "evil\x1b[31m.example", "a/b.example", "xn--zz-!.example", strings.Repeat("abcdefgh.", 32) + "example",
		"\xff.example", "bad\u202e.example"} {
		if n, err := ParseName(bad); err == nil {
			t.Errorf("ParseName(%q) = %+v, want an error", bad, n)
		}
	}
}

func TestAddress(t *testing.T) {
	tests := []struct{ in, domain, port, err string }{
		{"bob@example.org", "example.org", "", ""},
		{"example.org", "example.org", "", ""},
		{"example.org:2525", "example.org", "2525", ""},
		{"Bob@Bücher.Example:10025", "xn--bcher-kva.example", "10025", ""},
		{"example.org:0", "", "", "bad port"},
		{"example.org:x", "", "", "bad port"},
		{"[192.0.2.1]", "", "", "address literal"},
		{"192.0.2.1", "", "", "address literal"},
		{"bob@", "", "", "empty"},
	}
	for _, tt := range tests {
		n, port, err := Address(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Address(%q) = %v, %q, %v; want error with %q", tt.in, n, port, err, tt.err)
			}
			continue
		}
		if err != nil || n.ASCII != tt.domain || port != tt.port {
			t.Errorf("Address(%q) = %v, %q, %v", tt.in, n, port, err)
		}
	}
}
