#include "cc/format.h"

void format_result(FILE *out, const char *op, long a, long b, long r) {
  fprintf(out, "%ld %s %ld = %ld\n", a, op, b, r);
}
