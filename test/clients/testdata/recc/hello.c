#include <stdio.h>

#include "greeting.h"

int main(void)
{
	printf("%s (%d)\n", GREETING, greeting_length());
	return 0;
}
