//go:build unix

package live

import "syscall"

// rawWrites: batches are written to viewers' sockets without waiting.
const rawWrites = true

// writeOnce is one write(2) on a non-blocking socket: a full socket buffer is
// not an error, just nothing written.
func writeOnce(fd uintptr, b []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), b)
		switch err {
		case nil:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, nil
		default:
			return 0, err
		}
	}
}
