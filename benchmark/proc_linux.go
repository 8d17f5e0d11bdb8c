package benchmark

import "syscall"

// childAttr makes a child process die with this one: a bench killed mid-run leaves no
// redis-server or service behind.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
