//go:build unix

package cli

import "syscall"

// fileLimit raises the soft limit of open files towards need, up to the
// hard limit, and returns the soft limit then in force and the hard one;
// ok is false when the limits cannot be read.
func fileLimit(need uint64) (soft, hard uint64, ok bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, false
	}
	if rl.Cur < need && rl.Cur < rl.Max {
		raised := rl
		raised.Cur = min(need, rl.Max)
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			rl = raised
		}
	}
	return uint64(rl.Cur), uint64(rl.Max), true
}
