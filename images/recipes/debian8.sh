#!/bin/sh
# A Debian 8 (jessie) root filesystem close to Google's rbe-debian8 image:
# compilers, Python, Java and the tools Bazel's toolchains call. jessie
# lives on archive.debian.org now, signed with keys Debian 12 keeps in
# debian-archive-removed-keys.gpg (package debian-archive-keyring).
#
# Usage: images/recipes/debian8.sh OUT_LAYOUT [REF]
# Then build runner images on it:
#   go run ./images/cmd/buildimages -layout bin/images -base-layout OUT_LAYOUT \
#       -base bb_runner-debian8=REF -only bb_runner-debian8
set -eu
layout=$1
ref=${2:-sandbarn/rbe-debian8:latest}
exec "$(dirname "$0")/debootstrap.sh" jessie http://archive.debian.org/debian "$ref" "$layout" \
	--variant=minbase \
	--keyring=/usr/share/keyrings/debian-archive-removed-keys.gpg \
	--include=build-essential,ca-certificates,curl,file,git,openjdk-7-jdk,patch,python,python3,unzip,zip
