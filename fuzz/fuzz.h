/*
 * fuzz.h - what every fuzz target defines, and small helpers they share.
 *
 * Each fuzz_<name>.c is linked twice: with libFuzzer (-Dfuzz=true, clang), which calls
 * LLVMFuzzerInitialize() once and LLVMFuzzerTestOneInput() per generated input; and in every
 * build with replay.c, whose main() runs each file of fuzz/corpus/<name>/ through the same two
 * functions, so the committed corpora are ordinary tests.
 */
#ifndef DISSENT_FUZZ_FUZZ_H
#define DISSENT_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/** LLVMFuzzerInitialize() - one-time setup; returns 0 (a failure aborts). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/** LLVMFuzzerTestOneInput() - run one input; returns 0. Any crash or leak is the finding. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd NUL-terminated copy of @data[0..@size) (aborts when out of memory). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
