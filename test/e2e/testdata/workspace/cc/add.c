#include "cc/arith.h"

long arith_add(long a, long b) { return a + b; }
