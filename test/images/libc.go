package testimages

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ReportProgram is /bin/report in the Musl and Glibc trees, linked
// dynamically against the tree's C library: `report CODE TEXT FILE`
// writes TEXT to FILE and to stdout, then exits with CODE.
const ReportProgram = "/bin/report"

const reportSource = `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
	if (argc != 4) return 100;
	FILE *f = fopen(argv[3], "w");
	if (!f) return 101;
	fprintf(f, "%s\n", argv[2]);
	fclose(f);
	printf("%s\n", argv[2]);
	return atoi(argv[1]);
}
`

// HostileMarker is the file name the Hostile tree's loader and C library
// create, in the sandbox's input root (InputRootPath) and /tmp, when
// anything executes them.
const HostileMarker = "HOSTILE-MARKER"

// hostileSource leaves the marker and fails. It is built without a C
// library and as a static PIE, so the kernel can load it as the ELF
// interpreter of any dynamically linked program: an ordinary static
// program's start-up code would crash there.
const hostileSource = `static long sys3(long n, long a, long b, long c) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
static void mark(const char *path) {
	long fd = sys3(2 /* open */, (long)path, 01 | 0100 /* O_WRONLY|O_CREAT */, 0666);
	if (fd >= 0) {
		sys3(1 /* write */, fd, (long)"the image's loader ran\n", 23);
		sys3(3 /* close */, fd, 0, 0);
	}
}
void _start(void) {
	mark("/sandbarn/root/` + HostileMarker + `");
	mark("/tmp/` + HostileMarker + `");
	sys3(1, 2, (long)"hostile loader ran\n", 19);
	sys3(60 /* exit */, 1, 0, 0);
	for (;;) {
	}
}
`

// Musl fills dir with a root filesystem whose only C library is musl
// (Debian's musl and musl-tools packages): its loader at
// /lib/ld-musl-x86_64.so.1 and ReportProgram linked against it.
func Musl(dir string) error {
	if err := skeleton(dir); err != nil {
		return err
	}
	if err := copyResolved("/lib/ld-musl-x86_64.so.1", filepath.Join(dir, "lib", "ld-musl-x86_64.so.1"), "musl"); err != nil {
		return err
	}
	return compileC("musl-gcc", "musl-tools", reportSource, filepath.Join(dir, "bin", "report"))
}

// Glibc fills dir with a root filesystem holding the host's glibc loader
// and C library, and ReportProgram linked against them.
func Glibc(dir string) error {
	if err := skeleton(dir); err != nil {
		return err
	}
	for _, p := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if err := copyResolved(p, filepath.Join(dir, p), "libc6"); err != nil {
			return err
		}
	}
	return compileC("gcc", "gcc libc6-dev", reportSource, filepath.Join(dir, "bin", "report"))
}

// Hostile fills dir with the Busybox tree plus a glibc loader
// (/lib64/ld-linux-x86-64.so.2) and C library
// (/lib/x86_64-linux-gnu/libc.so.6) that are programs leaving
// HostileMarker and exiting 1: an image trying to run its code inside
// whatever dynamically linked program the sandbox starts in it.
func Hostile(dir string) error {
	if err := Busybox(dir); err != nil {
		return err
	}
	for _, p := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			return err
		}
		if err := compileC("gcc", "gcc libc6-dev", hostileSource, filepath.Join(dir, p),
			"-nostdlib", "-static-pie", "-fPIE", "-fno-stack-protector"); err != nil {
			return err
		}
	}
	return nil
}

// skeleton makes the directories every test tree has.
func skeleton(dir string) error {
	for _, d := range []string{"bin", "etc", "tmp", "proc", "dev", "sys", "lib", "lib64"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	return os.Chmod(filepath.Join(dir, "tmp"), 0o1777)
}

// copyResolved copies the file a host path leads to, symlinks followed.
func copyResolved(src, dst, pkg string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%s (apt-get install %s): %w", src, pkg, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// compileC builds a C program from source with compiler.
func compileC(compiler, pkg, source, out string, flags ...string) error {
	if _, err := exec.LookPath(compiler); err != nil {
		return fmt.Errorf("%s not installed (apt-get install %s): %w", compiler, pkg, err)
	}
	src := out + ".c"
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		return err
	}
	defer os.Remove(src)
	args := append(append([]string{}, flags...), "-O2", "-o", out, src)
	if b, err := exec.Command(compiler, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %w\n%s", compiler, args, err, b)
	}
	return nil
}
