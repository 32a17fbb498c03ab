/*
 * testutil.h - shared helpers for the cmocka unit tests.
 */
#ifndef DISSENT_TESTS_TESTUTIL_H
#define DISSENT_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/trust.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "store/store.h"

/* Give @st the integrity key of a fresh channel signing key, and pin its channel in @dir
 * (core/trust.h), as every opener in the server does. */
static inline void testutil_trust(struct store *st, const char *dir)
{
    static struct note_skey key; /* one per test program: its connections share the key */
    char err[256] = "";

    if (key.name_len == 0)
        assert_int_equal(note_skey_generate("dissent-channel", 15, &key), 0);
    assert_int_equal(trust_open(st, &key, &key, dir, 0, err, sizeof(err)), 0);
}

/* A fresh SQLite store in a new temporary directory; the directory path goes to @dir. */
static inline struct store *testutil_store(char dir[64])
{
    struct store *st = NULL;
    char err[256] = "";

    memcpy(dir, "/tmp/dissent-unit-XXXXXX", 25);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    testutil_trust(st, dir);
    return st;
}

/* Remove the temporary directory made by testutil_store(). */
static inline void testutil_rmdir(const char *dir)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

#endif
