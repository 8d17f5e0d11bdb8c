//go:build !linux

package wsload

// RaiseFileLimit is Linux-only; elsewhere the limit is left as it is (0: unknown).
func RaiseFileLimit() (uint64, error) { return 0, nil }
