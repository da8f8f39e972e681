package main

import "errors"

// config is bb_storage's configuration file (Jsonnet, strict).
type config struct {
	// GRPCListenAddress is host:port for all storage services, e.g. ":8980".
	GRPCListenAddress string `json:"grpcListenAddress"`
	// MaxMessageSizeBytes bounds gRPC messages and batch requests; 0 means
	// 4 MiB.
	MaxMessageSizeBytes int `json:"maxMessageSizeBytes"`
	// UploadDirectory keeps partial ByteStream uploads; empty means the
	// system's temporary directory.
	UploadDirectory string      `json:"uploadDirectory"`
	CAS             storeConfig `json:"cas"`
	ActionCache     storeConfig `json:"actionCache"`
}

// storeConfig places one local-disk store.
type storeConfig struct {
	Directory    string `json:"directory"`
	MaxSizeBytes int64  `json:"maxSizeBytes"`
}

func (c *config) validate() error {
	if c.GRPCListenAddress == "" {
		return errors.New("grpcListenAddress is required")
	}
	if c.CAS.Directory == "" || c.ActionCache.Directory == "" {
		return errors.New("cas.directory and actionCache.directory are required")
	}
	if c.CAS.Directory == c.ActionCache.Directory {
		return errors.New("cas.directory and actionCache.directory must differ")
	}
	return nil
}
