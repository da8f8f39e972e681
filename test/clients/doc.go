// Package clients tests Sandbarn with the real REAPI clients that are not
// Bazel: BuildStream 2, recc and trexe (the last two from the buildbox
// suite). Debian bookworm cannot install them, so the tests build a
// Debian sid root filesystem with debootstrap and apt-get, cache it
// between runs (keyed by its recipe, below $SANDBARN_TEST_CACHE or
// ~/.cache/sandbarn), and run the clients inside it through enter.sh: a
// private mount namespace and pivot_root, on the host's network namespace,
// so the clients reach a `sandbarn farm` that the test starts on loopback.
//
// To look around in the client root by hand (after one test run built it):
//
//	unshare --mount --propagation private test/clients/enter.sh \
//	    ~/.cache/sandbarn/clients-sid-HASH /tmp/somedir bash
//
// The tests need root, debootstrap and access to deb.debian.org the first
// time. They skip when something is missing, except with CI=true, where a
// skip would hide a broken set-up and they fail instead.
package clients
