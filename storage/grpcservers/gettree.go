package grpcservers

import (
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// GetTree streams the directories below root_digest breadth first, each
// distinct directory once. Pages are bounded by page_size (when set) and by
// the message limit. The page token records how many directories were sent;
// the walk is repeated up to that point on the next call, which keeps the
// server stateless at the cost of re-reading the upper levels.
func (s *CAS) GetTree(req *remoteexecution.GetTreeRequest, stream remoteexecution.ContentAddressableStorage_GetTreeServer) error {
	ctx := stream.Context()
	if err := digest.ValidateInstanceName(req.InstanceName); err != nil {
		return err
	}
	root, err := digest.FromProto(req.InstanceName, req.DigestFunction, req.RootDigest)
	if err != nil {
		return err
	}
	if req.PageSize < 0 {
		return errkind.New(errkind.Invalid, "negative page_size %d", req.PageSize)
	}
	offset, err := decodePageToken(req.PageToken, root)
	if err != nil {
		return err
	}
	w := treeWalker{ctx: ctx, cas: s.cas, maxSize: int64(s.opts.MaxMessageSizeBytes), queue: []digest.Digest{root}, seen: map[string]bool{root.Key(): true}}
	for i := 0; i < offset; i++ {
		if _, ok, err := w.next(); err != nil {
			return err
		} else if !ok {
			return errkind.New(errkind.Invalid, "page token points past the end of the tree")
		}
	}
	budget := s.opts.MaxMessageSizeBytes - batchOverheadBytes/4
	for {
		resp, more, err := s.treePage(&w, int(req.PageSize), budget)
		if err != nil {
			return err
		}
		offset += len(resp.Directories)
		if more {
			resp.NextPageToken = encodePageToken(root, offset)
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
		// A page_size asks for one page per call; without one the whole
		// tree goes out as a sequence of messages on this stream.
		if !more || req.PageSize > 0 {
			return nil
		}
	}
}

// treePage collects directories until pageSize (0 = unbounded) or the byte
// budget is reached and reports whether any remain.
func (s *CAS) treePage(w *treeWalker, pageSize, budget int) (*remoteexecution.GetTreeResponse, bool, error) {
	resp := &remoteexecution.GetTreeResponse{}
	used := 0
	for pageSize == 0 || len(resp.Directories) < pageSize {
		dir, ok, err := w.peek()
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return resp, false, nil
		}
		size := proto.Size(dir) + 8
		if used+size > budget && len(resp.Directories) > 0 {
			return resp, true, nil
		}
		used += size
		w.pop()
		resp.Directories = append(resp.Directories, dir)
	}
	_, more, err := w.peek()
	return resp, more, err
}

// treeWalker yields the directories of a tree breadth first. Directories
// missing from the CAS below the root are skipped, as REAPI allows; a
// missing root is NotFound.
type treeWalker struct {
	ctx     context.Context
	cas     storage.BlobAccess
	maxSize int64
	queue   []digest.Digest
	seen    map[string]bool
	head    *remoteexecution.Directory
	started bool
}

func (w *treeWalker) next() (*remoteexecution.Directory, bool, error) {
	dir, ok, err := w.peek()
	if ok {
		w.pop()
	}
	return dir, ok, err
}

func (w *treeWalker) pop() { w.head = nil }

func (w *treeWalker) peek() (*remoteexecution.Directory, bool, error) {
	for w.head == nil {
		if len(w.queue) == 0 {
			return nil, false, nil
		}
		d := w.queue[0]
		w.queue = w.queue[1:]
		dir := &remoteexecution.Directory{}
		err := storage.GetProto(w.ctx, w.cas, d, w.maxSize, dir)
		first := !w.started
		w.started = true
		if errkind.Is(err, errkind.NotFound) && !first {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		for _, child := range dir.Directories {
			cd, err := digest.FromProto(d.Instance, d.Function, child.Digest)
			if err != nil {
				return nil, false, errkind.New(errkind.Invalid, "directory %s, child %q: %w", d, child.Name, err)
			}
			if !w.seen[cd.Key()] {
				w.seen[cd.Key()] = true
				w.queue = append(w.queue, cd)
			}
		}
		w.head = dir
	}
	return w.head, true, nil
}
