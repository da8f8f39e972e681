#!/bin/bash
# Checks outputs of earlier actions from inside a test action.
set -euo pipefail

grep -qx 'HELLO FROM SANDBARN' gen/shout.txt
grep -qx '6 \* 7 = 42' cc/calc_output.txt
grep -qx 'calc 1.2.3' cc/calc_output.txt
echo "pass_test: all checks passed"
