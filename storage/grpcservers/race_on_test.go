//go:build race

package grpcservers_test

// hugeUploadBytes is smaller under the race detector, which slows the
// byte-moving paths about tenfold; the resume logic is the same.
const hugeUploadBytes = 64 << 20
