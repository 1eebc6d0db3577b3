package weaviatetest

import "syscall"

// sysProcAttr makes the kernel kill the server if the test process dies
// without running its cleanups (a timeout panic, kill -9), so that no
// server outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
