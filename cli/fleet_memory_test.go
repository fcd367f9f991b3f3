package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestFleetMemory: a fleet run raises GOGC under a ceiling that grows
// with the probes in flight, puts both back when it ends, and leaves a
// user's GOGC or GOMEMLIMIT alone.
func TestFleetMemory(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	beforeLimit := debug.SetMemoryLimit(-1)

	restore := fleetMemory(1000)
	if got := debug.SetGCPercent(fleetGCPercent); got != fleetGCPercent {
		t.Errorf("GOGC during the run: %d, want %d", got, fleetGCPercent)
	}
	limit := debug.SetMemoryLimit(-1)
	if want := int64(fleetMemoryBase + 1000*fleetMemoryEach); limit != want || limit > 150<<20 {
		t.Errorf("memory ceiling at --parallel 1000: %d MB, want %d MB (under 150)", limit>>20, want>>20)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC after the run: %d, want 100 back", got)
	}
	if got := debug.SetMemoryLimit(-1); got != beforeLimit {
		t.Errorf("memory limit after the run: %d, want %d back", got, beforeLimit)
	}

	t.Setenv("GOGC", "50")
	fleetMemory(1000)()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set by the user: GOGC %d, want it left alone (100)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != beforeLimit {
		t.Errorf("with GOGC set by the user: memory limit %d, want it left alone", got)
	}
}

// TestFleetMemoryFollowsLive: a ceiling below twice the live heap is
// raised to it, so the collector never runs back to back against it; one
// above is kept.
func TestFleetMemoryFollowsLive(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	keep := make([]byte, 8<<20) // live for the test's length
	runtime.GC()                // the live heap is measured by a collection
	got := followLive(1)
	if got <= fleetMemoryBase+2*int64(len(keep)) || debug.SetMemoryLimit(-1) != got {
		t.Errorf("a 1-byte ceiling with 8 MB live became %d (the limit %d), want above %d", got, debug.SetMemoryLimit(-1), fleetMemoryBase+2*len(keep))
	}
	if high := int64(1 << 40); followLive(high) != high {
		t.Error("a ceiling far above the live heap was changed")
	}
	runtime.KeepAlive(keep)
}
