#!/bin/sh
# Holds 256 MiB in a shell variable, four times the action's memory limit.
echo "allocating 256 MiB under a 64 MiB limit"
x=$(head -c 268435456 /dev/zero | tr '\0' a)
echo "SANDBARN_E2E_MEMORY_NOT_LIMITED: held ${#x} bytes"
