#!/bin/sh
# A busybox image from Debian's busybox-static: one binary, its applets as
# symlinks, and an /etc/os-release that says BusyBox.
#
# Usage: images/recipes/busybox.sh OUT_LAYOUT [REF]
set -eu
layout=$1
ref=${2:-sandbarn/test/busybox:latest}
module=$(cd "$(dirname "$0")/../.." && pwd)
rootfs=$(mktemp -d "${TMPDIR:-/tmp}/sandbarn-rootfs-busybox.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT

mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys"
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'NAME="BusyBox"\nID=busybox\n' > "$rootfs/etc/os-release"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\n' > "$rootfs/etc/group"

cd "$module"
go run ./images/cmd/rootfsimage -rootfs "$rootfs" -ref "$ref" -layout "$layout"
