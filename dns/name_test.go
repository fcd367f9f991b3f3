package dns

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for in, want := range map[string]Name{
		"example.org":             {"example.org.", "example.org."},
		"Example.ORG.":            {"example.org.", "example.org."},
		"bücher.example":          {"xn--bcher-kva.example.", "bücher.example."},
		"xn--bcher-kva.example":   {"xn--bcher-kva.example.", "bücher.example."},
		"_25._tcp.mx.example.org": {"_25._tcp.mx.example.org.", "_25._tcp.mx.example.org."},
		".":                       {".", "."},
	} {
		got, err := ParseName(in)
		if err != nil || got != want {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "..", "a..b", "a b.example", "a\\.b.example", "tab\t.example", "esc\x1b.example",
		"c1\u0085.example", strings.Repeat("a", 64) + ".example", strings.Repeat("abcdefghi.", 26) + "example"} {
		if got, err := ParseName(in); !errors.Is(err, ErrName) {
			t.Errorf("ParseName(%q) = %+v, %v; want ErrName", in, got, err)
		}
	}
}

func TestNameString(t *testing.T) {
	n, _ := ParseName("bücher.example")
	if got := n.String(); got != "bücher.example. (xn--bcher-kva.example.)" {
		t.Errorf("String() = %q", got)
	}
	if got := Display("xn--bcher-kva.example."); got != "bücher.example." {
		t.Errorf("Display = %q", got)
	}
	if got := Display(`odd\.label.example.`); got != `odd\.label.example.` {
		t.Errorf("Display of an escaped name = %q, want it as given", got)
	}
}

func TestParseServer(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":        "127.0.0.1:53",
		"127.0.0.1:5353":   "127.0.0.1:5353",
		"::1":              "[::1]:53",
		"[::1]:5353":       "[::1]:5353",
		"::ffff:127.0.0.2": "127.0.0.2:53",
	} {
		if got, err := ParseServer(in); err != nil || got != want {
			t.Errorf("ParseServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "resolver.example", "resolver.example:53", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:dns"} {
		if got, err := ParseServer(in); err == nil {
			t.Errorf("ParseServer(%q) = %q, want an error", in, got)
		}
	}
}

func TestSystemServer(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := write("resolv.conf", "# comment\nsearch example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.1\noptions edns0 trust-ad\n")
	if got, err := SystemServer(conf); err != nil || got != "127.0.0.53:53" {
		t.Errorf("SystemServer = %q, %v; want the first nameserver, 127.0.0.53:53", got, err)
	}
	v6 := write("v6.conf", "nameserver ::1\n")
	if got, err := SystemServer(v6); err != nil || got != "[::1]:53" {
		t.Errorf("SystemServer = %q, %v; want [::1]:53", got, err)
	}
	none := write("none.conf", "search example.org\n")
	for _, p := range []string{none, filepath.Join(dir, "missing.conf")} {
		_, err := SystemServer(p)
		if !errors.Is(err, ErrNoResolver) || !strings.Contains(err.Error(), "--resolver") {
			t.Errorf("SystemServer(%s): err = %v, want ErrNoResolver naming --resolver", filepath.Base(p), err)
		}
	}
}

// FuzzParseName: a name that parses is printable ASCII on the wire, at most
// 254 bytes with its final dot, and parses again to itself.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"example.org", "bücher.example.", "_25._tcp.mx.test", "xn--bcher-kva.example", "a\u202eb.test", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		for _, c := range []byte(n.ASCII) {
			if c <= ' ' || c >= 0x7f || c == '\\' {
				t.Fatalf("ParseName(%q).ASCII = %q holds %q", s, n.ASCII, c)
			}
		}
		if len(n.ASCII) > 254 || !strings.HasSuffix(n.ASCII, ".") {
			t.Fatalf("ParseName(%q).ASCII = %q", s, n.ASCII)
		}
		again, err := ParseName(n.ASCII)
		if err != nil || again.ASCII != n.ASCII {
			t.Fatalf("ParseName(%q) = %q, which parses to %q, %v", s, n.ASCII, again.ASCII, err)
		}
	})
}

func TestShown(t *testing.T) {
	for in, want := range map[string]string{"mx.example.org.": "mx.example.org", "mx.example.org": "mx.example.org", ".": ".", "": ""} {
		if got := Shown(in); got != want {
			t.Errorf("Shown(%q) = %q, want %q", in, got, want)
		}
	}
}
