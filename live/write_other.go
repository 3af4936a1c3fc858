//go:build !unix

package live

// rawWrites: elsewhere a viewer's batches are written with the connection's own
// Write and the write timeout.
const rawWrites = false

func writeOnce(fd uintptr, b []byte) (int, error) { panic("unreachable") }
