/*
 * receipt.c - parse, verify and write filing receipts (see receipt.h and docs/formats.md).
 */
#include "core/receipt.h"

#include "crypto/hash.h"
#include "tlog/merkle.h"
#include "tlog/proof.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Longest base64 member accepted before decoding: the entry's, LEDGER_ENTRY_MAX bytes. */
#define B64_MAX (4 * ((LEDGER_ENTRY_MAX + 2) / 3))

static const char *const receipt_fault_names[RECEIPT_FAULT_COUNT] = {
    [RECEIPT_OK] = "ok",
    [RECEIPT_MALFORMED] = "malformed",
    [RECEIPT_TOO_LARGE] = "too_large",
    [RECEIPT_WRONG_FORMAT] = "wrong_format",
    [RECEIPT_UNKNOWN_KEY] = "unknown_key",
    [RECEIPT_PROOF_MALFORMED] = "proof_malformed",
    [RECEIPT_CHECKPOINT_MALFORMED] = "checkpoint_malformed",
    [RECEIPT_WRONG_KEY] = "wrong_key",
    [RECEIPT_SIGNATURE_INVALID] = "signature_invalid",
    [RECEIPT_NOT_INCLUDED] = "not_included",
    [RECEIPT_INDEX_MISMATCH] = "index_mismatch",
    [RECEIPT_ENTRY_MALFORMED] = "entry_malformed",
    [RECEIPT_NOT_FILED] = "not_filed",
    [RECEIPT_COMMITMENT_MISMATCH] = "commitment_mismatch",
    [RECEIPT_TEXT_MISMATCH] = "text_mismatch",
};

const char *receipt_fault_name(enum receipt_fault f)
{
    if ((unsigned)f >= RECEIPT_FAULT_COUNT)
        return "unknown";
    return receipt_fault_names[f];
}

/* Record @f in the optional @fault and give back @rc, so that failures read as one line. */
static int fail(enum receipt_fault *fault, enum receipt_fault f, int rc)
{
    if (fault != NULL)
        *fault = f;
    return rc;
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* The string member @key of @root: *@s and *@len. */
static int member_string(json_t *root, const char *key, const char **s, size_t *len,
                         enum receipt_fault *fault, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);

    if (v == NULL) {
        err_set(err, errlen, "malformed receipt: no \"%s\"", key);
        return fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
    }
    if (!json_is_string(v)) {
        err_set(err, errlen, "malformed receipt: \"%s\" is not a string", key);
        return fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
    }
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

/*
 * The base64 member @key of @root decoded into @out (room for @cap bytes), *@outlen bytes;
 * with @exact, exactly @cap bytes. Only the canonical encoding is accepted: re-encoding the
 * bytes must give the member back.
 */
static int member_b64(json_t *root, const char *key, uint8_t *out, size_t cap, bool exact,
                      size_t *outlen, enum receipt_fault *fault, char *err, size_t errlen)
{
    char again[B64_MAX + 1];
    const char *s;
    size_t len, n = 0;
    int rc;

    rc = member_string(root, key, &s, &len, fault, err, errlen);
    if (rc != 0)
        return rc;
    if (len > B64_MAX) {
        err_set(err, errlen, "receipt too large: \"%s\" is over %u bytes", key,
                (unsigned)LEDGER_ENTRY_MAX);
        return fail(fault, RECEIPT_TOO_LARGE, ERR_TOO_LARGE);
    }
    if (b64_decode(out, cap, &n, s, len, false) != 0 || (exact && n != cap)) {
        err_set(err, errlen, "malformed receipt: \"%s\" is not base64 of %s%zu bytes", key,
                exact ? "" : "at most ", cap);
        return fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
    }
    b64_encode(again, sizeof(again), out, n, false);
    if (strlen(again) != len || memcmp(again, s, len) != 0) {
        err_set(err, errlen, "malformed receipt: \"%s\" is not canonical base64", key);
        return fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
    }
    *outlen = n;
    return 0;
}

int receipt_parse(const char *json, size_t len, struct receipt *out, enum receipt_fault *fault,
                  char *err, size_t errlen)
{
    static const char *const known[] = {"format", "entry", "salt", "digest", "index", "proof"};
    json_error_t jerr;
    bool nomem;
    json_t *root = NULL, *v;
    const char *key, *s;
    size_t n, slen;
    json_int_t index;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    fail(fault, RECEIPT_OK, 0);
    if (len > RECEIPT_MAX_SIZE) {
        err_set(err, errlen, "receipt too large: %zu bytes, at most %u allowed", len,
                RECEIPT_MAX_SIZE);
        rc = fail(fault, RECEIPT_TOO_LARGE, ERR_TOO_LARGE);
        goto out;
    }
    root = mem_json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr, &nomem);
    if (nomem) {
        err_set(err, errlen, "out of memory");
        rc = ERR_NOMEM;
        goto out;
    }
    if (root == NULL) {
        err_set(err, errlen, "malformed receipt: not JSON (line %d, column %d: %s)", jerr.line,
                jerr.column, jerr.text);
        rc = fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
        goto out;
    }
    if (!json_is_object(root)) {
        err_set(err, errlen, "malformed receipt: not a JSON object");
        rc = fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
        goto out;
    }
    rc = member_string(root, "format", &s, &slen, fault, err, errlen);
    if (rc != 0)
        goto out;
    if (slen != strlen(RECEIPT_FORMAT_TAG) || memcmp(s, RECEIPT_FORMAT_TAG, slen) != 0) {
        err_set(err, errlen, "wrong format: not a " RECEIPT_FORMAT_TAG " receipt");
        rc = fail(fault, RECEIPT_WRONG_FORMAT, ERR_INVALID);
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        size_t k;

        for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
            if (strcmp(key, known[k]) == 0)
                break;
        }
        if (k == sizeof(known) / sizeof(known[0])) {
            /* the name may be anything: do not echo it */
            err_set(err, errlen,
                    "extra item: the receipt has a member this version does not "
                    "define");
            rc = fail(fault, RECEIPT_UNKNOWN_KEY, ERR_INVALID);
            goto out;
        }
    }
    if ((rc = member_b64(root, "entry", out->entry, sizeof(out->entry), false, &out->entry_len,
                         fault, err, errlen)) != 0 ||
        (rc = member_b64(root, "salt", out->salt, sizeof(out->salt), true, &n, fault, err,
                         errlen)) != 0 ||
        (rc = member_b64(root, "digest", out->digest, sizeof(out->digest), true, &n, fault, err,
                         errlen)) != 0)
        goto out;
    v = json_object_get(root, "index");
    if (v == NULL || !json_is_integer(v)) {
        err_set(err, errlen, "malformed receipt: \"index\" is %s",
                v == NULL ? "missing" : "not an integer");
        rc = fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
        goto out;
    }
    index = json_integer_value(v);
    if (index < 0 || (uint64_t)index > TLOG_SIZE_MAX) {
        err_set(err, errlen, "malformed receipt: \"index\" is out of range");
        rc = fail(fault, RECEIPT_MALFORMED, ERR_INVALID);
        goto out;
    }
    out->index = (uint64_t)index;
    rc = member_string(root, "proof", &s, &slen, fault, err, errlen);
    if (rc != 0)
        goto out;
    if (slen > TLOG_PROOF_TEXT_MAX) {
        err_set(err, errlen, "receipt too large: \"proof\" is over %u bytes",
                (unsigned)TLOG_PROOF_TEXT_MAX);
        rc = fail(fault, RECEIPT_TOO_LARGE, ERR_TOO_LARGE);
        goto out;
    }
    out->proof = mem_alloc(slen + 1);
    if (out->proof == NULL) {
        err_set(err, errlen, "out of memory");
        rc = fail(fault, RECEIPT_OK, ERR_NOMEM);
        goto out;
    }
    memcpy(out->proof, s, slen);
    out->proof[slen] = '\0';
    out->proof_len = slen;
out:
    json_decref(root);
    if (rc != 0)
        receipt_release(out);
    return rc;
}

void receipt_release(struct receipt *r)
{
    if (r == NULL)
        return;
    mem_free(r->proof);
    memset(r, 0, sizeof(*r));
}

/* ---- verification ----------------------------------------------------------------------- */

/*
 * The proof's checkpoint, opened with @key. Done before tlog_proof_verify() (which opens it
 * again) so that each way a checkpoint can fail has its own fault.
 */
static int checkpoint_check(const struct tlog_proof *p, const struct note_vkey *key,
                            enum receipt_fault *fault, char *err, size_t errlen)
{
    struct tlog_checkpoint cp;
    char why[256] = "";
    int rc;

    rc = tlog_checkpoint_open(p->checkpoint, p->checkpoint_len, NULL, key, &cp, why, sizeof(why));
    if (rc == ERR_NOT_FOUND) {
        err_set(err, errlen, "wrong key: the checkpoint is not signed by the log key %s",
                key->name);
        return fail(fault, RECEIPT_WRONG_KEY, ERR_CRYPTO);
    }
    if (rc == ERR_CRYPTO) {
        err_set(err, errlen,
                "bad signature: the log key's signature on the checkpoint does "
                "not verify");
        return fail(fault, RECEIPT_SIGNATURE_INVALID, ERR_CRYPTO);
    }
    if (rc != 0) {
        err_set(err, errlen, "malformed checkpoint: %s", why[0] ? why : err_str(rc));
        return fail(fault, RECEIPT_CHECKPOINT_MALFORMED, rc == ERR_TOO_LARGE ? rc : ERR_INVALID);
    }
    return 0;
}

int receipt_check(const struct receipt *r, const struct note_vkey *key, const void *text,
                  size_t text_len, struct receipt_result *out, enum receipt_fault *fault, char *err,
                  size_t errlen)
{
    struct tlog_proof *p = NULL;
    struct tlog_checkpoint cp = {0};
    struct ledger_entry e;
    uint8_t leaf[HASH_SHA256_LEN], want[32], got[RECEIPT_DIGEST_LEN];
    char why[256] = "";
    int rc;

    if (out != NULL)
        memset(out, 0, sizeof(*out));
    fail(fault, RECEIPT_OK, 0);
    /* a tlog_proof holds 64 hashes and the extra bytes by value: too big for the stack */
    p = mem_alloc(sizeof(*p));
    if (p == NULL) {
        err_set(err, errlen, "out of memory");
        rc = fail(fault, RECEIPT_OK, ERR_NOMEM);
        goto out;
    }
    rc = tlog_proof_parse(r->proof, r->proof_len, p);
    if (rc != 0) {
        err_set(err, errlen, "malformed proof: \"proof\" is not a c2sp.org/tlog-proof@v1 text");
        rc = fail(fault, RECEIPT_PROOF_MALFORMED, rc);
        goto out;
    }
    rc = checkpoint_check(p, key, fault, err, errlen);
    if (rc != 0)
        goto out;
    tlog_leaf_hash(leaf, r->entry, r->entry_len);
    rc = tlog_proof_verify(p, leaf, NULL, key, &cp, why, sizeof(why));
    if (rc != 0) {
        err_set(err, errlen,
                "not included: the inclusion proof does not lead from this entry at index %llu "
                "to the checkpoint's root",
                (unsigned long long)p->index);
        rc = fail(fault, RECEIPT_NOT_INCLUDED, ERR_CRYPTO);
        goto out;
    }
    if (p->index != r->index) {
        err_set(err, errlen, "index mismatch: the receipt says entry %llu, its proof entry %llu",
                (unsigned long long)r->index, (unsigned long long)p->index);
        rc = fail(fault, RECEIPT_INDEX_MISMATCH, ERR_INVALID);
        goto out;
    }
    if (ledger_entry_parse((const char *)r->entry, r->entry_len, &e) != 0) {
        err_set(err, errlen, "malformed entry: the logged entry is not a canonical log entry");
        rc = fail(fault, RECEIPT_ENTRY_MALFORMED, ERR_INVALID);
        goto out;
    }
    if (e.event != LEDGER_FILED) {
        err_set(err, errlen, "not a filing: the logged entry is a \"%s\" entry",
                ledger_event_name(e.event));
        rc = fail(fault, RECEIPT_NOT_FILED, ERR_INVALID);
        goto out;
    }
    ledger_commitment(r->salt, r->digest, want);
    if (!hash_equal(want, e.commitment, sizeof(want))) {
        err_set(err, errlen,
                "commitment mismatch: the entry does not commit to this salt and digest");
        rc = fail(fault, RECEIPT_COMMITMENT_MISMATCH, ERR_CRYPTO);
        goto out;
    }
    if (text != NULL) {
        hash_sha256(got, text, text_len);
        if (!hash_equal(got, r->digest, sizeof(got))) {
            err_set(err, errlen, "text mismatch: the text's SHA-256 is not the receipt's digest");
            rc = fail(fault, RECEIPT_TEXT_MISMATCH, ERR_CRYPTO);
            goto out;
        }
    }
    if (out != NULL) {
        out->entry = e;
        out->index = p->index;
        out->log_size = cp.size;
        memcpy(out->root, cp.root, HASH_SHA256_LEN);
        memcpy(out->origin, cp.origin, cp.origin_len);
        out->origin[cp.origin_len] = '\0';
    }
    rc = 0;
out:
    mem_free(p);
    return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* base64 of @data[0..@len) as a new JSON string, or NULL. */
static json_t *b64_json(const uint8_t *data, size_t len)
{
    char buf[B64_MAX + 1];

    b64_encode(buf, sizeof(buf), data, len, false);
    return json_string(buf);
}

int receipt_encode(const uint8_t *entry, size_t entry_len, const uint8_t salt[LEDGER_SALT_LEN],
                   const uint8_t digest[RECEIPT_DIGEST_LEN], uint64_t index, const char *proof,
                   size_t proof_len, char **out, size_t *outlen)
{
    json_t *root = NULL, *pj = NULL;
    unsigned long refused;
    char *doc = NULL;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (entry_len > LEDGER_ENTRY_MAX || proof_len > TLOG_PROOF_TEXT_MAX) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if (index > TLOG_SIZE_MAX) {
        rc = ERR_INVALID;
        goto out;
    }
    refused = mem_failures();
    pj = json_stringn(proof, proof_len);
    if (pj == NULL) {
        /* jansson refuses invalid UTF-8 and NUL; an allocation failure looks the same */
        rc = mem_failures() != refused ? ERR_NOMEM : ERR_INVALID;
        goto out;
    }
    root = json_pack("{s:s, s:o, s:o, s:o, s:I, s:O}", "format", RECEIPT_FORMAT_TAG, "entry",
                     b64_json(entry, entry_len), "salt", b64_json(salt, LEDGER_SALT_LEN), "digest",
                     b64_json(digest, RECEIPT_DIGEST_LEN), "index", (json_int_t)index, "proof", pj);
    if (root == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    doc = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (doc == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    *out = doc;
    *outlen = strlen(doc);
out:
    json_decref(pj);
    json_decref(root);
    return rc;
}
