//go:build !unix

package ledger_test

import "time"

// processCPU is not measured here; the benchmark then reports no CPU figure.
func processCPU() time.Duration { return 0 }
