#!/bin/bash
# Runs the sandbox/container tests on cgroup v2 inside a qemu VM (software
# emulation), booting Debian's kernel with an initramfs that holds
# busybox and the test binary. Needs root, qemu-system-x86, busybox-static,
# cpio, and the Debian package archive for the kernel.
#
#   test/vm/run.sh [go test flags for the container tests]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${SANDBARN_VM_CACHE:-/var/cache/sandbarn-vm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# The kernel: linux-image-amd64 only depends on the versioned package
# that holds the image. qemu boots an uncompressed ELF vmlinux through its
# PVH entry, skipping the decompressor, the slowest part of booting under
# emulation (about 3 s instead of 11 s here); it is cut out of the bzImage
# once and cached. The pc machine, not microvm: under TCG microvm (no HPET
# or PM timer) hung in timer set-up in about half of the boots here.
kernel=$(ls "$cache"/vmlinuz-* 2>/dev/null | head -n1 || true)
if [ -z "$kernel" ]; then
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
	(cd "$work" && apt-get download "$pkg" >/dev/null)
	dpkg-deb -x "$work"/"$pkg"_*.deb "$work/kernel"
	cp "$work"/kernel/boot/vmlinuz-* "$cache/"
	kernel=$(ls "$cache"/vmlinuz-* | head -n1)
fi
vmlinux="$cache/vmlinux-${kernel##*/vmlinuz-}"
if [ ! -s "$vmlinux" ]; then
	# The payload is the first stream with a known magic that unpacks to
	# an ELF file (Debian uses xz).
	for magic in '\xfd7zXZ\x00:xz -dc' '\x28\xb5\x2f\xfd:zstd -dc' '\x1f\x8b\x08:gzip -dc'; do
		for offset in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$kernel" | cut -d: -f1); do
			tail -c +$((offset + 1)) "$kernel" | ${magic#*:} > "$vmlinux.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv "$vmlinux.tmp" "$vmlinux"
				break 2
			fi
		done
	done
	rm -f "$vmlinux.tmp"
	[ -s "$vmlinux" ] || { echo "cannot extract vmlinux from $kernel" >&2; exit 1; }
fi

# The initramfs: busybox for the shell tools the tests use and the test
# binary, linked statically as `make test` links it.
root="$work/root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,lib64,usr/bin,usr/sbin}
cp /bin/busybox "$root/bin/busybox"
for tool in $("$root/bin/busybox" --list); do
	[ "$tool" = busybox ] || ln -sf busybox "$root/bin/$tool"
done
(cd "$repo" && go test -c -tags "seccomp netgo osusergo" -ldflags "-linkmode external -extldflags -static" \
	-o "$root/container.test" ./sandbox/container)
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
cat > "$root/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+cpu +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control
cd /tmp
SANDBARN_NO_PIVOT_ROOT=1 /container.test -test.count=1 $* 2>&1
echo "VM-TESTS-EXIT=\$?"
reboot -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initrd.cpio"

timeout 900 qemu-system-x86_64 -M pc -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
	-kernel "$vmlinux" -initrd "$work/initrd.cpio" \
	-append 'console=ttyS0 rdinit=/init reboot=t panic=-1 quiet' \
	| tee "$work/console.log"
grep -q '^VM-TESTS-EXIT=0' "$work/console.log"
