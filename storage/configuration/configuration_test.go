package configuration_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/configuration"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/storage/storagetest"
	"google.golang.org/grpc"
)

type (
	build  func(*configuration.Factory, *configuration.BlobAccessConfiguration) (storage.BlobAccess, error)
	config func(t *testing.T) *configuration.BlobAccessConfiguration
)

var (
	newCAS = (*configuration.Factory).NewCAS
	newAC  = (*configuration.Factory).NewActionCache
)

// through is a storagetest.Factory that builds each subtest's store from
// configuration, with a Factory of its own.
func through(b build, c config) storagetest.Factory {
	return func(t *testing.T) storage.BlobAccess {
		f := configuration.NewFactory()
		t.Cleanup(func() { f.Close() })
		ba, err := b(f, c(t))
		if err != nil {
			t.Fatal(err)
		}
		return ba
	}
}

func localConfig(t *testing.T) *configuration.BlobAccessConfiguration {
	return &configuration.BlobAccessConfiguration{Local: &configuration.LocalConfiguration{Directory: t.TempDir(), MaxSizeBytes: 1 << 30}}
}

func memoryConfig(*testing.T) *configuration.BlobAccessConfiguration {
	c := memoryBackend()
	return &c
}

// grpcConfig points at a new in-memory storage server on a UNIX socket.
func grpcConfig(t *testing.T) *configuration.BlobAccessConfiguration {
	sock, _ := serveMemory(t)
	return &configuration.BlobAccessConfiguration{GRPC: &configuration.GRPCConfiguration{Address: "unix://" + sock}}
}

// serveMemory serves an in-memory CAS and Action Cache on a UNIX socket
// and counts the connections accepted.
func serveMemory(t *testing.T) (string, *atomic.Int32) {
	sock := filepath.Join(t.TempDir(), "storage.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: lis}
	s := grpc.NewServer()
	grpcservers.Register(s, memory.NewCAS(), memory.NewActionCache(), grpcservers.Options{UploadDirectory: t.TempDir()})
	go s.Serve(counted)
	t.Cleanup(s.Stop)
	return sock, &counted.accepted
}

type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// TestConformance builds every backend kind through the factory and runs
// the BlobAccess suite on it. Over gRPC only the CAS half applies: the
// Action Cache carries ActionResults, not the suite's arbitrary bytes
// (storage/grpcclient tests it with real ones).
func TestConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		storagetest.RunConformance(t, through(newCAS, localConfig), through(newAC, localConfig))
	})
	t.Run("memory", func(t *testing.T) {
		storagetest.RunConformance(t, through(newCAS, memoryConfig), through(newAC, memoryConfig))
	})
	t.Run("grpc", func(t *testing.T) {
		storagetest.RunConformance(t, through(newCAS, grpcConfig), nil)
	})
}

// The CAS and Action Cache of one server share a connection, as they did
// when programs dialled the server themselves.
func TestGRPCBackendsShareConnection(t *testing.T) {
	sock, accepted := serveMemory(t)
	remote := configuration.BlobAccessConfiguration{GRPC: &configuration.GRPCConfiguration{Address: "unix://" + sock}}
	f := configuration.NewFactory()
	defer f.Close()
	cas, ac, err := f.NewBlobstore(&configuration.BlobstoreConfiguration{ContentAddressableStorage: remote, ActionCache: remote})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := digest.OfBytes("", []byte("blob"))
	if err := storage.PutBytes(ctx, cas, d, []byte("blob")); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.GetActionResult(ctx, ac, d, 1<<20); err == nil {
		t.Fatal("Action Cache lookup of a CAS blob succeeded")
	}
	if n := accepted.Load(); n != 1 {
		t.Fatalf("server accepted %d connections, want 1", n)
	}
}

func TestConfigurationErrorsNameTheField(t *testing.T) {
	dir := t.TempDir()
	local := func(d string, size int64) configuration.BlobAccessConfiguration {
		return configuration.BlobAccessConfiguration{Local: &configuration.LocalConfiguration{Directory: d, MaxSizeBytes: size}}
	}
	for name, c := range map[string]struct {
		cfg  configuration.BlobstoreConfiguration
		want string
	}{
		"nothing set": {
			configuration.BlobstoreConfiguration{},
			"contentAddressableStorage: no backend set: set one of local, grpc, memory"},
		"two set": {
			configuration.BlobstoreConfiguration{
				ContentAddressableStorage: configuration.BlobAccessConfiguration{Local: &configuration.LocalConfiguration{}, Memory: &configuration.MemoryConfiguration{}}},
			"contentAddressableStorage: local and memory are all set: set only one of local, grpc, memory"},
		"no directory": {
			configuration.BlobstoreConfiguration{ContentAddressableStorage: local("", 1)},
			"contentAddressableStorage: local: directory is required"},
		"no size": {
			configuration.BlobstoreConfiguration{ContentAddressableStorage: local(dir+"/cas", 0)},
			"contentAddressableStorage: local: maxSizeBytes must be positive"},
		"shared directory": {
			configuration.BlobstoreConfiguration{ContentAddressableStorage: local(dir+"/a", 1), ActionCache: local(dir+"/./a", 1)},
			"actionCache: local: directory " + dir + "/./a is already used by another local backend"},
		"no address": {
			configuration.BlobstoreConfiguration{ContentAddressableStorage: memoryBackend(),
				ActionCache: configuration.BlobAccessConfiguration{GRPC: &configuration.GRPCConfiguration{}}},
			"actionCache: grpc: address is required"},
	} {
		f := configuration.NewFactory()
		_, _, err := f.NewBlobstore(&c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
		if err := f.Close(); err != nil {
			t.Errorf("%s: Close: %v", name, err)
		}
	}
}

func memoryBackend() configuration.BlobAccessConfiguration {
	return configuration.BlobAccessConfiguration{Memory: &configuration.MemoryConfiguration{}}
}
