//go:build !linux

package weaviatetest

import "syscall"

// sysProcAttr returns nil: only Linux can tie the server's life to the
// test process's.
func sysProcAttr() *syscall.SysProcAttr { return nil }
