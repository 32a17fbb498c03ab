/*
 * bundle.c - parse, verify and write memo bundles (see bundle.h and docs/formats.md).
 */
#include "core/bundle.h"

#include "core/memo.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define SIGNER_MAX 64 /* USERNAME_MAX */

static const char *const bundle_fault_names[BUNDLE_FAULT_COUNT] = {
    [BUNDLE_OK] = "ok",
    [BUNDLE_MALFORMED] = "malformed",
    [BUNDLE_TOO_LARGE] = "too_large",
    [BUNDLE_WRONG_FORMAT] = "wrong_format",
    [BUNDLE_UNKNOWN_KEY] = "unknown_key",
    [BUNDLE_NOT_CANONICAL] = "not_canonical",
    [BUNDLE_ID_MISMATCH] = "id_mismatch",
    [BUNDLE_TEXT_EDITED] = "text_edited",
    [BUNDLE_DIGEST_ALTERED] = "digest_altered",
    [BUNDLE_NO_SIGNERS] = "no_signers",
    [BUNDLE_BAD_SIGNER] = "bad_signer",
    [BUNDLE_DUPLICATE_SIGNER] = "duplicate_signer",
    [BUNDLE_SIGNATURE_MISSING] = "signature_missing",
    [BUNDLE_EXTRA_SIGNATURE] = "extra_signature",
    [BUNDLE_KEY_MISSING] = "key_missing",
    [BUNDLE_EXTRA_KEY] = "extra_key",
    [BUNDLE_KEY_MISMATCH] = "key_mismatch",
    [BUNDLE_NOTE_MALFORMED] = "note_malformed",
    [BUNDLE_WRONG_KEY] = "wrong_key",
    [BUNDLE_SIGNATURE_INVALID] = "signature_invalid",
    [BUNDLE_COSIGN_MALFORMED] = "cosign_malformed",
    [BUNDLE_COSIGN_MEMO] = "cosign_memo",
    [BUNDLE_COSIGN_DIGEST] = "cosign_digest",
    [BUNDLE_COSIGN_SIGNER] = "cosign_signer",
};

const char *bundle_fault_name(enum bundle_fault f)
{
    if ((unsigned)f >= BUNDLE_FAULT_COUNT)
        return "unknown";
    return bundle_fault_names[f];
}

/* Record @f in the optional @fault and give back @rc, so that failures read as one line. */
static int fail(enum bundle_fault *fault, enum bundle_fault f, int rc)
{
    if (fault != NULL)
        *fault = f;
    return rc;
}

static bool str_is(const struct bundle_str *v, const char *s)
{
    size_t n = strlen(s);

    return v->len == n && memcmp(v->s, s, n) == 0;
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* The string member @key of @root into @out. */
static int member_string(json_t *root, const char *key, struct bundle_str *out,
                         enum bundle_fault *fault, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);

    if (v == NULL) {
        err_set(err, errlen, "malformed bundle: no \"%s\"", key);
        return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
    }
    if (!json_is_string(v)) {
        err_set(err, errlen, "malformed bundle: \"%s\" is not a string", key);
        return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
    }
    out->s = json_string_value(v);
    out->len = json_string_length(v);
    return 0;
}

/* The array-of-strings member @key of @root into a new array at *@out of *@n entries. */
static int member_strings(json_t *root, const char *key, struct bundle_str **out, size_t *n,
                          enum bundle_fault *fault, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key), *item;
    size_t count, i;

    if (v == NULL) {
        err_set(err, errlen, "malformed bundle: no \"%s\"", key);
        return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
    }
    if (!json_is_array(v)) {
        err_set(err, errlen, "malformed bundle: \"%s\" is not an array", key);
        return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
    }
    count = json_array_size(v);
    if (count > BUNDLE_MAX_SIGNERS) {
        err_set(err, errlen, "bundle too large: \"%s\" has %zu entries, at most %d allowed", key,
                count, BUNDLE_MAX_SIGNERS);
        return fail(fault, BUNDLE_TOO_LARGE, ERR_TOO_LARGE);
    }
    if (count == 0)
        return 0;
    *out = mem_calloc(count, sizeof(**out));
    if (*out == NULL) {
        err_set(err, errlen, "out of memory");
        return fail(fault, BUNDLE_OK, ERR_NOMEM);
    }
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item)) {
            err_set(err, errlen, "malformed bundle: \"%s\"[%zu] is not a string", key, i);
            return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
        }
        (*out)[i].s = json_string_value(item);
        (*out)[i].len = json_string_length(item);
    }
    *n = count;
    return 0;
}

int bundle_parse(const char *json, size_t len, struct bundle *out, enum bundle_fault *fault,
                 char *err, size_t errlen)
{
    static const char *const known[] = {"format",  "memo_id",    "canonical_text", "digest",
                                        "signers", "signatures", "vkeys",          "receipt"};
    json_error_t jerr;
    bool nomem;
    json_t *root = NULL, *v;
    const char *key;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    fail(fault, BUNDLE_OK, 0);
    if (len > BUNDLE_MAX_SIZE) {
        err_set(err, errlen, "bundle too large: %zu bytes, at most %u allowed", len,
                BUNDLE_MAX_SIZE);
        rc = fail(fault, BUNDLE_TOO_LARGE, ERR_TOO_LARGE);
        goto out;
    }
    root = mem_json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr, &nomem);
    if (nomem) {
        err_set(err, errlen, "out of memory");
        rc = ERR_NOMEM;
        goto out;
    }
    if (root == NULL) {
        err_set(err, errlen, "malformed bundle: not JSON (line %d, column %d: %s)", jerr.line,
                jerr.column, jerr.text);
        rc = fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
        goto out;
    }
    out->root = root;
    if (!json_is_object(root)) {
        err_set(err, errlen, "malformed bundle: not a JSON object");
        rc = fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
        goto out;
    }
    rc = member_string(root, "format", &out->format, fault, err, errlen);
    if (rc != 0)
        goto out;
    if (!str_is(&out->format, BUNDLE_FORMAT_TAG)) {
        err_set(err, errlen, "wrong format: not a " BUNDLE_FORMAT_TAG " bundle");
        rc = fail(fault, BUNDLE_WRONG_FORMAT, ERR_INVALID);
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
                    "extra item: the bundle has a member this version does not "
                    "define");
            rc = fail(fault, BUNDLE_UNKNOWN_KEY, ERR_INVALID);
            goto out;
        }
    }
    if ((rc = member_string(root, "memo_id", &out->memo_id, fault, err, errlen)) != 0 ||
        (rc = member_string(root, "canonical_text", &out->text, fault, err, errlen)) != 0 ||
        (rc = member_string(root, "digest", &out->digest, fault, err, errlen)) != 0 ||
        (rc = member_strings(root, "signers", &out->signers, &out->nsigners, fault, err, errlen)) !=
            0 ||
        (rc = member_strings(root, "signatures", &out->signatures, &out->nsignatures, fault, err,
                             errlen)) != 0 ||
        (rc = member_strings(root, "vkeys", &out->vkeys, &out->nvkeys, fault, err, errlen)) != 0)
        goto out;
    out->has_receipt = json_object_get(root, "receipt") != NULL;
out:
    if (rc != 0)
        bundle_release(out);
    return rc;
}

void bundle_release(struct bundle *b)
{
    if (b == NULL)
        return;
    mem_free(b->signers);
    mem_free(b->signatures);
    mem_free(b->vkeys);
    json_decref(b->root);
    memset(b, 0, sizeof(*b));
}

/* ---- verification ----------------------------------------------------------------------- */

/* Order signer views by length then bytes, to find duplicates by sorting. */
static int signer_cmp(const void *a, const void *b)
{
    const struct bundle_str *x = *(const struct bundle_str *const *)a;
    const struct bundle_str *y = *(const struct bundle_str *const *)b;

    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->s, y->s, x->len);
}

/* Every signer a valid username (copied NUL-terminated), and no signer twice. */
static int signers_check(const struct bundle *b, enum bundle_fault *fault, char *err, size_t errlen)
{
    const struct bundle_str **sorted = NULL;
    char name[SIGNER_MAX + 1];
    int rc = 0;

    if (b->nsigners == 0) {
        err_set(err, errlen, "no signers: a bundle names at least its drafter");
        rc = fail(fault, BUNDLE_NO_SIGNERS, ERR_INVALID);
        goto out;
    }
    if (b->nsigners > BUNDLE_MAX_SIGNERS) {
        err_set(err, errlen, "bundle too large: %zu signers, at most %d allowed", b->nsigners,
                BUNDLE_MAX_SIGNERS);
        rc = fail(fault, BUNDLE_TOO_LARGE, ERR_TOO_LARGE);
        goto out;
    }
    for (size_t i = 0; i < b->nsigners; i++) {
        const struct bundle_str *s = &b->signers[i];
        bool ok = s->len > 0 && s->len <= SIGNER_MAX;

        if (ok) {
            memcpy(name, s->s, s->len);
            name[s->len] = '\0';
            ok = strlen(name) == s->len && user_username_valid(name);
        }
        if (!ok) {
            err_set(err, errlen, "bad signer: signer %zu is not a valid username", i + 1);
            rc = fail(fault, BUNDLE_BAD_SIGNER, ERR_INVALID);
            goto out;
        }
    }
    sorted = mem_alloc(b->nsigners * sizeof(*sorted));
    if (sorted == NULL) {
        err_set(err, errlen, "out of memory");
        rc = fail(fault, BUNDLE_OK, ERR_NOMEM);
        goto out;
    }
    for (size_t i = 0; i < b->nsigners; i++)
        sorted[i] = &b->signers[i];
    qsort(sorted, b->nsigners, sizeof(*sorted), signer_cmp);
    for (size_t i = 1; i < b->nsigners; i++) {
        if (signer_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            size_t x = (size_t)(sorted[i - 1] - b->signers), y = (size_t)(sorted[i] - b->signers);

            err_set(err, errlen, "duplicate signer: %.*s is signer %zu and %zu",
                    (int)sorted[i]->len, sorted[i]->s, (x < y ? x : y) + 1, (x < y ? y : x) + 1);
            rc = fail(fault, BUNDLE_DUPLICATE_SIGNER, ERR_INVALID);
            goto out;
        }
    }
out:
    mem_free(sorted);
    return rc;
}

/* The arrays are parallel: report the first count that differs from the signers'. */
static int counts_check(const struct bundle *b, enum bundle_fault *fault, char *err, size_t errlen)
{
    if (b->nsignatures < b->nsigners) {
        err_set(err, errlen, "signature missing: %zu signers, %zu signatures", b->nsigners,
                b->nsignatures);
        return fail(fault, BUNDLE_SIGNATURE_MISSING, ERR_INVALID);
    }
    if (b->nsignatures > b->nsigners) {
        err_set(err, errlen, "extra item: %zu signatures for %zu signers", b->nsignatures,
                b->nsigners);
        return fail(fault, BUNDLE_EXTRA_SIGNATURE, ERR_INVALID);
    }
    if (b->nvkeys < b->nsigners) {
        err_set(err, errlen, "key missing: %zu signers, %zu vkeys", b->nsigners, b->nvkeys);
        return fail(fault, BUNDLE_KEY_MISSING, ERR_INVALID);
    }
    if (b->nvkeys > b->nsigners) {
        err_set(err, errlen, "extra item: %zu vkeys for %zu signers", b->nvkeys, b->nsigners);
        return fail(fault, BUNDLE_EXTRA_KEY, ERR_INVALID);
    }
    return 0;
}

/*
 * Whether the first co-signature names @digest: the diagnosis that tells an altered digest
 * member from an edited text. The note is not verified; this only chooses the message.
 */
static bool first_note_names(const struct bundle *b, const uint8_t digest[HASH_SHA256_LEN])
{
    struct note n = {0};
    char id[MEMO_ID_LEN + 1], signer[SIGNER_MAX + 1];
    uint8_t named[HASH_SHA256_LEN];
    bool yes = false;

    if (b->nsignatures == 0 ||
        note_parse(b->signatures[0].s, b->signatures[0].len, &n, NULL, 0) != 0)
        goto out;
    if (memo_cosign_parse(n.text, n.text_len, id, named, signer) != 0)
        goto out;
    yes = memcmp(named, digest, HASH_SHA256_LEN) == 0;
out:
    note_release(&n);
    return yes;
}

/* The memo id, digest syntax, canonical text and the digest of the text. */
static int text_check(const struct bundle *b, uint8_t digest[HASH_SHA256_LEN],
                      enum bundle_fault *fault, char *err, size_t errlen)
{
    char id[MEMO_ID_LEN + 1], b64[MEMO_DIGEST_B64_LEN + 1], text_id[MEMO_ID_LEN + 1];
    uint8_t actual[HASH_SHA256_LEN];
    const char *title, *body;
    size_t title_len, body_len, n = 0;

    id[0] = '\0';
    if (b->memo_id.len == MEMO_ID_LEN) {
        memcpy(id, b->memo_id.s, MEMO_ID_LEN);
        id[MEMO_ID_LEN] = '\0';
    }
    if (!memo_id_valid(id)) {
        err_set(err, errlen, "malformed bundle: memo_id is not %d lowercase hex digits",
                MEMO_ID_LEN);
        return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
    }
    b64[0] = '\0';
    if (b->digest.len == MEMO_DIGEST_B64_LEN &&
        b64_decode(digest, HASH_SHA256_LEN, &n, b->digest.s, b->digest.len, false) == 0 &&
        n == HASH_SHA256_LEN)
        memo_digest_b64(digest, b64);
    if (b64[0] == '\0' || memcmp(b64, b->digest.s, MEMO_DIGEST_B64_LEN) != 0) {
        err_set(err, errlen, "malformed bundle: digest is not the padded base64 of %d bytes",
                HASH_SHA256_LEN);
        return fail(fault, BUNDLE_MALFORMED, ERR_INVALID);
    }
    if (memo_canonical_split(b->text.s, b->text.len, text_id, &title, &title_len, &body,
                             &body_len) != 0) {
        err_set(err, errlen, "not canonical: canonical_text is not in the canonical form");
        return fail(fault, BUNDLE_NOT_CANONICAL, ERR_INVALID);
    }
    if (memcmp(text_id, id, MEMO_ID_LEN) != 0) {
        err_set(err, errlen, "memo id mismatch: canonical_text is memo %s, the bundle says %s",
                text_id, id);
        return fail(fault, BUNDLE_ID_MISMATCH, ERR_INVALID);
    }
    memo_digest(b->text.s, b->text.len, actual);
    if (!hash_equal(actual, digest, HASH_SHA256_LEN)) {
        memo_digest_b64(actual, b64);
        if (first_note_names(b, actual)) {
            err_set(err, errlen,
                    "altered digest: the digest member does not match the text, whose digest "
                    "%s is the one co-signed",
                    b64);
            return fail(fault, BUNDLE_DIGEST_ALTERED, ERR_CRYPTO);
        }
        err_set(err, errlen, "edited text: canonical_text has digest %s, not the bundle's %.*s",
                b64, (int)b->digest.len, b->digest.s);
        return fail(fault, BUNDLE_TEXT_EDITED, ERR_CRYPTO);
    }
    return 0;
}

/* Signer @i: its vkey, its note's signature by that vkey, and what the note says. */
static int signer_verify(const struct bundle *b, size_t i, const uint8_t digest[HASH_SHA256_LEN],
                         enum bundle_fault *fault, char *err, size_t errlen)
{
    const struct bundle_str *who = &b->signers[i], *sig = &b->signatures[i], *vk = &b->vkeys[i];
    struct note_vkey key;
    struct note n = {0};
    char id[MEMO_ID_LEN + 1], signer[SIGNER_MAX + 1], b64[MEMO_DIGEST_B64_LEN + 1];
    uint8_t named[HASH_SHA256_LEN];
    int rc = 0;

    if (note_vkey_parse(vk->s, vk->len, &key) != 0) {
        err_set(err, errlen, "key does not match: vkey %zu (for %.*s) is malformed", i + 1,
                (int)who->len, who->s);
        rc = fail(fault, BUNDLE_KEY_MISMATCH, ERR_INVALID);
        goto out;
    }
    if (key.name_len != who->len || memcmp(key.name, who->s, who->len) != 0) {
        err_set(err, errlen, "key does not match: vkey %zu is named %s, not %.*s", i + 1, key.name,
                (int)who->len, who->s);
        rc = fail(fault, BUNDLE_KEY_MISMATCH, ERR_INVALID);
        goto out;
    }
    if (note_parse(sig->s, sig->len, &n, NULL, 0) != 0) {
        err_set(err, errlen, "malformed signature: signature %zu (%.*s) is not a signed note",
                i + 1, (int)who->len, who->s);
        rc = fail(fault, BUNDLE_NOTE_MALFORMED, ERR_INVALID);
        goto out;
    }
    rc = note_verify(&n, &key, 1, NULL, NULL, 0);
    if (rc == ERR_NOT_FOUND) {
        err_set(err, errlen,
                "wrong key: signature %zu carries no signature by %.*s's key %08x from the "
                "bundle",
                i + 1, (int)who->len, who->s, (unsigned)key.id);
        rc = fail(fault, BUNDLE_WRONG_KEY, ERR_CRYPTO);
        goto out;
    }
    if (rc != 0) {
        err_set(err, errlen,
                "altered signature: signature %zu does not verify with %.*s's key %08x", i + 1,
                (int)who->len, who->s, (unsigned)key.id);
        rc = fail(fault, BUNDLE_SIGNATURE_INVALID, ERR_CRYPTO);
        goto out;
    }
    if (memo_cosign_parse(n.text, n.text_len, id, named, signer) != 0) {
        err_set(err, errlen,
                "wrong signed text: signature %zu (%.*s) does not sign a co-signature text", i + 1,
                (int)who->len, who->s);
        rc = fail(fault, BUNDLE_COSIGN_MALFORMED, ERR_INVALID);
        goto out;
    }
    if (memcmp(id, b->memo_id.s, MEMO_ID_LEN) != 0) {
        err_set(err, errlen, "wrong signed text: signature %zu (%.*s) co-signs memo %s", i + 1,
                (int)who->len, who->s, id);
        rc = fail(fault, BUNDLE_COSIGN_MEMO, ERR_INVALID);
        goto out;
    }
    if (memcmp(named, digest, HASH_SHA256_LEN) != 0) {
        memo_digest_b64(named, b64);
        err_set(err, errlen,
                "wrong signed text: signature %zu (%.*s) co-signs digest %s, another text", i + 1,
                (int)who->len, who->s, b64);
        rc = fail(fault, BUNDLE_COSIGN_DIGEST, ERR_INVALID);
        goto out;
    }
    if (strlen(signer) != who->len || memcmp(signer, who->s, who->len) != 0) {
        err_set(err, errlen, "wrong signed text: signature %zu (%.*s) names signer %s", i + 1,
                (int)who->len, who->s, signer);
        rc = fail(fault, BUNDLE_COSIGN_SIGNER, ERR_INVALID);
        goto out;
    }
out:
    note_release(&n);
    return rc;
}

int bundle_check(const struct bundle *b, enum bundle_fault *fault, char *err, size_t errlen)
{
    uint8_t digest[HASH_SHA256_LEN];
    int rc;

    fail(fault, BUNDLE_OK, 0);
    if (!str_is(&b->format, BUNDLE_FORMAT_TAG)) {
        err_set(err, errlen, "wrong format: not a " BUNDLE_FORMAT_TAG " bundle");
        return fail(fault, BUNDLE_WRONG_FORMAT, ERR_INVALID);
    }
    if (b->nsignatures > BUNDLE_MAX_SIGNERS || b->nvkeys > BUNDLE_MAX_SIGNERS) {
        err_set(err, errlen, "bundle too large: more than %d signatures or vkeys",
                BUNDLE_MAX_SIGNERS);
        return fail(fault, BUNDLE_TOO_LARGE, ERR_TOO_LARGE);
    }
    rc = text_check(b, digest, fault, err, errlen);
    if (rc != 0)
        return rc;
    rc = signers_check(b, fault, err, errlen);
    if (rc != 0)
        return rc;
    rc = counts_check(b, fault, err, errlen);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b->nsigners; i++) {
        rc = signer_verify(b, i, digest, fault, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* A new JSON string for @v, or NULL when it is not valid UTF-8 (or holds NUL). */
static json_t *str_new(const struct bundle_str *v)
{
    if (v->s == NULL)
        return v->len == 0 ? json_string("") : NULL;
    if (memchr(v->s, '\0', v->len) != NULL)
        return NULL;
    return json_stringn(v->s, v->len);
}

/* Add the array of @n strings at @items to @obj under @key. */
static int array_add(json_t *obj, const char *key, const struct bundle_str *items, size_t n)
{
    json_t *arr = json_array();

    if (arr == NULL || json_object_set_new(obj, key, arr) != 0)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *s = str_new(&items[i]);

        if (s == NULL)
            return ERR_INVALID;
        if (json_array_append_new(arr, s) != 0)
            return ERR_NOMEM;
    }
    return 0;
}

int bundle_encode(const struct bundle *b, char **out, size_t *outlen)
{
    const struct {
        const char *key;
        const struct bundle_str *v;
    } fields[] = {{"format", &b->format},
                  {"memo_id", &b->memo_id},
                  {"canonical_text", &b->text},
                  {"digest", &b->digest}};
    json_t *root = NULL;
    char *doc = NULL;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (b->nsigners > BUNDLE_MAX_SIGNERS || b->nsignatures > BUNDLE_MAX_SIGNERS ||
        b->nvkeys > BUNDLE_MAX_SIGNERS) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    root = json_object();
    if (root == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *s = str_new(fields[i].v);

        if (s == NULL) {
            rc = ERR_INVALID;
            goto out;
        }
        if (json_object_set_new(root, fields[i].key, s) != 0) {
            rc = ERR_NOMEM;
            goto out;
        }
    }
    if ((rc = array_add(root, "signers", b->signers, b->nsigners)) != 0 ||
        (rc = array_add(root, "signatures", b->signatures, b->nsignatures)) != 0 ||
        (rc = array_add(root, "vkeys", b->vkeys, b->nvkeys)) != 0)
        goto out;
    doc = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (doc == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if (strlen(doc) > BUNDLE_MAX_SIZE) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    *outlen = strlen(doc);
    *out = doc;
    doc = NULL;
out:
    mem_free(doc);
    json_decref(root);
    return rc;
}
