#!/bin/sh
# Shared by the recipes: debootstrap SUITE from MIRROR into a temporary
# directory, clean it up, and turn it into an OCI image with rootfsimage.
#
# Usage: debootstrap.sh SUITE MIRROR REF OUT_LAYOUT [debootstrap options...]
# Needs root, debootstrap, and Go (run from anywhere inside the module).
set -eu
suite=$1 mirror=$2 ref=$3 layout=$4
shift 4
module=$(cd "$(dirname "$0")/../.." && pwd)
rootfs=$(mktemp -d "${TMPDIR:-/tmp}/sandbarn-rootfs-$suite.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT

debootstrap "$@" "$suite" "$rootfs" "$mirror"
# Caches and logs do not belong in an action image.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*
# Actions resolve nothing through the host's resolver; an empty file keeps
# libc quiet.
: > "$rootfs/etc/resolv.conf"

cd "$module"
go run ./images/cmd/rootfsimage -rootfs "$rootfs" -ref "$ref" -layout "$layout" -cmd /bin/bash
