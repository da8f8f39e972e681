package grpcclient

import (
	"bytes"
	"io"
	"testing"

	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestVerifyingReader(t *testing.T) {
	data := []byte("the blob content")
	d := digest.OfBytes("", data)
	for name, c := range map[string]struct {
		content []byte
		code    codes.Code
	}{
		"intact":    {data, codes.OK},
		"corrupted": {[]byte("the blob contenT"), codes.DataLoss},
		"short":     {data[:5], codes.DataLoss},
		"long":      {append(append([]byte{}, data...), '!'), codes.DataLoss},
	} {
		_, err := io.ReadAll(verify(d, io.NopCloser(bytes.NewReader(c.content))))
		if status.Code(err) != c.code {
			t.Errorf("%s: got %v, want %s", name, err, c.code)
		}
	}
}
