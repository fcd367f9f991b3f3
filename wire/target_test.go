package wire

import "testing"

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, host, port string
		ok             bool
	}{
		{"mx.example.com", "mx.example.com", "25", true},
		{"mx.example.com:587", "mx.example.com", "587", true},
		{"127.0.0.1", "127.0.0.1", "25", true},
		{"127.0.0.1:465", "127.0.0.1", "465", true},
		{"[::1]:465", "::1", "465", true},
		{"[::1]", "::1", "25", true},
		{"::1", "::1", "25", true},
		{"2001:db8::1", "2001:db8::1", "25", true},
		{"[2001:db8::1]:2525", "2001:db8::1", "2525", true},
		{"fe80::1%eth0", "fe80::1%eth0", "25", true},
		{"localhost:65535", "localhost", "65535", true},
		{"", "", "", false},
		{":25", "", "", false},
		{"[]:25", "", "", false},
		{"[]", "", "", false},
		{"mx.example.com:", "", "", false},
		{"mx.example.com:smtp", "", "", false},
		{"mx.example.com:0", "", "", false},
		{"mx.example.com:65536", "", "", false},
		{"mx.example.com:-1", "", "", false},
		{"mx.example.com:+25", "", "", false},
		{"[::1]:x", "", "", false},
		{"[::1", "", "", false},
		{"mx.example.com:25:26", "", "", false},
		{"mx example.com", "", "", false},
	}
	for _, tt := range tests {
		host, port, err := ParseTarget(tt.in)
		if (err == nil) != tt.ok || host != tt.host || port != tt.port {
			t.Errorf("ParseTarget(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, host, port, err, tt.host, tt.port, tt.ok)
		}
	}
}

func TestModeImplicitTLS(t *testing.T) {
	tests := []struct {
		mode Mode
		port string
		want bool
	}{
		{ModeAuto, "465", true},
		{ModeAuto, "25", false},
		{ModeAuto, "587", false},
		{ModePlain, "465", false},
		{ModeImplicitTLS, "25", true},
		{ModeImplicitTLS, "465", true},
	}
	for _, tt := range tests {
		if got := tt.mode.implicitTLS(tt.port); got != tt.want {
			t.Errorf("%v.implicitTLS(%q) = %v, want %v", tt.mode, tt.port, got, tt.want)
		}
	}
}
