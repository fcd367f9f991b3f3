package session

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseEHLO(t *testing.T) {
	tests := []struct {
		name string
		r    Reply
		want Capabilities
	}{
		{"gmail", fixture(t, "gmail-ehlo-plain"), Capabilities{
			Domain: "smtp.gmail.com", Greet: "at your service, [160.16.209.99]",
			List: []Capability{
				{Keyword: "SIZE", Params: "35882577"},
				{Keyword: "8BITMIME"},
				{Keyword: "STARTTLS"},
				{Keyword: "ENHANCEDSTATUSCODES"},
				{Keyword: "PIPELINING"},
				{Keyword: "CHUNKING"},
				{Keyword: "SMTPUTF8"},
			},
		}},
		{"qq", fixture(t, "qq-ehlo"), Capabilities{
			Domain: "smtp.qq.com",
			List: []Capability{
				{Keyword: "PIPELINING"},
				{Keyword: "SIZE", Params: "52428800"},
				{Keyword: "AUTH", Params: "LOGIN PLAIN"},
				{Keyword: "AUTH", Params: "LOGIN", Legacy: true},
				{Keyword: "MAILCOMPRESS"},
				{Keyword: "8BITMIME"},
				{Keyword: "STARTTLS"},
			},
		}},
		{"lower case, blank and padded lines", mustReply(t, "250-mx.example\n250-auth=login plain\n250-\n250- size  1000 \n250 x-Vendor a  b"), Capabilities{
			Domain: "mx.example",
			List: []Capability{
				{Keyword: "AUTH", Params: "login plain", Legacy: true},
				{Keyword: "SIZE", Params: "1000"},
				{Keyword: "X-VENDOR", Params: "a  b"},
			},
		}},
		{"single line", mustReply(t, "250 mx.example"), Capabilities{Domain: "mx.example"}},
		{"refused", mustReply(t, "502 5.5.1 unrecognized command"), Capabilities{}},
	}
	for _, tt := range tests {
		if got := ParseEHLO(tt.r); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.name, got, tt.want)
		}
	}
}

func TestCapabilitiesQueries(t *testing.T) {
	gmail := ParseEHLO(fixture(t, "gmail-ehlo-plain"))
	gmailTLS := ParseEHLO(fixture(t, "gmail-ehlo-tls"))
	qq := ParseEHLO(fixture(t, "qq-ehlo"))
	legacyOnly := ParseEHLO(mustReply(t, "250-old.example\n250 AUTH=LOGIN"))

	has := []struct {
		c    Capabilities
		kw   string
		want bool
	}{
		{gmail, "STARTTLS", true},
		{gmail, "starttls", true},
		{gmail, "AUTH", false},
		{gmailTLS, "AUTH", true},
		{gmailTLS, "STARTTLS", false},
		{qq, "auth", true},
		{legacyOnly, "AUTH", true},
		{qq, "MAILCOMPRESS", true},
		{qq, "SMTPUTF8", false},
	}
	for _, tt := range has {
		if got := tt.c.Has(tt.kw); got != tt.want {
			t.Errorf("%s Has(%q) = %v", tt.c.Domain, tt.kw, got)
		}
	}

	params := []struct {
		c    Capabilities
		kw   string
		want string
		ok   bool
	}{
		{gmail, "size", "35882577", true},
		{gmail, "8BITMIME", "", true},
		{gmail, "AUTH", "", false},
		{qq, "AUTH", "LOGIN PLAIN", true},
		{legacyOnly, "AUTH", "LOGIN", true},
	}
	for _, tt := range params {
		if got, ok := tt.c.Param(tt.kw); got != tt.want || ok != tt.ok {
			t.Errorf("%s Param(%q) = %q, %v", tt.c.Domain, tt.kw, got, ok)
		}
	}

	mechs := []struct {
		c    Capabilities
		want []string
	}{
		{gmail, nil},
		{gmailTLS, []string{"LOGIN", "PLAIN", "XOAUTH2", "PLAIN-CLIENTTOKEN", "OAUTHBEARER", "XOAUTH"}},
		{qq, []string{"LOGIN", "PLAIN"}},
		{ParseEHLO(mustReply(t, "250-x\n250-AUTH=login cram-md5\n250 AUTH PLAIN LOGIN")), []string{"LOGIN", "CRAM-MD5", "PLAIN"}},
	}
	for _, tt := range mechs {
		if got := tt.c.AuthMechanisms(); !slices.Equal(got, tt.want) {
			t.Errorf("%s AuthMechanisms() = %q, want %q", tt.c.Domain, got, tt.want)
		}
	}
}

func TestMaxSize(t *testing.T) {
	tests := []struct {
		ehlo string
		n    int64
		ok   bool
	}{
		{"250-x\n250 SIZE 35882577", 35882577, true},
		{"250-x\n250 SIZE", 0, true},
		{"250-x\n250 SIZE 0", 0, true},
		{"250-x\n250 SIZE lots", 0, false},
		{"250-x\n250 SIZE -5", 0, false},
		{"250-x\n250 SIZE 99999999999999999999", 0, false},
		{"250-x\n250 8BITMIME", 0, false},
	}
	for _, tt := range tests {
		n, ok := ParseEHLO(mustReply(t, tt.ehlo)).MaxSize()
		if n != tt.n || ok != tt.ok {
			t.Errorf("%q MaxSize() = %d, %v; want %d, %v", tt.ehlo, n, ok, tt.n, tt.ok)
		}
	}
}

func TestDiffCapabilities(t *testing.T) {
	gmail := ParseEHLO(fixture(t, "gmail-ehlo-plain"))
	gmailTLS := ParseEHLO(fixture(t, "gmail-ehlo-tls"))

	d := DiffCapabilities(gmail, gmailTLS)
	want := CapDiff{
		Added:   []Capability{{Keyword: "AUTH", Params: "LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH"}},
		Removed: []Capability{{Keyword: "STARTTLS"}},
	}
	if !reflect.DeepEqual(d, want) || d.Empty() {
		t.Errorf("gmail diff:\n got %#v\nwant %#v", d, want)
	}

	if d := DiffCapabilities(gmail, gmail); !d.Empty() {
		t.Errorf("self diff = %#v", d)
	}

	before := ParseEHLO(mustReply(t, "250-a\n250-SIZE 1000\n250-AUTH LOGIN\n250-AUTH=LOGIN\n250 X-A 1"))
	after := ParseEHLO(mustReply(t, "250-b\n250-SIZE 2000\n250-AUTH LOGIN\n250-AUTH=LOGIN PLAIN\n250-AUTH CRAM-MD5\n250 X-A 1"))
	d = DiffCapabilities(before, after)
	want = CapDiff{
		Added: []Capability{{Keyword: "AUTH", Params: "CRAM-MD5"}},
		Changed: []CapChange{
			{Keyword: "SIZE", Before: "1000", After: "2000"},
			{Keyword: "AUTH=", Before: "LOGIN", After: "LOGIN PLAIN"},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("diff:\n got %#v\nwant %#v", d, want)
	}
	// The domain line is not a capability.
	if d := DiffCapabilities(Capabilities{Domain: "a"}, Capabilities{Domain: "b"}); !d.Empty() {
		t.Errorf("domain-only diff = %#v", d)
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1000, "1000 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{35882577, "34.2 MiB"},
		{52428800, "50 MiB"},
		{33554432, "32 MiB"},
		{1048575, "1.0 MiB"},
		{1 << 40, "1 TiB"},
		{-2048, "-2 KiB"},
		{1<<63 - 1, "8.0 EiB"},
		{-1 << 63, "-8 EiB"},
	}
	for _, tt := range tests {
		if got := HumanSize(tt.n); got != tt.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func FuzzParseEHLO(f *testing.F) {
	for _, name := range []string{"gmail-ehlo-plain", "gmail-ehlo-tls", "qq-ehlo", "minimal-ehlo"} {
		f.Add(fixture(f, name).Text())
	}
	f.Add("x\nAUTH=\nAUTH= \nSIZE 0\n\n  \nsize -1")
	f.Fuzz(func(t *testing.T, text string) {
		r := Reply{Code: 250, Lines: strings.Split(text, "\n")}
		c := ParseEHLO(r)
		if len(c.List) > len(r.Lines)-1 {
			t.Fatalf("%d capabilities from %d lines", len(c.List), len(r.Lines))
		}
		for _, capa := range c.List {
			if capa.Keyword == "" || capa.Keyword != upperASCII(capa.Keyword) || strings.Contains(capa.Keyword, " ") {
				t.Fatalf("bad keyword %q", capa.Keyword)
			}
			if !c.Has(capa.Keyword) || !c.Has(lowerASCII(capa.Keyword)) {
				t.Fatalf("Has(%q) false", capa.Keyword)
			}
		}
		mechs := c.AuthMechanisms()
		seen := map[string]bool{}
		for _, m := range mechs {
			if m == "" || m != upperASCII(m) || seen[m] {
				t.Fatalf("bad mechanism list %q", mechs)
			}
			seen[m] = true
		}
		if n, ok := c.MaxSize(); n < 0 || (!ok && n != 0) {
			t.Fatalf("MaxSize() = %d, %v", n, ok)
		}
		if d := DiffCapabilities(c, c); !d.Empty() {
			t.Fatalf("self diff %#v", d)
		}
		d := DiffCapabilities(Capabilities{}, c)
		if len(d.Added) != len(c.List) || len(d.Removed) != 0 {
			t.Fatalf("diff from nothing %#v", d)
		}
	})
}

func TestSplitHello(t *testing.T) {
	for _, tt := range []struct{ line, domain, greet string }{
		{"mail.example.org Hello foo [192.0.2.1]", "mail.example.org", "Hello foo [192.0.2.1]"},
		{"mx.example.org", "mx.example.org", ""},
		{" mx.example.org\tESMTP  ready ", "mx.example.org", "ESMTP  ready"},
		{"", "", ""},
	} {
		if d, g := SplitHello(tt.line); d != tt.domain || g != tt.greet {
			t.Errorf("SplitHello(%q) = %q, %q; want %q, %q", tt.line, d, g, tt.domain, tt.greet)
		}
	}
}
