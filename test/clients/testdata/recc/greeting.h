/* A header recc must find and send with the source. */
#define GREETING "compiled remotely by sandbarn"

static inline int greeting_length(void) { return sizeof(GREETING) - 1; }
