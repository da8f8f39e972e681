#include "cc/arith.h"

long arith_mul(long a, long b) {
  long r = 0;
  for (long i = 0; i < b; i++) {
    r = arith_add(r, a);
  }
  return r;
}
