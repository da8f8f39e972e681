package local

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// The kill -9 test re-executes the test binary as a writer process; these
// variables tell TestMain to act as that writer instead of running tests.
const (
	crashDirEnv  = "SANDBARN_LOCAL_CRASH_DIR"
	crashSeedEnv = "SANDBARN_LOCAL_CRASH_SEED"

	crashBlobSize = 8 << 20
	crashMaxSize  = 5 * crashBlobSize
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
		if err := runCrashWriter(dir, seed); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCrashWriter writes big blobs with fsync until it is killed. It prints
// "half HASH" once half of a blob has been written and "done HASH" after
// each Put returns, then slows down so that a kill sent on "half" lands in
// the middle of the write.
func runCrashWriter(dir string, seed uint64) error {
	ba, err := New(Options{Dir: dir, MaxSizeBytes: crashMaxSize, Kind: CAS})
	if err != nil {
		return err
	}
	for i := uint64(0); ; i++ {
		data := make([]byte, crashBlobSize)
		var chachaSeed [32]byte
		binary.LittleEndian.PutUint64(chachaSeed[:], seed)
		binary.LittleEndian.PutUint64(chachaSeed[8:], i)
		rand.NewChaCha8(chachaSeed).Read(data)
		d := digest.OfBytes("", data)
		if err := ba.Put(context.Background(), d, &halfwayReader{data: data, hash: d.Hash}); err != nil {
			return err
		}
		fmt.Printf("done %s\n", d.Hash)
	}
}

// halfwayReader hands out data in chunks, announcing the halfway point on
// stdout and pausing between chunks after it.
type halfwayReader struct {
	data      []byte
	off       int
	hash      string
	announced bool
}

func (r *halfwayReader) Read(p []byte) (int, error) {
	if r.off == len(r.data) {
		return 0, io.EOF
	}
	if r.off >= len(r.data)/2 {
		if !r.announced {
			r.announced = true
			fmt.Printf("half %s\n", r.hash)
		}
		time.Sleep(2 * time.Millisecond)
	}
	n := copy(p[:min(len(p), 64<<10)], r.data[r.off:])
	r.off += n
	return n, nil
}

// TestKill9DuringWrites kills the writer process, sometimes exactly in the
// middle of a blob and sometimes at a random moment, then reopens the
// store and checks that every blob it serves is whole and no temporary
// file is left.
func TestKill9DuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writer processes; skipped with -short")
	}
	dir := t.TempDir()
	for round := range 6 {
		midWrite := round%2 == 0
		half, done := killWriter(t, dir, uint64(round), midWrite)
		if !midWrite {
			// A random kill may land after the rename but before "done"
			// was printed, so the half-written blob may rightly be whole.
			half = ""
		}
		checkAfterCrash(t, dir, round, half, done)
	}
}

// killWriter runs one writer process and SIGKILLs it: on its third "half"
// line when midWrite is set, otherwise after a random delay. It returns
// the hash being written at the kill (if known) and the last hash written.
func killWriter(t *testing.T, dir string, seed uint64, midWrite bool) (half, done string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !midWrite {
		delay := time.Duration(50+rand.IntN(400)) * time.Millisecond
		time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	}
	halves := 0
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		word, hash, _ := strings.Cut(lines.Text(), " ")
		switch word {
		case "done":
			done, half = hash, ""
		case "half":
			half = hash
			if halves++; midWrite && halves == 3 {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("writer ended with %v, not by SIGKILL", err)
	}
	if midWrite {
		tmps, _ := os.ReadDir(filepath.Join(dir, tmpDirName))
		if half == "" || len(tmps) == 0 {
			t.Fatalf("writer was not killed mid-write (blob %q, %d temporary files)", half, len(tmps))
		}
	}
	return half, done
}

func checkAfterCrash(t *testing.T, dir string, round int, half, done string) {
	t.Helper()
	ba := openStore(t, dir, CAS, crashMaxSize, nil)
	defer ba.Close()
	if tmps, err := os.ReadDir(filepath.Join(dir, tmpDirName)); err != nil || len(tmps) != 0 {
		t.Fatalf("round %d: %d temporary files after reopening (%v)", round, len(tmps), err)
	}
	blobs := 0
	for e := ba.index.entries[0].next; e != 0; e = ba.index.entries[e].next {
		en := ba.index.entries[e]
		data, err := os.ReadFile(ba.blobPath(en.key))
		if err != nil {
			t.Fatalf("round %d: indexed blob unreadable: %v", round, err)
		}
		if sum := sha256.Sum256(data); sum != en.key || int64(len(data)) != en.size {
			t.Fatalf("round %d: blob %x holds %d bytes hashing to %x", round, en.key, len(data), sum)
		}
		blobs++
	}
	if ba.SizeBytes() > crashMaxSize {
		t.Fatalf("round %d: %d bytes stored, bound is %d", round, ba.SizeBytes(), crashMaxSize)
	}
	if half != "" {
		d := mustDigest(t, half)
		if stored(ba, d)[0] {
			t.Fatalf("round %d: the blob being written at the kill is visible", round)
		}
	}
	if done != "" && !stored(ba, mustDigest(t, done))[0] {
		t.Fatalf("round %d: the last completed blob is missing", round)
	}
	t.Logf("round %d: %d whole blobs after the kill", round, blobs)
}

func mustDigest(t *testing.T, hash string) digest.Digest {
	t.Helper()
	if _, err := hex.DecodeString(hash); err != nil {
		t.Fatal(err)
	}
	d, err := digest.New("", 0, hash, crashBlobSize)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
