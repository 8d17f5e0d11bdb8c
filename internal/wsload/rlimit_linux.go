package wsload

import "syscall"

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (each client is a socket)
// and returns the soft limit in force. Go's os package does the same at start since Go
// 1.19; doing it here says so, and reports the number.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}
