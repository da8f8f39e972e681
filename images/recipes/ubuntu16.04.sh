#!/bin/sh
# An Ubuntu 16.04 (xenial) root filesystem close to Google's
# rbe-ubuntu16-04 image. Needs the ubuntu-keyring package for the archive
# key (Debian ships it) and debootstrap's xenial script.
#
# Usage: images/recipes/ubuntu16.04.sh OUT_LAYOUT [REF]
# Then:
#   go run ./images/cmd/buildimages -layout bin/images -base-layout OUT_LAYOUT \
#       -base bb_runner-ubuntu16-04=REF -only bb_runner-ubuntu16-04
set -eu
layout=$1
ref=${2:-sandbarn/rbe-ubuntu16-04:latest}
exec "$(dirname "$0")/debootstrap.sh" xenial http://archive.ubuntu.com/ubuntu "$ref" "$layout" \
	--variant=minbase \
	--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg \
	--components=main,universe \
	--include=build-essential,ca-certificates,curl,file,git,openjdk-8-jdk-headless,patch,python,python3,unzip,zip
