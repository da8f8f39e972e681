// Package skeleton names the directories every root filesystem must
// contain for the container sandbox to mount on. The image store creates
// them when it unpacks an image, since its trees are read-only once
// installed, and the sandbox creates them in its default root
// filesystem; both take the list from here so that neither has to import
// the other.
package skeleton
