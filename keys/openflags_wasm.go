//go:build js || wasip1

package keys

import "os"

// openFlags: these platforms have no FIFO to wait on.
const openFlags = os.O_RDONLY
