/*
 * test_receipt.c - filing receipts: a real receipt made from an in-memory log (memstore, signed
 * checkpoint, tlog_proof_create()) verifies; every tampering is caught with its own fault; the
 * JSON shape and limits; and `dissent verify` on receipts and on bundles carrying one.
 */
#include "testutil.h"

#include "cmd/cmd.h"
#include "core/bundle.h"
#include "core/ledger.h"
#include "core/memo.h"
#include "core/receipt.h"
#include "core/workdays.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "tlog/checkpoint.h"
#include "tlog/memstore.h"
#include "tlog/proof.h"
#include "tlog/tile.h"
#include "util/err.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#define ORIGIN "dissent.example/log"
#define MEMO_ID "0123456789abcdef01234567"
#define NENTRIES 7
#define FILED_AT 4 /* index of the receipt's filed entry */
#define ACKED_AT 5 /* index of an acknowledged entry */
#define JUNK_AT 6  /* index of an entry that is not a log entry */

/* snprintf() that must not truncate. */
#define FMT(buf, ...) assert_true((size_t)snprintf(buf, sizeof(buf), __VA_ARGS__) < sizeof(buf))

/* The log, its key, and a valid receipt for entry FILED_AT. */
static struct {
    struct note_skey sk;                      /* the log key */
    struct note_vkey vk;                      /* its verifier key */
    char vkey[NOTE_VKEY_MAX];                 /* encoded */
    char *text;                               /* the memo's canonical text */
    size_t text_len;                          /* bytes of text */
    uint8_t digest[32];                       /* SHA-256(text) */
    uint8_t salt[LEDGER_SALT_LEN];            /* the commitment salt */
    char entries[NENTRIES][LEDGER_ENTRY_MAX]; /* entry texts */
    size_t lens[NENTRIES];                    /* their lengths */
    char *checkpoint;                         /* signed checkpoint at size NENTRIES */
    struct tlog_memstore *ms;                 /* the log */
    struct tlog_tile_reader *reader;          /* over ms */
    struct tlog_hash_reader hr;               /* its hash reader */
    char *doc;                                /* the receipt for FILED_AT */
    size_t doc_len;                           /* bytes of doc */
    char tmp[64];                             /* scratch directory */
} fx;

static void tag_set(uint8_t tag[LEDGER_TAG_LEN], uint8_t seed)
{
    for (int i = 0; i < LEDGER_TAG_LEN; i++)
        tag[i] = (uint8_t)(seed * 17 + i);
}

static int64_t day(const char *iso)
{
    int64_t d;

    assert_int_equal(workdays_day_parse(iso, &d), 0);
    return d;
}

/* The proof text for entry @index of the fixture's log (malloc'd). */
static char *proof_for(uint64_t index)
{
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(tlog_proof_create(fx.checkpoint, strlen(fx.checkpoint), index, &fx.hr, NULL, 0,
                                       &text, &len),
                     0);
    return text;
}

/* The receipt document for entry @index with @salt and @digest (malloc'd). */
static char *receipt_for(uint64_t index, const uint8_t *salt, const uint8_t *digest)
{
    char *proof = proof_for(index), *doc = NULL;
    size_t len = 0;

    assert_int_equal(receipt_encode((const uint8_t *)fx.entries[index], fx.lens[index], salt,
                                    digest, index, proof, strlen(proof), &doc, &len),
                     0);
    assert_int_equal(strlen(doc), len);
    free(proof);
    return doc;
}

static int setup(void **state)
{
    static const char title[] = "On the policy", body[] = "We dissent.\n";
    struct ledger_entry e = {0};
    struct tlog_view v[NENTRIES];
    struct tlog_tile_source src;
    struct tlog_checkpoint cp = {0};
    size_t len;

    (void)state;
    if (note_skey_generate(ORIGIN, strlen(ORIGIN), &fx.sk) != 0)
        return -1;
    note_skey_vkey(&fx.sk, &fx.vk);
    if (note_vkey_format(&fx.vk, fx.vkey, sizeof(fx.vkey)) != 0)
        return -1;
    if (memo_canonical_text(MEMO_ID, title, strlen(title), body, strlen(body), &fx.text,
                            &fx.text_len) != 0)
        return -1;
    hash_sha256(fx.digest, fx.text, fx.text_len);
    for (int i = 0; i < LEDGER_SALT_LEN; i++)
        fx.salt[i] = (uint8_t)(0xa0 + i);
    /* entries 0..3 and 5: other memos' events; 4: our filing; 6: not a log entry at all */
    for (int i = 0; i < NENTRIES; i++) {
        memset(&e, 0, sizeof(e));
        e.event = i == FILED_AT || i < 2 ? LEDGER_FILED : LEDGER_ACKNOWLEDGED;
        tag_set(e.tag, (uint8_t)(i == ACKED_AT || i == FILED_AT ? FILED_AT : i % 2));
        e.day = day("2026-11-02") + i;
        e.ack_due = e.day + 7;
        e.reply_due = e.day + 40;
        e.signers = e.event == LEDGER_FILED ? 3 : 0;
        e.ack_due = e.event == LEDGER_FILED ? e.ack_due : -1;
        if (i == FILED_AT)
            ledger_commitment(fx.salt, fx.digest, e.commitment);
        if (i == JUNK_AT) {
            FMT(fx.entries[i], "not a log entry\n");
            fx.lens[i] = strlen(fx.entries[i]);
        } else if (ledger_entry_format(&e, fx.entries[i], &fx.lens[i]) != 0) {
            return -1;
        }
        v[i].data = (const uint8_t *)fx.entries[i];
        v[i].len = fx.lens[i];
    }
    if (tlog_memstore_new(&fx.ms) != 0 || tlog_memstore_append(fx.ms, v, NENTRIES, NULL) != 0)
        return -1;
    src = tlog_memstore_source(fx.ms);
    if (tlog_tile_reader_new(&src, 8, &fx.reader) != 0)
        return -1;
    fx.hr = tlog_tile_reader_hashes(fx.reader);
    cp.origin = ORIGIN;
    cp.origin_len = strlen(ORIGIN);
    cp.size = NENTRIES;
    if (tlog_tree_hash(cp.size, &fx.hr, cp.root) != 0 ||
        tlog_checkpoint_sign(&cp, &fx.sk, &fx.checkpoint, &len) != 0)
        return -1;
    memcpy(fx.tmp, "/tmp/dissent-receipt-XXXXXX", 28);
    if (mkdtemp(fx.tmp) == NULL)
        return -1;
    fx.doc = receipt_for(FILED_AT, fx.salt, fx.digest);
    fx.doc_len = strlen(fx.doc);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testutil_rmdir(fx.tmp);
    free(fx.doc);
    free(fx.text);
    free(fx.checkpoint);
    tlog_tile_reader_free(fx.reader);
    tlog_memstore_free(fx.ms);
    note_skey_clear(&fx.sk);
    return 0;
}

/* receipt_check() of @r must fail with @rc and @want, with a message. */
static void check_fails(const struct receipt *r, const struct note_vkey *key, const char *text,
                        size_t text_len, int rc, enum receipt_fault want)
{
    struct receipt_result res;
    enum receipt_fault fault = RECEIPT_FAULT_COUNT;
    char err[512] = "";
    int got = receipt_check(r, key, text, text_len, &res, &fault, err, sizeof(err));

    if (got != rc || fault != want)
        fail_msg("receipt_check: rc %d fault %s (%s), wanted rc %d fault %s", got,
                 receipt_fault_name(fault), err, rc, receipt_fault_name(want));
    assert_true(err[0] != '\0');
    assert_int_equal(res.log_size, 0); /* zeroed on failure */
}

/* receipt_parse() of @doc must fail with @rc and @want. */
static void parse_fails(const char *doc, size_t len, int rc, enum receipt_fault want)
{
    struct receipt r;
    enum receipt_fault fault = RECEIPT_FAULT_COUNT;
    char err[512] = "";
    int got = receipt_parse(doc, len, &r, &fault, err, sizeof(err));

    if (got != rc || fault != want)
        fail_msg("receipt_parse: rc %d fault %s (%s), wanted rc %d fault %s", got,
                 receipt_fault_name(fault), err, rc, receipt_fault_name(want));
    assert_true(err[0] != '\0');
    assert_null(r.proof);
}

static void parse_ok(const char *doc, struct receipt *r)
{
    enum receipt_fault fault = RECEIPT_FAULT_COUNT;
    char err[512] = "";

    if (receipt_parse(doc, strlen(doc), r, &fault, err, sizeof(err)) != 0)
        fail_msg("receipt_parse: %s", err);
    assert_int_equal(fault, RECEIPT_OK);
}

/* The fixture's receipt with member @key replaced by @value (stolen), as a new document. */
static char *doc_with(const char *key, json_t *value)
{
    json_t *root = json_loads(fx.doc, 0, NULL);
    char *out;

    assert_non_null(root);
    if (value == NULL)
        assert_int_equal(json_object_del(root, key), 0);
    else
        assert_int_equal(json_object_set_new(root, key, value), 0);
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(out);
    json_decref(root);
    return out;
}

/* ---- the valid receipt ---------------------------------------------------------------------- */

static void test_valid(void **state)
{
    struct receipt r;
    struct receipt_result res;
    enum receipt_fault fault = RECEIPT_FAULT_COUNT;
    char err[256] = "";
    uint8_t tag[LEDGER_TAG_LEN];

    (void)state;
    parse_ok(fx.doc, &r);
    assert_int_equal(r.index, FILED_AT);
    assert_int_equal(r.entry_len, fx.lens[FILED_AT]);
    assert_memory_equal(r.entry, fx.entries[FILED_AT], r.entry_len);
    assert_memory_equal(r.salt, fx.salt, LEDGER_SALT_LEN);
    assert_memory_equal(r.digest, fx.digest, 32);
    /* with and without the text */
    assert_int_equal(
        receipt_check(&r, &fx.vk, fx.text, fx.text_len, &res, &fault, err, sizeof(err)), 0);
    assert_int_equal(fault, RECEIPT_OK);
    assert_int_equal(res.index, FILED_AT);
    assert_int_equal(res.log_size, NENTRIES);
    assert_string_equal(res.origin, ORIGIN);
    assert_int_equal(res.entry.event, LEDGER_FILED);
    assert_int_equal(res.entry.day, day("2026-11-02") + FILED_AT);
    assert_int_equal(res.entry.signers, 3);
    tag_set(tag, FILED_AT);
    assert_memory_equal(res.entry.tag, tag, LEDGER_TAG_LEN);
    assert_int_equal(receipt_check(&r, &fx.vk, NULL, 0, NULL, NULL, NULL, 0), 0);
    receipt_release(&r);
    receipt_release(&r); /* zeroed: harmless */
    receipt_release(NULL);
}

/* The document is the format's members in order, compact, and re-encodes identically. */
static void test_encode_shape(void **state)
{
    json_t *root = json_loads(fx.doc, JSON_REJECT_DUPLICATES, NULL);
    const char *keys[] = {"format", "entry", "salt", "digest", "index", "proof"}, *k;
    json_t *v;
    size_t i = 0;
    struct receipt r;
    char *again = NULL, b64[64];
    size_t len = 0;

    (void)state;
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 6);
    assert_true(strncmp(fx.doc, "{\"format\":\"dissent-receipt/v1\",\"entry\":\"", 40) == 0);
    json_object_foreach(root, k, v)
    {
        (void)v;
        assert_true(i < 6);
        assert_non_null(json_object_get(root, keys[i++]));
    }
    b64_encode(b64, sizeof(b64), fx.salt, LEDGER_SALT_LEN, false);
    assert_string_equal(json_string_value(json_object_get(root, "salt")), b64);
    assert_int_equal(json_integer_value(json_object_get(root, "index")), FILED_AT);
    json_decref(root);
    parse_ok(fx.doc, &r);
    assert_int_equal(receipt_encode(r.entry, r.entry_len, r.salt, r.digest, r.index, r.proof,
                                    r.proof_len, &again, &len),
                     0);
    assert_string_equal(again, fx.doc);
    free(again);
    /* limits */
    assert_int_equal(receipt_encode(r.entry, LEDGER_ENTRY_MAX + 1, r.salt, r.digest, 0, r.proof,
                                    r.proof_len, &again, &len),
                     ERR_TOO_LARGE);
    assert_null(again);
    assert_int_equal(len, 0);
    assert_int_equal(receipt_encode(r.entry, r.entry_len, r.salt, r.digest, TLOG_SIZE_MAX + 1,
                                    r.proof, r.proof_len, &again, &len),
                     ERR_INVALID);
    assert_int_equal(
        receipt_encode(r.entry, r.entry_len, r.salt, r.digest, 0, "\xff\n", 2, &again, &len),
        ERR_INVALID);
    assert_int_equal(receipt_encode(r.entry, r.entry_len, r.salt, r.digest, 0, r.proof,
                                    TLOG_PROOF_TEXT_MAX + 1, &again, &len),
                     ERR_TOO_LARGE);
    receipt_release(&r);
}

/* ---- tampering: each with its own fault ----------------------------------------------------- */

static void test_tampered_entry(void **state)
{
    struct receipt r;

    (void)state;
    parse_ok(fx.doc, &r);
    r.entry[r.entry_len - 2] ^= 1; /* one byte of reply-due */
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_NOT_INCLUDED);
    r.entry[r.entry_len - 2] ^= 1;
    r.entry_len--;
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_NOT_INCLUDED);
    receipt_release(&r);
}

static void test_tampered_salt_digest(void **state)
{
    struct receipt r;

    (void)state;
    parse_ok(fx.doc, &r);
    r.salt[31] ^= 0x80;
    check_fails(&r, &fx.vk, fx.text, fx.text_len, ERR_CRYPTO, RECEIPT_COMMITMENT_MISMATCH);
    r.salt[31] ^= 0x80;
    r.digest[0] ^= 1;
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_COMMITMENT_MISMATCH);
    receipt_release(&r);
}

static void test_tampered_index(void **state)
{
    struct receipt r;
    char *doc = doc_with("index", json_integer(FILED_AT + 1));

    (void)state;
    parse_ok(doc, &r);
    check_fails(&r, &fx.vk, NULL, 0, ERR_INVALID, RECEIPT_INDEX_MISMATCH);
    receipt_release(&r);
    free(doc);
}

/* Replace the first proof hash line (after "index N") with another valid hash. */
static void test_tampered_proof_hash(void **state)
{
    struct receipt r;
    char *line;

    (void)state;
    parse_ok(fx.doc, &r);
    line = strstr(r.proof, "\nindex ");
    assert_non_null(line);
    line = strchr(line + 1, '\n') + 1; /* the first hash */
    assert_true(line[43] == '=' && line[44] == '\n');
    line[0] = line[0] == 'A' ? 'B' : 'A';
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_NOT_INCLUDED);
    /* a broken base64 line is a malformed proof */
    line[0] = '*';
    check_fails(&r, &fx.vk, NULL, 0, ERR_INVALID, RECEIPT_PROOF_MALFORMED);
    receipt_release(&r);
}

/* Flip a bit of the checkpoint's Ed25519 signature (not its key ID). */
static void test_tampered_signature(void **state)
{
    struct receipt r;
    char *sig, *end;

    (void)state;
    parse_ok(fx.doc, &r);
    sig = strstr(r.proof, "\xe2\x80\x94 " ORIGIN " ");
    assert_non_null(sig);
    end = strchr(sig, '\n');
    assert_non_null(end);
    /* the base64 ends "...X=" or "...XY": change a character well inside the signature */
    end[-10] = end[-10] == 'A' ? 'B' : 'A';
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_SIGNATURE_INVALID);
    receipt_release(&r);
    /* a changed checkpoint body (the size) under the original signature */
    parse_ok(fx.doc, &r);
    sig = strstr(r.proof, "\n\n" ORIGIN "\n7\n");
    assert_non_null(sig);
    sig[2 + strlen(ORIGIN) + 1] = '8';
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_SIGNATURE_INVALID);
    receipt_release(&r);
}

static void test_wrong_key(void **state)
{
    struct note_skey other;
    struct note_vkey ovk;
    struct receipt r;

    (void)state;
    parse_ok(fx.doc, &r);
    /* the same name, another key */
    assert_int_equal(note_skey_generate(ORIGIN, strlen(ORIGIN), &other), 0);
    note_skey_vkey(&other, &ovk);
    check_fails(&r, &ovk, NULL, 0, ERR_CRYPTO, RECEIPT_WRONG_KEY);
    note_skey_clear(&other);
    /* another name */
    assert_int_equal(note_skey_generate("other.example/log", 17, &other), 0);
    note_skey_vkey(&other, &ovk);
    check_fails(&r, &ovk, NULL, 0, ERR_CRYPTO, RECEIPT_WRONG_KEY);
    note_skey_clear(&other);
    receipt_release(&r);
}

static void test_text_mismatch(void **state)
{
    struct receipt r;
    char *text = malloc(fx.text_len);

    (void)state;
    assert_non_null(text);
    memcpy(text, fx.text, fx.text_len);
    text[fx.text_len - 2] ^= 0x20;
    parse_ok(fx.doc, &r);
    check_fails(&r, &fx.vk, text, fx.text_len, ERR_CRYPTO, RECEIPT_TEXT_MISMATCH);
    check_fails(&r, &fx.vk, fx.text, fx.text_len - 1, ERR_CRYPTO, RECEIPT_TEXT_MISMATCH);
    check_fails(&r, &fx.vk, "", 0, ERR_CRYPTO, RECEIPT_TEXT_MISMATCH);
    receipt_release(&r);
    free(text);
}

/* Receipts whose proofs are genuine but for entries that are not filings. */
static void test_not_a_filing(void **state)
{
    struct receipt r;
    char *doc;

    (void)state;
    doc = receipt_for(ACKED_AT, fx.salt, fx.digest);
    parse_ok(doc, &r);
    check_fails(&r, &fx.vk, NULL, 0, ERR_INVALID, RECEIPT_NOT_FILED);
    receipt_release(&r);
    free(doc);
    doc = receipt_for(JUNK_AT, fx.salt, fx.digest);
    parse_ok(doc, &r);
    check_fails(&r, &fx.vk, NULL, 0, ERR_INVALID, RECEIPT_ENTRY_MALFORMED);
    receipt_release(&r);
    free(doc);
    /* another memo's filing: the commitment is not to this salt and digest */
    doc = receipt_for(0, fx.salt, fx.digest);
    parse_ok(doc, &r);
    check_fails(&r, &fx.vk, NULL, 0, ERR_CRYPTO, RECEIPT_COMMITMENT_MISMATCH);
    receipt_release(&r);
    free(doc);
}

/* ---- the document's shape ------------------------------------------------------------------- */

static void test_parse_errors(void **state)
{
    char b64[128], *doc, *big;
    uint8_t bytes[40] = {0};

    (void)state;
#define S(s) s, strlen(s)
    parse_fails(S("not json"), ERR_INVALID, RECEIPT_MALFORMED);
    parse_fails(S("[]"), ERR_INVALID, RECEIPT_MALFORMED);
    parse_fails(S("{}"), ERR_INVALID, RECEIPT_MALFORMED);
    parse_fails(S("{\"format\":\"dissent-bundle/v1\"}"), ERR_INVALID, RECEIPT_WRONG_FORMAT);
    parse_fails(S("{\"format\":\"dissent-receipt/v1\",\"format\":\"dissent-receipt/v1\"}"),
                ERR_INVALID, RECEIPT_MALFORMED);
#undef S
    big = malloc(RECEIPT_MAX_SIZE + 2);
    assert_non_null(big);
    memset(big, ' ', RECEIPT_MAX_SIZE + 1);
    parse_fails(big, RECEIPT_MAX_SIZE + 1, ERR_TOO_LARGE, RECEIPT_TOO_LARGE);
    free(big);
    /* members: extra, missing, wrong types, bad base64, wrong lengths, bad index */
    doc = doc_with("memo_id", json_string(MEMO_ID));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_UNKNOWN_KEY);
    free(doc);
    static const char *const members[] = {"entry", "salt", "digest", "index", "proof"};
    for (size_t i = 0; i < 5; i++) {
        doc = doc_with(members[i], NULL);
        parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
        free(doc);
        doc = doc_with(members[i], i == 3 ? json_string("4") : json_integer(4));
        parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
        free(doc);
    }
    b64_encode(b64, sizeof(b64), bytes, 31, false);
    doc = doc_with("salt", json_string(b64));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
    free(doc);
    b64_encode(b64, sizeof(b64), bytes, 33, false);
    doc = doc_with("digest", json_string(b64));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
    free(doc);
    /* non-canonical base64: non-zero unused bits in the last character */
    b64_encode(b64, sizeof(b64), bytes, 32, false);
    assert_int_equal(b64[42], 'A');
    b64[42] = 'B';
    doc = doc_with("salt", json_string(b64));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
    free(doc);
    doc = doc_with("entry", json_string("not base64!"));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
    free(doc);
    big = malloc(2000);
    assert_non_null(big);
    memset(big, 'A', 1999);
    big[1999] = '\0';
    doc = doc_with("entry", json_string(big));
    parse_fails(doc, strlen(doc), ERR_TOO_LARGE, RECEIPT_TOO_LARGE);
    free(doc);
    free(big);
    doc = doc_with("index", json_integer(-1));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
    free(doc);
    doc = doc_with("index", json_real(4.0));
    parse_fails(doc, strlen(doc), ERR_INVALID, RECEIPT_MALFORMED);
    free(doc);
    big = malloc(TLOG_PROOF_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', TLOG_PROOF_TEXT_MAX + 1);
    big[TLOG_PROOF_TEXT_MAX + 1] = '\0';
    doc = doc_with("proof", json_string(big));
    parse_fails(doc, strlen(doc), ERR_TOO_LARGE, RECEIPT_TOO_LARGE);
    free(doc);
    free(big);
    /* a proof that is not a tlog-proof: parses as a document, fails the check */
    {
        struct receipt r;

        doc = doc_with("proof", json_string("c2sp.org/tlog-proof@v1\nindex x\n"));
        parse_ok(doc, &r);
        check_fails(&r, &fx.vk, NULL, 0, ERR_INVALID, RECEIPT_PROOF_MALFORMED);
        receipt_release(&r);
        free(doc);
    }
}

static void test_fault_names(void **state)
{
    (void)state;
    assert_string_equal(receipt_fault_name(RECEIPT_OK), "ok");
    assert_string_equal(receipt_fault_name(RECEIPT_NOT_INCLUDED), "not_included");
    assert_string_equal(receipt_fault_name(RECEIPT_TEXT_MISMATCH), "text_mismatch");
    assert_string_equal(receipt_fault_name(RECEIPT_FAULT_COUNT), "unknown");
    for (int f = 0; f < RECEIPT_FAULT_COUNT; f++)
        assert_string_not_equal(receipt_fault_name((enum receipt_fault)f), "unknown");
}

/* ---- dissent verify ------------------------------------------------------------------------- */

static void file_put(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Read @path whole into @out (NUL-terminated, at most @cap - 1 bytes). */
static void file_get(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* Run `dissent verify ARG... NULL` in-process, capturing stdout into @out and stderr into
   @errout (each @cap bytes); its exit status. */
static int run_verify(char *out, char *errout, size_t cap, const char *first, ...)
{
    char *argv[16], po[128], pe[128];
    int argc = 0, so, se, fo, fe, rc;
    const char *a = first;
    va_list ap;

    argv[argc++] = (char *)"verify";
    va_start(ap, first);
    while (a != NULL) {
        assert_true(argc < 15);
        argv[argc++] = (char *)a;
        a = va_arg(ap, const char *);
    }
    va_end(ap);
    argv[argc] = NULL;
    FMT(po, "%s/stdout", fx.tmp);
    FMT(pe, "%s/stderr", fx.tmp);
    fflush(stdout);
    fflush(stderr);
    so = dup(STDOUT_FILENO);
    se = dup(STDERR_FILENO);
    fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
    assert_true(dup2(fo, STDOUT_FILENO) >= 0 && dup2(fe, STDERR_FILENO) >= 0);
    close(fo);
    close(fe);
    rc = cmd_verify(argc, argv);
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(so, STDOUT_FILENO) >= 0 && dup2(se, STDERR_FILENO) >= 0);
    close(so);
    close(se);
    file_get(po, out, cap);
    file_get(pe, errout, cap);
    return rc;
}

static void test_cli_receipt(void **state)
{
    char rpath[128], tpath[128], kpath[128], bad[128], line[600], out[2048], err[2048];
    char tag[2 * LEDGER_TAG_LEN + 1];
    uint8_t t[LEDGER_TAG_LEN];

    (void)state;
    FMT(rpath, "%s/receipt.json", fx.tmp);
    FMT(tpath, "%s/memo.txt", fx.tmp);
    FMT(kpath, "%s/log.vkey", fx.tmp);
    FMT(bad, "%s/other.txt", fx.tmp);
    file_put(rpath, fx.doc, fx.doc_len);
    file_put(tpath, fx.text, fx.text_len);
    FMT(line, "%s\n", fx.vkey);
    file_put(kpath, line, strlen(line));
    file_put(bad, "dissent-memo/v1\n", 16);
    tag_set(t, FILED_AT);
    for (int i = 0; i < LEDGER_TAG_LEN; i++)
        snprintf(tag + 2 * i, 3, "%02x", t[i]);
    /* the vkey as a string and as a file; with and without the text */
    assert_int_equal(
        run_verify(out, err, sizeof(out), rpath, "--vkey", fx.vkey, "--text", tpath, NULL), 0);
    FMT(line,
        "OK: receipt for memo tag %s, filed on 2026-11-06, entry 4 of a log of size 7 (origin "
        "%s)\n",
        tag, ORIGIN);
    assert_string_equal(out, line);
    assert_string_equal(err, "");
    assert_int_equal(run_verify(out, err, sizeof(out), "--vkey", kpath, rpath, NULL), 0);
    assert_true(strncmp(out, line, strlen(line)) == 0);
    assert_non_null(strstr(out, "the memo text was not checked"));
    /* failures */
    assert_int_equal(
        run_verify(out, err, sizeof(out), rpath, "--vkey", fx.vkey, "--text", bad, NULL), 1);
    assert_true(strncmp(err, "FAILED: text mismatch", 21) == 0);
    assert_string_equal(out, "");
    {
        struct note_skey other;
        struct note_vkey ovk;
        char ov[NOTE_VKEY_MAX];

        assert_int_equal(note_skey_generate(ORIGIN, strlen(ORIGIN), &other), 0);
        note_skey_vkey(&other, &ovk);
        assert_int_equal(note_vkey_format(&ovk, ov, sizeof(ov)), 0);
        note_skey_clear(&other);
        assert_int_equal(run_verify(out, err, sizeof(out), rpath, "--vkey", ov, NULL), 1);
        assert_true(strncmp(err, "FAILED: wrong key", 17) == 0);
    }
    FMT(line, "%s/missing.txt", fx.tmp);
    assert_int_equal(
        run_verify(out, err, sizeof(out), rpath, "--vkey", fx.vkey, "--text", line, NULL), 1);
    assert_true(strncmp(err, "FAILED: cannot open", 19) == 0);
    /* usage errors: no --vkey for a receipt, a bad vkey, no file, two files */
    assert_int_equal(run_verify(out, err, sizeof(out), rpath, NULL), 2);
    assert_non_null(strstr(err, "needs --vkey"));
    assert_int_equal(run_verify(out, err, sizeof(out), rpath, "--vkey", "nonsense", NULL), 2);
    assert_int_equal(run_verify(out, err, sizeof(out), rpath, "--vkey", tpath, NULL), 2);
    assert_int_equal(run_verify(out, err, sizeof(out), "--vkey", fx.vkey, NULL), 2);
    assert_non_null(strstr(err, "usage: dissent verify BUNDLE.json"));
    assert_int_equal(run_verify(out, err, sizeof(out), rpath, rpath, "--vkey", fx.vkey, NULL), 2);
    assert_int_equal(run_verify(out, err, sizeof(out), "--help", NULL), 0);
    assert_non_null(strstr(out, "RECEIPT.json --vkey VKEY [--text MEMO.txt]"));
}

/* A one-signer bundle of the fixture's memo (the receipt's text) as a JSON object. */
static json_t *bundle_make(void)
{
    struct note_skey sk;
    struct note_vkey vk;
    char vkey[NOTE_VKEY_MAX], cos[MEMO_COSIGN_TEXT_MAX], b64[MEMO_DIGEST_B64_LEN + 1];
    char *note = NULL, *doc = NULL;
    size_t len = 0;
    struct bundle_str signer = {"alice", 5}, sig, vks;
    struct bundle b = {0};
    json_t *root;

    assert_int_equal(note_skey_generate("alice", 5, &sk), 0);
    note_skey_vkey(&sk, &vk);
    assert_int_equal(note_vkey_format(&vk, vkey, sizeof(vkey)), 0);
    assert_int_equal(memo_cosign_text(MEMO_ID, fx.digest, "alice", cos, sizeof(cos)), 0);
    assert_int_equal(note_sign(cos, strlen(cos), &sk, &note, &len), 0);
    memo_digest_b64(fx.digest, b64);
    sig = (struct bundle_str){note, strlen(note)};
    vks = (struct bundle_str){vkey, strlen(vkey)};
    b.format = (struct bundle_str){BUNDLE_FORMAT_TAG, strlen(BUNDLE_FORMAT_TAG)};
    b.memo_id = (struct bundle_str){MEMO_ID, strlen(MEMO_ID)};
    b.text = (struct bundle_str){fx.text, fx.text_len};
    b.digest = (struct bundle_str){b64, strlen(b64)};
    b.signers = &signer;
    b.nsigners = 1;
    b.signatures = &sig;
    b.nsignatures = 1;
    b.vkeys = &vks;
    b.nvkeys = 1;
    assert_int_equal(bundle_encode(&b, &doc, &len), 0);
    root = json_loads(doc, 0, NULL);
    assert_non_null(root);
    free(doc);
    free(note);
    note_skey_clear(&sk);
    return root;
}

/* A bundle carrying a receipt: checked against the bundle's own text when --vkey is given. */
static void test_cli_bundle_with_receipt(void **state)
{
    char path[128], out[2048], err[2048], *doc, *other;
    json_t *root = bundle_make();
    uint8_t digest[32];

    (void)state;
    FMT(path, "%s/bundle.json", fx.tmp);
    assert_int_equal(json_object_set_new(root, "receipt", json_loads(fx.doc, 0, NULL)), 0);
    doc = json_dumps(root, JSON_COMPACT);
    file_put(path, doc, strlen(doc));
    free(doc);
    assert_int_equal(run_verify(out, err, sizeof(out), path, NULL), 0);
    assert_true(strncmp(out, "OK: memo " MEMO_ID, 33) == 0);
    assert_non_null(strstr(out, "receipt was not checked"));
    assert_int_equal(run_verify(out, err, sizeof(out), path, "--vkey", fx.vkey, NULL), 0);
    assert_non_null(strstr(out, "\nOK: receipt for memo tag "));
    assert_null(strstr(out, "not checked"));
    /* --text is for receipts */
    assert_int_equal(run_verify(out, err, sizeof(out), path, "--text", path, NULL), 2);
    /* a receipt for another text (its own salt and digest, a real filing) */
    memcpy(digest, fx.digest, 32);
    digest[5] ^= 1;
    other = receipt_for(FILED_AT, fx.salt, digest);
    assert_int_equal(json_object_set_new(root, "receipt", json_loads(other, 0, NULL)), 0);
    free(other);
    doc = json_dumps(root, JSON_COMPACT);
    file_put(path, doc, strlen(doc));
    free(doc);
    assert_int_equal(run_verify(out, err, sizeof(out), path, "--vkey", fx.vkey, NULL), 1);
    assert_true(strncmp(err, "FAILED: receipt: commitment mismatch", 36) == 0);
    /* a receipt that is not one */
    assert_int_equal(json_object_set_new(root, "receipt", json_pack("{s:s}", "defined", "later")),
                     0);
    doc = json_dumps(root, JSON_COMPACT);
    file_put(path, doc, strlen(doc));
    free(doc);
    assert_int_equal(run_verify(out, err, sizeof(out), path, NULL), 0);
    assert_int_equal(run_verify(out, err, sizeof(out), path, "--vkey", fx.vkey, NULL), 1);
    assert_true(strncmp(err, "FAILED: receipt: malformed receipt", 34) == 0);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_encode_shape),
        cmocka_unit_test(test_tampered_entry),
        cmocka_unit_test(test_tampered_salt_digest),
        cmocka_unit_test(test_tampered_index),
        cmocka_unit_test(test_tampered_proof_hash),
        cmocka_unit_test(test_tampered_signature),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_text_mismatch),
        cmocka_unit_test(test_not_a_filing),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_fault_names),
        cmocka_unit_test(test_cli_receipt),
        cmocka_unit_test(test_cli_bundle_with_receipt),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
