#ifndef CC_ARITH_H_
#define CC_ARITH_H_

long arith_add(long a, long b);
long arith_mul(long a, long b);

#endif
