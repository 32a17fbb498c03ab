/*
 * checkpoint.c - checkpoint text and its signing, over crypto/note.h.
 */
#include "tlog/checkpoint.h"

#include "crypto/hash.h"
#include "util/err.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Base64 length of a hash: 44 characters, one '=' of padding. */

/* Whether @ext[0..@len) is a run of non-empty lines each ending in "\n". */
static bool ext_ok(const char *ext, size_t len)
{
    size_t start = 0;

    if (len > 0 && ext[len - 1] != '\n')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (ext[i] == '\n') {
            if (i == start)
                return false;
            start = i + 1;
        }
    }
    return true;
}

int tlog_checkpoint_format(const struct tlog_checkpoint *c, char **out, size_t *outlen)
{
    char b64[HASH_B64_LEN + 1], *text = NULL;
    size_t cap, len;
    int rc = 0, n;

    *out = NULL;
    *outlen = 0;
    if (c->origin_len == 0 || c->origin_len > TLOG_ORIGIN_MAX ||
        memchr(c->origin, '\n', c->origin_len) != NULL || c->size > TLOG_SIZE_MAX ||
        (c->ext_len > 0 && c->ext == NULL) || !ext_ok(c->ext, c->ext_len))
        return ERR_INVALID;
    if (c->ext_len > TLOG_CHECKPOINT_TEXT_MAX)
        return ERR_TOO_LARGE;
    b64_encode(b64, sizeof(b64), c->root, HASH_SHA256_LEN, false);
    /* origin, 19 digits, the hash, three newlines, extensions, NUL */
    cap = c->origin_len + 20 + HASH_B64_LEN + 3 + c->ext_len + 1;
    text = mem_alloc(cap);
    if (text == NULL)
        return ERR_NOMEM;
    n = snprintf(text, cap, "%.*s\n%" PRIu64 "\n%s\n", (int)c->origin_len, c->origin, c->size, b64);
    if (n < 0 || (size_t)n + c->ext_len + 1 > cap) {
        rc = ERR_INTERNAL;
        goto out;
    }
    len = (size_t)n;
    if (c->ext_len > 0)
        memcpy(text + len, c->ext, c->ext_len);
    len += c->ext_len;
    text[len] = '\0';
    if (len > TLOG_CHECKPOINT_TEXT_MAX) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    rc = note_text_check(text, len);
    if (rc != 0) {
        rc = ERR_INVALID;
        goto out;
    }
    *out = text;
    *outlen = len;
    text = NULL;
out:
    mem_free(text);
    return rc;
}

int tlog_decimal_parse(const char *s, size_t len, uint64_t *v)
{
    *v = 0;
    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        /* 19 digits fit in uint64; the bound is checked once at the end */
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return *v > TLOG_SIZE_MAX ? ERR_INVALID : 0;
}

int tlog_hash_b64_parse(const char *s, size_t len, uint8_t out[HASH_SHA256_LEN])
{
    char again[HASH_B64_LEN + 1];
    size_t n = 0;

    if (len != HASH_B64_LEN || b64_decode(out, HASH_SHA256_LEN, &n, s, len, false) != 0 ||
        n != HASH_SHA256_LEN)
        return ERR_INVALID;
    /* refuse non-zero padding bits: one encoding per hash */
    b64_encode(again, sizeof(again), out, HASH_SHA256_LEN, false);
    return memcmp(again, s, HASH_B64_LEN) == 0 ? 0 : ERR_INVALID;
}

int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out)
{
    struct tlog_checkpoint c = {0};
    const char *p = text, *end = text + len, *nl;
    int rc = ERR_INVALID;

    memset(out, 0, sizeof(*out));
    if (len > TLOG_CHECKPOINT_TEXT_MAX)
        return ERR_TOO_LARGE;
    if (note_text_check(text, len) != 0)
        goto out;
    /* origin */
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL || nl == p || (size_t)(nl - p) > TLOG_ORIGIN_MAX)
        goto out;
    c.origin = p;
    c.origin_len = (size_t)(nl - p);
    p = nl + 1;
    /* size */
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL || tlog_decimal_parse(p, (size_t)(nl - p), &c.size) != 0)
        goto out;
    p = nl + 1;
    /* root */
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL || tlog_hash_b64_parse(p, (size_t)(nl - p), c.root) != 0)
        goto out;
    p = nl + 1;
    /* extension lines: note_text_check() made the text end in "\n" */
    if (!ext_ok(p, (size_t)(end - p)))
        goto out;
    if (p < end) {
        c.ext = p;
        c.ext_len = (size_t)(end - p);
    }
    *out = c;
    rc = 0;
out:
    return rc;
}

int tlog_checkpoint_sign(const struct tlog_checkpoint *c, const struct note_skey *key, char **out,
                         size_t *outlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    *outlen = 0;
    rc = tlog_checkpoint_format(c, &text, &len);
    if (rc != 0)
        goto out;
    rc = note_sign(text, len, key, out, outlen);
out:
    mem_free(text);
    return rc;
}

int tlog_checkpoint_open(const char *msg, size_t len, const char *origin,
                         const struct note_vkey *key, struct tlog_checkpoint *out, char *err,
                         size_t errlen)
{
    struct tlog_checkpoint c;
    size_t text_len = 0, olen;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len > TLOG_CHECKPOINT_MAX) {
        err_set(err, errlen, "checkpoint over %u bytes", (unsigned)TLOG_CHECKPOINT_MAX);
        return ERR_TOO_LARGE;
    }
    rc = note_open(msg, len, key, 1, NULL, &text_len, err, errlen);
    if (rc != 0)
        goto out;
    rc = tlog_checkpoint_parse(msg, text_len, &c);
    if (rc != 0) {
        err_set(err, errlen, "malformed checkpoint text");
        goto out;
    }
    if (origin == NULL) {
        origin = key->name;
        olen = key->name_len;
    } else {
        olen = strlen(origin);
    }
    if (c.origin_len != olen || memcmp(c.origin, origin, olen) != 0) {
        err_set(err, errlen, "checkpoint of another log (origin %.*s)", (int)c.origin_len,
                c.origin);
        rc = ERR_INVALID;
        goto out;
    }
    *out = c;
out:
    return rc;
}
