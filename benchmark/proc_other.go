//go:build !linux

package benchmark

import "syscall"

func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
