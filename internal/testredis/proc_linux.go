package testredis

import "syscall"

// dieWithParent has the kernel kill a server when the test binary dies without running its
// cleanups (a panic, a -timeout), so no redis-server outlives its test run.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
