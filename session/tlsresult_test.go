package session

import (
	"slices"
	"strings"
	"testing"
)

func TestTLSResults(t *testing.T) {
	all := TLSResults()
	if !slices.IsSortedFunc(all, func(a, b TLSResult) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("knownTLSResults is not sorted by name: LookupTLSResult would miss entries")
	}
	for _, r := range all {
		got, ok := LookupTLSResult(r.Name)
		if !ok || got.Plain == "" || !strings.HasPrefix(got.RFC, "RFC 8460 4.3") {
			t.Errorf("%s: %+v, %v", r.Name, got, ok)
		}
	}
	if _, ok := LookupTLSResult("no-such-result"); ok {
		t.Error("an unknown name was found")
	}
}
