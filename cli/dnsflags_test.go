package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/dns"
)

func TestResolverChoice(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 192.0.2.53\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == resolverEnv {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct{ args, env, want string }{
		{"", "", "192.0.2.53:53"},
		{"", "127.0.0.1:5353", "127.0.0.1:5353"},
		{"--resolver=::1", "127.0.0.1:5353", "[::1]:53"},
		{"--resolver=[::1]:5300", "", "[::1]:5300"},
	} {
		var f dnsFlags
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		f.register(fs)
		if err := fs.Parse(strings.Fields(c.args)); err != nil {
			t.Fatal(err)
		}
		got, err := f.address(env(c.env), conf)
		if err != nil || got != c.want {
			t.Errorf("%q with %s=%q: %q, %v; want %q", c.args, resolverEnv, c.env, got, err, c.want)
		}
	}
}

func TestResolverChoiceErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "resolv.conf")
	var exit *exitError
	f := dnsFlags{server: "dns.example"}
	if _, err := f.address(func(string) string { return "" }, missing); !errors.As(err, &exit) || exit.code != exitUsage ||
		!strings.Contains(err.Error(), "--resolver") {
		t.Errorf("--resolver dns.example: %v, want a usage error naming --resolver", err)
	}
	f = dnsFlags{}
	if _, err := f.address(func(string) string { return "127.0.0.1:x" }, missing); !errors.As(err, &exit) ||
		!strings.Contains(err.Error(), "$EHLO_RESOLVER") {
		t.Errorf("EHLO_RESOLVER=127.0.0.1:x: %v, want a usage error naming $EHLO_RESOLVER", err)
	}
	_, err := f.address(func(string) string { return "" }, missing)
	if !errors.Is(err, dns.ErrNoResolver) || !strings.Contains(err.Error(), "--resolver ADDR[:PORT] or EHLO_RESOLVER") {
		t.Errorf("no resolv.conf: %v, want ErrNoResolver saying how to name one", err)
	}
}

func TestResolverClient(t *testing.T) {
	t.Setenv(resolverEnv, "127.0.0.1:5353")
	var seen []dns.Exchange
	c, err := (&dnsFlags{}).resolver(func(x dns.Exchange) { seen = append(seen, x) })
	if err != nil || c.Server != "127.0.0.1:5353" || c.Observer == nil {
		t.Fatalf("resolver() = %+v, %v; want a client for 127.0.0.1:5353 with the observer", c, err)
	}
	c.Observer(dns.Exchange{Name: "x."})
	if len(seen) != 1 {
		t.Error("the client's observer is not the one given")
	}
}
