#ifndef CC_FORMAT_H_
#define CC_FORMAT_H_

#include <stdio.h>

void format_result(FILE *out, const char *op, long a, long b, long r);

#endif
