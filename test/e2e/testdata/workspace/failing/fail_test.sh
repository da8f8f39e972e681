#!/bin/bash
echo "SANDBARN_E2E_EXPECTED_FAILURE: this test fails on purpose"
echo "stderr line from the failing test" >&2
exit 1
