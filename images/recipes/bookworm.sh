#!/bin/sh
# The Debian 12 test image, as test/images builds it for the tests: works
# on the development machines, which reach deb.debian.org.
#
# Usage: images/recipes/bookworm.sh OUT_LAYOUT [REF]
set -eu
layout=$1
ref=${2:-sandbarn/test/bookworm:latest}
exec "$(dirname "$0")/debootstrap.sh" bookworm http://deb.debian.org/debian "$ref" "$layout" --variant=minbase
