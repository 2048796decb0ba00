/* Check-only stub (scripts/platforms/macos-cc.sh): the mem* functions ring's
 * C sources call, declared without the macOS SDK. Nothing is linked. */
#pragma once
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
