#include <stdio.h>
#include <stdlib.h>

#include "cc/arith.h"
#include "cc/format.h"
#include "gen/version.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: calc A B\n");
    return 2;
  }
  long a = strtol(argv[1], NULL, 10);
  long b = strtol(argv[2], NULL, 10);
  printf("calc %s\n", CALC_VERSION);
  format_result(stdout, "+", a, b, arith_add(a, b));
  format_result(stdout, "*", a, b, arith_mul(a, b));
  return 0;
}
