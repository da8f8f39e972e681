//go:build !race

package grpcservers_test

// hugeUploadBytes is the 1 GiB the storage issue asks for.
const hugeUploadBytes = 1 << 30
