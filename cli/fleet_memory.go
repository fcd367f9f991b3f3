package cli

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Fleet memory: a fleet run allocates much and keeps little (what is in
// flight), and at Go's default (GOGC=100) it spent about a fifth of its CPU
// in the garbage collector: collecting each time the heap doubled a small
// live set, scanning a thousand stacks each time. fleetMemory lets the heap
// grow further between collections (GOGC=400) under a ceiling that grows
// with the probes in flight (fleetMemoryBase, and fleetMemoryEach a probe),
// so the peak RSS stays near where the default put it (about 100 MB at
// --parallel 1000) and does not grow with the number of targets. Should the
// live heap itself outgrow the ceiling's half (the shared MX probes of a
// long domain run), the ceiling follows it, so the collector never runs
// back to back against it. A user's own GOGC or GOMEMLIMIT is left alone.
const (
	fleetGCPercent  = 400
	fleetMemoryBase = 40 << 20 // the process without probes: binary, runtime, buffers
	fleetMemoryEach = 64 << 10 // a probe in flight: about twice what one keeps live
	fleetMemoryLook = time.Second
)

// fleetMemory sets the collector for parallel probes at once; restore
// puts back what was set before.
func fleetMemory(parallel int) (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	ceiling := int64(fleetMemoryBase + parallel*fleetMemoryEach)
	limit := debug.SetMemoryLimit(ceiling)
	percent := debug.SetGCPercent(fleetGCPercent)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(fleetMemoryLook)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				ceiling = followLive(ceiling)
			}
		}
	}()
	return func() {
		close(stop)
		<-stopped
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// followLive raises the ceiling to the live heap's double and the base,
// when the live heap has outgrown half of it, and returns the ceiling.
func followLive(ceiling int64) int64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return ceiling
	}
	if want := 2*int64(sample[0].Value.Uint64()) + fleetMemoryBase; want > ceiling {
		debug.SetMemoryLimit(want)
		return want
	}
	return ceiling
}
