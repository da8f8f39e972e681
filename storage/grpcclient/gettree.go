package grpcclient

import (
	"context"
	"errors"
	"io"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// GetTree returns every directory below root (root first, breadth first as
// the server sends them), following page tokens until the end. Use it to
// fetch an input root in a few round trips instead of one per directory.
func GetTree(ctx context.Context, conn grpc.ClientConnInterface, instance string, root digest.Digest) ([]*remoteexecution.Directory, error) {
	client := remoteexecution.NewContentAddressableStorageClient(conn)
	var dirs []*remoteexecution.Directory
	token := ""
	for {
		stream, err := client.GetTree(ctx, &remoteexecution.GetTreeRequest{
			InstanceName:   digest.JoinInstance(instance, root.Instance),
			RootDigest:     root.Proto(),
			PageToken:      token,
			DigestFunction: root.Function,
		})
		if err != nil {
			return nil, errkind.FromStatus(err)
		}
		token = ""
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, errkind.FromStatus(err)
			}
			dirs = append(dirs, resp.Directories...)
			token = resp.NextPageToken
		}
		if token == "" {
			return dirs, nil
		}
	}
}
