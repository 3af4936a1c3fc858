//go:build unix

package ledger_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used so far; the
// benchmark reports it per transfer, which a shared, loaded machine disturbs far
// less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
