//go:build !amd64 || purego

package sgemm

// defaultImpl is the kernel the exported functions use.
var defaultImpl = goImpl

// impls lists every kernel usable on this machine, for tests.
var impls = []impl{goImpl}
