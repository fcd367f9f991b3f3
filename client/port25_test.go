package client

import (
	"strings"
	"testing"
	"time"
)

func TestPort25Blocked(t *testing.T) {
	timeout := func(host string) Port25Attempt {
		return Port25Attempt{Host: host, Addr: "192.0.2.1:25", TimedOut: true, After: 30 * time.Second}
	}
	refused := Port25Attempt{Host: "mx3.example", Addr: "192.0.2.3:25", Err: "connection refused"}
	tests := []struct {
		name     string
		dns      bool
		attempts []Port25Attempt
		other    string
		want     bool
	}{
		{"every MX silent, DNS and 587 work", true, []Port25Attempt{timeout("mx1.example"), timeout("mx2.example")}, "smtp.gmail.com:587", true},
		{"one MX refuses: it answered, so 25 goes out", true, []Port25Attempt{timeout("mx1.example"), refused}, "smtp.gmail.com:587", false},
		{"DNS failed: nothing says the network works", false, []Port25Attempt{timeout("mx1.example")}, "smtp.gmail.com:587", false},
		{"no other port tried", true, []Port25Attempt{timeout("mx1.example")}, "", false},
		{"no MX tried", true, nil, "smtp.gmail.com:587", false},
	}
	for _, tt := range tests {
		f, ok := Port25Blocked(tt.dns, tt.attempts, tt.other)
		if ok != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, ok, tt.want)
			continue
		}
		if ok && (f.ID != "port25-blocked" || !strings.Contains(f.Title, "2 MX addresses all timed out") ||
			!strings.Contains(f.Fix, "submission server") || len(f.Evidence) != 3) {
			t.Errorf("%s: %+v", tt.name, f)
		}
	}
}
