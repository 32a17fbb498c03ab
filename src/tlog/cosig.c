/*
 * cosig.c - witness cosignatures and add-checkpoint messages (tlog/cosig.h).
 */
#include "tlog/cosig.h"

#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "util/err.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define COSIG_HEADER "cosignature/v1\ntime "
#define SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define BLOB_LEN (4 + NOTE_TIMESTAMP_LEN + NOTE_SIG_LEN) /* key ID, time, signature */

/* The signed message of a cosignature at @timestamp over @text[0..@len): malloc'd. */
static uint8_t *message(const char *text, size_t len, uint64_t timestamp, size_t *mlen)
{
    char head[64];
    int n = snprintf(head, sizeof(head), COSIG_HEADER "%" PRIu64 "\n", timestamp);
    uint8_t *m;

    if (n < 0 || (size_t)n >= sizeof(head) || (m = mem_alloc((size_t)n + len)) == NULL)
        return NULL;
    memcpy(m, head, (size_t)n);
    memcpy(m + n, text, len);
    *mlen = (size_t)n + len;
    return m;
}

int tlog_cosign(const char *text, size_t len, const struct note_skey *key, uint64_t timestamp,
                char *line, size_t linelen)
{
    uint8_t blob[BLOB_LEN], *m = NULL;
    char b64[2 * BLOB_LEN];
    size_t mlen = 0, need;
    int rc = 0;

    if (linelen > 0)
        line[0] = '\0';
    if (key->type != NOTE_TYPE_COSIGNATURE || note_name_check(key->name, key->name_len) != 0 ||
        timestamp == 0 || timestamp > TLOG_COSIG_TIME_MAX || note_text_check(text, len) != 0)
        return ERR_INVALID;
    need = SIG_PREFIX_LEN + key->name_len + 1 + b64_encoded_len(BLOB_LEN, false) + 1;
    if (need > linelen)
        return ERR_TOO_LARGE;
    if ((m = message(text, len, timestamp, &mlen)) == NULL)
        return ERR_NOMEM;
    for (int i = 0; i < 4; i++)
        blob[i] = (uint8_t)(key->id >> (24 - 8 * i));
    for (int i = 0; i < NOTE_TIMESTAMP_LEN; i++)
        blob[4 + i] = (uint8_t)(timestamp >> (56 - 8 * i));
    if (crypto_sign_detached(blob + 4 + NOTE_TIMESTAMP_LEN, NULL, m, mlen, key->sk) != 0) {
        rc = ERR_CRYPTO;
        goto out;
    }
    b64_encode(b64, sizeof(b64), blob, sizeof(blob), false);
    snprintf(line, linelen, SIG_PREFIX "%s %s\n", key->name, b64);
out:
    mem_free(m);
    return rc;
}

int tlog_cosig_verify(const char *msg, size_t len, const struct note_vkey *keys, size_t nkeys,
                      uint64_t *times, size_t *count, char *err, size_t errlen)
{
    struct note n = {0};
    uint64_t *t = times;
    uint8_t *m = NULL;
    size_t mlen = 0;
    int rc;

    *count = 0;
    if (t == NULL && (t = mem_calloc(nkeys ? nkeys : 1, sizeof(*t))) == NULL)
        return ERR_NOMEM;
    memset(t, 0, nkeys * sizeof(*t));
    if ((rc = note_parse(msg, len, &n, err, errlen)) != 0)
        goto out;
    for (size_t a = 0; a < nkeys; a++) {
        for (size_t b = a + 1; b < nkeys; b++) {
            if (keys[a].id == keys[b].id && keys[a].name_len == keys[b].name_len &&
                memcmp(keys[a].name, keys[b].name, keys[a].name_len) == 0) {
                err_set(err, errlen, "witness keys %zu and %zu share name and key ID", a, b);
                rc = ERR_INVALID;
                goto out;
            }
        }
    }
    for (size_t i = 0; i < n.nsigs; i++) {
        const struct note_sig *s = &n.sigs[i];
        size_t k;

        for (k = 0; k < nkeys; k++) {
            if (keys[k].type == NOTE_TYPE_COSIGNATURE && s->id == keys[k].id &&
                s->name_len == keys[k].name_len && memcmp(s->name, keys[k].name, s->name_len) == 0)
                break;
        }
        if (k == nkeys)
            continue; /* not a witness we know: ignored */
        if (!s->timestamped || s->timestamp == 0 || s->timestamp > TLOG_COSIG_TIME_MAX) {
            err_set(err, errlen, "the cosignature of %s is malformed", keys[k].name);
            rc = ERR_CRYPTO;
            goto out;
        }
        mem_free(m);
        if ((m = message(n.text, n.text_len, s->timestamp, &mlen)) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        if (crypto_sign_verify_detached(s->sig, m, mlen, keys[k].pub) != 0) {
            err_set(err, errlen, "the cosignature of %s does not verify", keys[k].name);
            rc = ERR_CRYPTO;
            goto out;
        }
        if (t[k] == 0)
            (*count)++; /* each witness once, however many lines it has */
        if (s->timestamp > t[k])
            t[k] = s->timestamp;
    }
out:
    if (rc != 0) {
        *count = 0;
        memset(t, 0, nkeys * sizeof(*t));
    }
    if (t != times)
        mem_free(t);
    mem_free(m);
    note_release(&n);
    return rc;
}

int tlog_cosig_merge(const char *msg, size_t len, const char *lines, size_t llen, char **out,
                     size_t *outlen)
{
    struct note n = {0};
    const char *p = lines, *end = lines + llen;
    char *buf = NULL;
    size_t off;
    int rc;

    *out = NULL;
    *outlen = 0;
    if ((rc = note_parse(msg, len, &n, NULL, 0)) != 0)
        return rc;
    if (len + llen > NOTE_MAX_SIZE) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if ((buf = mem_alloc(len + llen + 1)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    memcpy(buf, msg, len);
    off = len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l;
        bool dup = false;

        if (nl == NULL || (size_t)(nl - p) < SIG_PREFIX_LEN ||
            memcmp(p, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
            rc = ERR_INVALID;
            goto out;
        }
        l = (size_t)(nl - p);
        for (size_t i = 0; i < n.nsigs && !dup; i++)
            dup = n.sigs[i].line_len == l && memcmp(n.sigs[i].line, p, l) == 0;
        if (!dup) {
            memcpy(buf + off, p, l + 1);
            off += l + 1;
        }
        p = nl + 1;
    }
    buf[off] = '\0';
    note_release(&n);
    /* the result must itself be a note: the lines well formed, not too many */
    if ((rc = note_parse(buf, off, &n, NULL, 0)) != 0)
        goto out;
    *out = buf;
    *outlen = off;
    buf = NULL;
out:
    mem_free(buf);
    note_release(&n);
    return rc;
}

int tlog_add_request_format(uint64_t old_size, const uint8_t (*proof)[HASH_SHA256_LEN],
                            size_t nproof, const char *cp, size_t cplen, char **out, size_t *outlen)
{
    size_t cap, off = 0;
    char *buf;
    int n;

    *out = NULL;
    *outlen = 0;
    if (nproof > TLOG_COSIG_PROOF_MAX || old_size > TLOG_SIZE_MAX || cplen == 0)
        return ERR_INVALID;
    cap = 32 + nproof * (HASH_B64_LEN + 1) + 1 + cplen + 1;
    if (cap - 1 > TLOG_ADD_REQUEST_MAX)
        return ERR_TOO_LARGE;
    if ((buf = mem_alloc(cap)) == NULL)
        return ERR_NOMEM;
    n = snprintf(buf, cap, "old %" PRIu64 "\n", old_size);
    off = (size_t)n;
    for (size_t i = 0; i < nproof; i++) {
        b64_encode(buf + off, cap - off, proof[i], HASH_SHA256_LEN, false);
        off += HASH_B64_LEN;
        buf[off++] = '\n';
    }
    buf[off++] = '\n';
    memcpy(buf + off, cp, cplen);
    off += cplen;
    buf[off] = '\0';
    *out = buf;
    *outlen = off;
    return 0;
}

int tlog_add_request_parse(const char *body, size_t len, struct tlog_add_request *out)
{
    const char *p = body, *end = body + len, *nl;

    memset(out, 0, sizeof(*out));
    if (len > TLOG_ADD_REQUEST_MAX)
        return ERR_TOO_LARGE;
    nl = memchr(p, '\n', len);
    if (nl == NULL || nl - p < 5 || memcmp(p, "old ", 4) != 0 ||
        tlog_decimal_parse(p + 4, (size_t)(nl - p - 4), &out->old_size) != 0)
        goto bad;
    p = nl + 1;
    for (;;) {
        if (p >= end)
            goto bad;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            goto bad;
        if (nl == p)
            break; /* the empty line */
        if (out->nproof == TLOG_COSIG_PROOF_MAX ||
            tlog_hash_b64_parse(p, (size_t)(nl - p), out->proof[out->nproof]) != 0)
            goto bad;
        out->nproof++;
        p = nl + 1;
    }
    p = nl + 1;
    if (p >= end)
        goto bad;
    out->checkpoint = p;
    out->checkpoint_len = (size_t)(end - p);
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return ERR_INVALID;
}
