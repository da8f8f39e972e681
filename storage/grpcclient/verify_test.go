package grpcclient

import (
	"bytes"
	"io"
	"testing"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

func TestVerifyingReader(t *testing.T) {
	data := []byte("the blob content")
	d := digest.OfBytes("", data)
	for name, c := range map[string]struct {
		content []byte
		corrupt bool
	}{
		"intact":    {data, false},
		"corrupted": {[]byte("the blob contenT"), true},
		"short":     {data[:5], true},
		"long":      {append(append([]byte{}, data...), '!'), true},
	} {
		_, err := io.ReadAll(verify(d, io.NopCloser(bytes.NewReader(c.content))))
		if c.corrupt != errkind.Is(err, errkind.DataLoss) || !c.corrupt && err != nil {
			t.Errorf("%s: got %v, want DataLoss: %v", name, err, c.corrupt)
		}
	}
}
