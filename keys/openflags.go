//go:build !js && !wasip1

package keys

import (
	"os"
	"syscall"
)

// openFlags open a key file without waiting for a writer when it is a FIFO.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
