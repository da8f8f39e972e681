#!/bin/sh
# enter.sh ROOT SHARED CMD [ARG...]
#
# Runs CMD inside the client root filesystem ROOT. Meant to be started as
# `unshare --mount --propagation private enter.sh ...`: the mounts below
# then live only in that private mount namespace and vanish with it.
#
# pivot_root, not chroot: the kernel refuses to create user namespaces for
# a chrooted process, and BuildStream's bubblewrap needs them. The network
# namespace is the host's, so a farm listening on loopback is reachable.
# SHARED, a host directory, appears as /work inside; /tmp is private.
# CMD may start with NAME=VALUE words, which env(1) adds to the clean
# environment the command gets.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: unshare --mount --propagation private $0 ROOT SHARED CMD [ARG...]" >&2
	exit 2
fi
root=$1 shared=$2
shift 2

# pivot_root needs the new root to be a mount point of its own.
mount --rbind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mkdir -p "$root/work" "$root/.oldroot"
mount --bind "$shared" "$root/work"

cd "$root"
pivot_root . .oldroot
cd /
# Detach the host's tree: nothing inside should see or hold it.
umount -l /.oldroot
exec /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/work/home LANG=C.UTF-8 \
	"$@"
