package main

import (
	"errors"

	"github.com/sandbarn/sandbarn/storage/configuration"
)

// config is bb_storage's configuration file (Jsonnet, strict).
type config struct {
	// GRPCListenAddress is host:port for all storage services, e.g. ":8980".
	GRPCListenAddress string `json:"grpcListenAddress"`
	// MaxMessageSizeBytes bounds gRPC messages and batch requests; 0 means
	// 4 MiB.
	MaxMessageSizeBytes int `json:"maxMessageSizeBytes"`
	// UploadDirectory keeps partial ByteStream uploads; empty means the
	// system's temporary directory.
	UploadDirectory string `json:"uploadDirectory"`
	// Blobstore chooses the backends of the CAS and the Action Cache the
	// services serve.
	Blobstore configuration.BlobstoreConfiguration `json:"blobstore"`
}

// validate checks the fields the storage factory does not: it checks
// the blobstore while building it.
func (c *config) validate() error {
	if c.GRPCListenAddress == "" {
		return errors.New("grpcListenAddress is required")
	}
	return nil
}
