package cli

import (
	"os"
	"runtime/debug"
)

// Fleet memory: a fleet run allocates much and keeps little (what is in
// flight), and at Go's default (GOGC=100) it spent a fifth of its CPU in
// the garbage collector: collecting each time the heap doubled a live set
// of 1,000 probes, scanning 1,000 stacks each time. fleetMemory lets the
// heap grow further between collections (GOGC=400) under a ceiling that
// grows with the probes in flight (fleetMemoryBase and fleetMemoryEach a
// probe), so the peak RSS stays where the default put it (about 100 MB at
// --parallel 1000) and does not grow with the number of targets. A user's
// own GOGC or GOMEMLIMIT is left alone.
const (
	fleetGCPercent  = 400
	fleetMemoryBase = 40 << 20 // the process without probes: binary, runtime, buffers
	fleetMemoryEach = 64 << 10 // a probe in flight: about twice what one keeps live
)

// fleetMemory sets the collector for parallel probes at once; restore
// puts back what was set before.
func fleetMemory(parallel int) (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(int64(fleetMemoryBase + parallel*fleetMemoryEach))
	percent := debug.SetGCPercent(fleetGCPercent)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}
