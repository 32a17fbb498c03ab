/*
 * proof.c - tlog-proof@v1 text, its verification and its creation from stored hashes.
 */
#include "tlog/proof.h"

#include "crypto/hash.h"
#include "util/err.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "c2sp.org/tlog-proof@v1\n"
#define HEADER_LEN (sizeof(HEADER) - 1)

int tlog_proof_format(const struct tlog_proof *p, char **out, size_t *outlen)
{
    char *text = NULL, *w;
    size_t cap, extra_b64 = 0;
    int rc = 0, n;

    *out = NULL;
    *outlen = 0;
    if (p->nhashes > TLOG_PROOF_MAX || p->extra_len > TLOG_PROOF_EXTRA_MAX ||
        (!p->has_extra && p->extra_len > 0) || p->index > TLOG_SIZE_MAX || p->checkpoint_len == 0 ||
        p->checkpoint[p->checkpoint_len - 1] != '\n')
        return ERR_INVALID;
    if (p->checkpoint_len > TLOG_CHECKPOINT_MAX)
        return ERR_TOO_LARGE;
    if (p->has_extra)
        extra_b64 = b64_encoded_len(p->extra_len, false);
    /* header, "extra " b64 "\n", "index " 19 digits "\n", hashes, blank line, checkpoint, NUL */
    cap = HEADER_LEN + 7 + extra_b64 + 27 + p->nhashes * (HASH_B64_LEN + 1) + 1 +
          p->checkpoint_len + 1;
    text = mem_alloc(cap);
    if (text == NULL)
        return ERR_NOMEM;
    w = text;
    memcpy(w, HEADER, HEADER_LEN);
    w += HEADER_LEN;
    if (p->has_extra) {
        memcpy(w, "extra ", 6);
        w += 6;
        b64_encode(w, extra_b64, p->extra, p->extra_len, false);
        w += strlen(w);
        *w++ = '\n';
    }
    n = snprintf(w, cap - (size_t)(w - text), "index %" PRIu64 "\n", p->index);
    if (n < 0) {
        rc = ERR_INTERNAL;
        goto out;
    }
    w += n;
    for (size_t i = 0; i < p->nhashes; i++) {
        b64_encode(w, HASH_B64_LEN + 1, p->hashes[i], HASH_SHA256_LEN, false);
        w += HASH_B64_LEN;
        *w++ = '\n';
    }
    *w++ = '\n';
    memcpy(w, p->checkpoint, p->checkpoint_len);
    w += p->checkpoint_len;
    *w = '\0';
    if ((size_t)(w - text) > TLOG_PROOF_TEXT_MAX) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    *outlen = (size_t)(w - text);
    *out = text;
    text = NULL;
out:
    mem_free(text);
    return rc;
}

/* The next line of [*@p, @end) without its "\n" into @line/@llen; false at the end of the text
   or when the last line has no "\n". */
static bool next_line(const char **p, const char *end, const char **line, size_t *llen)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));

    if (nl == NULL)
        return false;
    *line = *p;
    *llen = (size_t)(nl - *p);
    *p = nl + 1;
    return true;
}

/* Canonical base64 of @s[0..@len) into @out (@cap bytes): decodes and re-encodes identically. */
static int b64_canonical(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    char again[((TLOG_PROOF_EXTRA_MAX + 2) / 3) * 4 + 1];

    *outlen = 0;
    if (len >= sizeof(again) || b64_decode(out, cap, outlen, s, len, false) != 0)
        return ERR_INVALID;
    b64_encode(again, sizeof(again), out, *outlen, false);
    if (strlen(again) != len || memcmp(again, s, len) != 0)
        return ERR_INVALID;
    return 0;
}

/* Parse "index N": canonical decimal, at most TLOG_SIZE_MAX. */
static int index_parse(const char *s, size_t len, uint64_t *v)
{
    *v = 0;
    if (len < 7 || memcmp(s, "index ", 6) != 0)
        return ERR_INVALID;
    s += 6;
    len -= 6;
    if (len > 19 || (len > 1 && s[0] == '0'))
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return *v > TLOG_SIZE_MAX ? ERR_INVALID : 0;
}

int tlog_proof_parse(const char *text, size_t len, struct tlog_proof *out)
{
    const char *p = text, *end = text + len, *line;
    size_t llen, n;
    int rc = ERR_INVALID;

    memset(out, 0, sizeof(*out));
    if (len > TLOG_PROOF_TEXT_MAX)
        return ERR_TOO_LARGE;
    if (!next_line(&p, end, &line, &llen) || llen != HEADER_LEN - 1 ||
        memcmp(line, HEADER, llen) != 0)
        goto out;
    if (!next_line(&p, end, &line, &llen))
        goto out;
    if (llen >= 6 && memcmp(line, "extra ", 6) == 0) {
        if (b64_canonical(line + 6, llen - 6, out->extra, sizeof(out->extra), &out->extra_len))
            goto out;
        out->has_extra = true;
        if (!next_line(&p, end, &line, &llen))
            goto out;
    }
    if (index_parse(line, llen, &out->index) != 0)
        goto out;
    for (;;) {
        if (!next_line(&p, end, &line, &llen))
            goto out;
        if (llen == 0)
            break;
        if (out->nhashes == TLOG_PROOF_MAX || llen != HASH_B64_LEN ||
            b64_canonical(line, llen, out->hashes[out->nhashes], HASH_SHA256_LEN, &n) != 0 ||
            n != HASH_SHA256_LEN)
            goto out;
        out->nhashes++;
    }
    /* the rest is the signed checkpoint; tlog_checkpoint_open() checks it */
    if (p == end || end[-1] != '\n' || (size_t)(end - p) > TLOG_CHECKPOINT_MAX)
        goto out;
    out->checkpoint = p;
    out->checkpoint_len = (size_t)(end - p);
    rc = 0;
out:
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

int tlog_proof_verify(const struct tlog_proof *p, const uint8_t leaf[HASH_SHA256_LEN],
                      const char *origin, const struct note_vkey *key, struct tlog_checkpoint *cp,
                      char *err, size_t errlen)
{
    struct tlog_checkpoint c;
    int rc;

    if (cp != NULL)
        memset(cp, 0, sizeof(*cp));
    rc = tlog_checkpoint_open(p->checkpoint, p->checkpoint_len, origin, key, &c, err, errlen);
    if (rc != 0)
        goto out;
    rc = tlog_inclusion_verify(c.size, p->index, leaf, (const uint8_t(*)[HASH_SHA256_LEN])p->hashes,
                               p->nhashes, c.root);
    if (rc == ERR_INVALID)
        err_set(err, errlen,
                "index %" PRIu64 " and %zu hashes cannot prove inclusion in size %" PRIu64,
                p->index, p->nhashes, c.size);
    else if (rc != 0)
        err_set(err, errlen, "inclusion proof does not lead to the checkpoint's root");
    if (rc != 0)
        goto out;
    if (cp != NULL)
        *cp = c;
out:
    return rc;
}

int tlog_proof_create(const char *checkpoint, size_t cplen, uint64_t index,
                      const struct tlog_hash_reader *r, const uint8_t *extra, size_t extra_len,
                      char **out, size_t *outlen)
{
    struct tlog_proof *p = NULL;
    struct note n = {0};
    struct tlog_checkpoint c;
    struct tlog_node leaf_node = {0, index};
    uint8_t leaf[1][HASH_SHA256_LEN];
    int rc;

    *out = NULL;
    *outlen = 0;
    if (extra_len > TLOG_PROOF_EXTRA_MAX || (extra == NULL && extra_len > 0))
        return ERR_INVALID;
    if (cplen > TLOG_CHECKPOINT_MAX)
        return ERR_TOO_LARGE;
    p = mem_calloc(1, sizeof(*p));
    if (p == NULL)
        return ERR_NOMEM;
    rc = note_parse(checkpoint, cplen, &n, NULL, 0);
    if (rc != 0)
        goto out;
    rc = tlog_checkpoint_parse(n.text, n.text_len, &c);
    if (rc != 0)
        goto out;
    if (index >= c.size) {
        rc = ERR_INVALID;
        goto out;
    }
    rc = tlog_inclusion_prove(c.size, index, r, p->hashes, &p->nhashes);
    if (rc != 0)
        goto out;
    rc = r->read(r->ctx, &leaf_node, 1, leaf);
    if (rc != 0)
        goto out;
    rc = tlog_inclusion_verify(c.size, index, leaf[0], (const uint8_t(*)[HASH_SHA256_LEN])p->hashes,
                               p->nhashes, c.root);
    if (rc != 0) {
        rc = ERR_CRYPTO;
        goto out;
    }
    p->index = index;
    p->has_extra = extra != NULL;
    if (extra_len > 0)
        memcpy(p->extra, extra, extra_len);
    p->extra_len = extra_len;
    p->checkpoint = checkpoint;
    p->checkpoint_len = cplen;
    rc = tlog_proof_format(p, out, outlen);
out:
    note_release(&n);
    mem_free(p);
    return rc;
}
