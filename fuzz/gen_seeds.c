/*
 * gen_seeds.c - writes the generated part of the seed corpora: signed notes, checkpoints,
 * proofs, receipts, bundles, log entries and entry bundles, all made with the library itself
 * and signed with fixed keys (fuzz/keys.h for the log), so the fuzzers start from inputs that
 * pass every check. Deterministic: rerunning it rewrites the same files.
 *
 * Usage: fuzz_gen_seeds CORPUS_DIR   (writes CORPUS_DIR/<target>/gen-*)
 */
#include "fuzz.h"
#include "keys.h"
#include "routes.h"

#include "core/bundle.h"
#include "core/ledger.h"
#include "core/memo.h"
#include "core/receipt.h"
#include "crypto/random.h"
#include "tlog/checkpoint.h"
#include "tlog/memstore.h"
#include "tlog/proof.h"
#include "tlog/tile.h"

#include <stdio.h>

#define MEMO_ID "0123456789abcdef01234567"
#define NENTRIES 7
#define FILED_AT 4

static const char *corpus;

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if ((x) != 0) {                                                                            \
            fprintf(stderr, "gen_seeds: %s failed (line %d)\n", #x, __LINE__);                     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void put(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/gen-%s", corpus, target, name);
    if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_seeds: cannot write %s\n", path);
        exit(1);
    }
}

static void put_str(const char *target, const char *name, const char *s)
{
    put(target, name, s, strlen(s));
}

/* A signer key named @name whose seed is derived from the name (deterministic). */
static void key_for(const char *name, struct note_skey *sk)
{
    uint8_t seed[NOTE_SEED_LEN] = {0};

    for (size_t i = 0; name[i] != '\0'; i++)
        seed[i % NOTE_SEED_LEN] ^= (uint8_t)(name[i] + i);
    CHECK(note_skey_from_seed(name, strlen(name), seed, sk));
}

static void notes(void)
{
    struct note_skey log, other;
    char *a = NULL, *b = NULL, vkey[NOTE_VKEY_MAX], skey[NOTE_SKEY_MAX];
    struct note_vkey vk;
    size_t len;

    fuzz_log_skey(&log);
    key_for("witness.example", &other);
    CHECK(note_sign("Hello, world.\n\nSecond paragraph.\n", 33, &log, &a, &len));
    put("note", "signed-by-log", a, len);
    CHECK(note_sign_add(a, len, &other, &b, &len));
    put("note", "two-signatures", b, len);
    free(a);
    free(b);
    note_skey_vkey(&log, &vk);
    CHECK(note_vkey_format(&vk, vkey, sizeof(vkey)));
    put_str("note", "vkey", vkey);
    CHECK(note_skey_format(&other, skey, sizeof(skey)));
    put_str("note", "skey", skey);
    note_skey_clear(&log);
    note_skey_clear(&other);
}

/* The log of NENTRIES entries, a checkpoint, a proof and a receipt for entry FILED_AT; the
 * memo's canonical text goes to *@text. */
static void log_and_receipt(void)
{
    struct tlog_memstore *ms = NULL;
    struct tlog_tile_reader *reader = NULL;
    struct tlog_tile_source src;
    struct tlog_hash_reader hr;
    struct tlog_checkpoint cp = {0};
    struct tlog_view v[NENTRIES];
    struct note_skey log;
    char entries[NENTRIES][LEDGER_ENTRY_MAX], *text = NULL, *signed_cp = NULL, *proof = NULL,
                                              *doc = NULL, *unsigned_cp = NULL;
    size_t lens[NENTRIES], len, tlen, plen, dlen;
    uint8_t digest[32], salt[LEDGER_SALT_LEN], bundle[2 * NENTRIES + NENTRIES * LEDGER_ENTRY_MAX];
    size_t blen = 0;

    fuzz_log_skey(&log);
    CHECK(memo_canonical_text(MEMO_ID, "On the policy", 13, "We dissent.\n", 12, &text, &tlen));
    memo_digest(text, tlen, digest);
    for (int i = 0; i < LEDGER_SALT_LEN; i++)
        salt[i] = (uint8_t)(0xa0 + i);
    for (int i = 0; i < NENTRIES; i++) {
        struct ledger_entry e = {0};
        e.event = (enum ledger_event)(i == FILED_AT ? LEDGER_FILED : i % LEDGER_EVENT_COUNT);
        for (int k = 0; k < LEDGER_TAG_LEN; k++)
            e.tag[k] = (uint8_t)(i * 17 + k);
        e.day = 20760 + i;
        e.ack_due = e.reply_due = -1;
        if (e.event == LEDGER_FILED) {
            e.signers = 3;
            e.ack_due = e.day + 7;
            ledger_commitment(salt, digest, e.commitment);
        }
        if (e.event == LEDGER_FILED || e.event == LEDGER_ACKNOWLEDGED || e.event == LEDGER_EXTENDED)
            e.reply_due = e.day + 40;
        CHECK(ledger_entry_format(&e, entries[i], &lens[i]));
        v[i].data = (const uint8_t *)entries[i];
        v[i].len = lens[i];
        if (i < 4) {
            char name[32];
            snprintf(name, sizeof(name), "entry-%s", ledger_event_name(e.event));
            put("tile_path", name, entries[i], lens[i]);
        }
        bundle[blen++] = (uint8_t)(lens[i] >> 8);
        bundle[blen++] = (uint8_t)lens[i];
        memcpy(bundle + blen, entries[i], lens[i]);
        blen += lens[i];
    }
    put("tile_path", "entry-bundle", bundle, blen);
    CHECK(tlog_memstore_new(&ms));
    CHECK(tlog_memstore_append(ms, v, NENTRIES, NULL));
    src = tlog_memstore_source(ms);
    CHECK(tlog_tile_reader_new(&src, 8, &reader));
    hr = tlog_tile_reader_hashes(reader);
    cp.origin = FUZZ_ORIGIN;
    cp.origin_len = strlen(FUZZ_ORIGIN);
    cp.size = NENTRIES;
    CHECK(tlog_tree_hash(cp.size, &hr, cp.root));
    CHECK(tlog_checkpoint_format(&cp, &unsigned_cp, &len));
    put("checkpoint", "text", unsigned_cp, len);
    CHECK(tlog_checkpoint_sign(&cp, &log, &signed_cp, &len));
    put("checkpoint", "signed", signed_cp, len);
    put("note", "checkpoint", signed_cp, len);
    CHECK(tlog_proof_create(signed_cp, len, FILED_AT, &hr, NULL, 0, &proof, &plen));
    put("checkpoint", "proof", proof, plen);
    CHECK(receipt_encode((const uint8_t *)entries[FILED_AT], lens[FILED_AT], salt, digest, FILED_AT,
                         proof, plen, &doc, &dlen));
    put("receipt", "valid", doc, dlen);
    free(proof);
    free(doc);
    CHECK(tlog_proof_create(signed_cp, len, 0, &hr, (const uint8_t *)"extra", 5, &proof, &plen));
    put("checkpoint", "proof-extra", proof, plen);
    CHECK(receipt_encode((const uint8_t *)entries[0], lens[0], salt, digest, 0, proof, plen, &doc,
                         &dlen));
    put("receipt", "not-this-memo", doc, dlen);
    free(proof);
    free(doc);
    free(signed_cp);
    free(unsigned_cp);
    free(text);
    tlog_tile_reader_free(reader);
    tlog_memstore_free(ms);
    note_skey_clear(&log);
}

static void bundles(void)
{
    static const char *const names[] = {"alice", "bob", "carol"};
    struct bundle_str signers[3], sigs[3], vkeys[3];
    char vk[3][NOTE_VKEY_MAX], *note[3], *text = NULL, b64[MEMO_DIGEST_B64_LEN + 1], *doc = NULL;
    struct bundle b = {0};
    uint8_t digest[HASH_SHA256_LEN];
    size_t tlen, len;

    CHECK(memo_canonical_text(MEMO_ID, "On the policy", 13, "We *dissent*.\n\n- one\n- two\n", 27,
                              &text, &tlen));
    memo_digest(text, tlen, digest);
    memo_digest_b64(digest, b64);
    for (int i = 0; i < 3; i++) {
        char cos[MEMO_COSIGN_TEXT_MAX];
        struct note_skey sk;
        struct note_vkey v;
        key_for(names[i], &sk);
        note_skey_vkey(&sk, &v);
        CHECK(note_vkey_format(&v, vk[i], sizeof(vk[i])));
        CHECK(memo_cosign_text(MEMO_ID, digest, names[i], cos, sizeof(cos)));
        CHECK(note_sign(cos, strlen(cos), &sk, &note[i], &len));
        note_skey_clear(&sk);
        signers[i] = (struct bundle_str){names[i], strlen(names[i])};
        sigs[i] = (struct bundle_str){note[i], strlen(note[i])};
        vkeys[i] = (struct bundle_str){vk[i], strlen(vk[i])};
    }
    b.format = (struct bundle_str){BUNDLE_FORMAT_TAG, strlen(BUNDLE_FORMAT_TAG)};
    b.memo_id = (struct bundle_str){MEMO_ID, strlen(MEMO_ID)};
    b.text = (struct bundle_str){text, tlen};
    b.digest = (struct bundle_str){b64, strlen(b64)};
    b.signers = signers;
    b.signatures = sigs;
    b.vkeys = vkeys;
    b.nsigners = b.nsignatures = b.nvkeys = 3;
    CHECK(bundle_encode(&b, &doc, &len));
    put("bundle", "three-signers", doc, len);
    free(doc);
    b.nsigners = b.nsignatures = b.nvkeys = 1;
    CHECK(bundle_encode(&b, &doc, &len));
    put("bundle", "one-signer", doc, len);
    free(doc);
    put("note", "cosignature", note[1], strlen(note[1]));
    for (int i = 0; i < 3; i++)
        free(note[i]);
    free(text);
}

/* One valid-looking body (or query) per fuzzed route, for its natural caller (byte 1 = 6,
 * with If-Match on memo routes). */
static void api_seeds(void)
{
    static const struct {
        unsigned method;
        const char *pattern;
        const char *body;
    } seeds[] = {
        {API_POST, "/api/v1/session", "{\"username\":\"staff\",\"password\":\"password-1\"}"},
        {API_POST, "/api/v1/session", "{\"username\":\"nobody\",\"password\":\"x\"}"},
        {API_GET, "/api/v1/users", "limit=2&after=bob"},
        {API_POST, "/api/v1/users",
         "{\"username\":\"carol\",\"roles\":[\"staff\",\"principal\"],\"password\":"
         "\"correct horse battery\",\"display_name\":\"Carol\",\"email\":\"c@example.org\"}"},
        {API_PATCH, "/api/v1/users/{username}",
         "{\"roles\":[\"staff\"],\"disabled\":false,\"display_name\":\"B\"}"},
        {API_GET, "/api/v1/users/search", "q=bo&role=staff"},
        {API_GET, "/api/v1/memos",
         "state=draft&role=drafter&limit=5&after=0123456789abcdef01234567"},
        {API_POST, "/api/v1/memos",
         "{\"title\":\"T\",\"body\":\"B\\n\",\"show_signer_names\":true}"},
        {API_PATCH, "/api/v1/memos/{id}", "{\"title\":\"New title\",\"body\":\"New body\"}"},
        {API_POST, "/api/v1/memos/{id}/reopen", "{\"reason\":\"more work\"}"},
        {API_POST, "/api/v1/memos/{id}/invitations", "{\"usernames\":[\"bob\",\"staff\"]}"},
        {API_POST, "/api/v1/memos/{id}/decline", "{\"reason\":\"out of scope\"}"},
        {API_POST, "/api/v1/memos/{id}/distribution", "{\"usernames\":[\"principal\"]}"},
        {API_POST, "/api/v1/memos/{id}/extend", "{\"until\":\"2099-01-01\",\"reason\":\"r\"}"},
        {API_POST, "/api/v1/memos/{id}/reply", "{\"body\":\"Our reply.\\n\"}"},
        {API_POST, "/api/v1/memos/{id}/comments", "{\"body\":\"A comment\"}"},
        {API_GET, "/api/v1/memos/{id}/audit", "after=1&limit=3"},
        {API_POST, "/api/v1/channel/grants", "{\"username\":\"bob\"}"},
        {API_POST, "/api/v1/me/password",
         "{\"current_password\":\"password-1\",\"new_password\":\"a much longer one\"}"},
        {API_POST, "/api/v1/recovery",
         "{\"username\":\"staff\",\"recovery_key\":\"x\",\"new_password\":\"y\"}"},
        {API_POST, "/api/v1/preview", "{\"body\":\"# Title\\n\\n*emph* [x](javascript:y)\"}"},
    };
    const struct api_route *all;
    size_t idx[64], n, nall;

    all = api_routes(&nall);
    n = fuzz_api_routes(idx, 64);
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        uint8_t buf[1024];
        size_t len = strlen(seeds[i].body), k;
        char name[64];

        for (k = 0; k < n; k++)
            if (all[idx[k]].methods == seeds[i].method &&
                strcmp(all[idx[k]].pattern, seeds[i].pattern) == 0)
                break;
        if (k == n) {
            fprintf(stderr, "gen_seeds: %s is not a fuzzed route\n", seeds[i].pattern);
            exit(1);
        }
        buf[0] = (uint8_t)k;
        buf[1] = strstr(seeds[i].pattern, "{id}") != NULL ? 6 | 16 : 6;
        memcpy(buf + 2, seeds[i].body, len);
        snprintf(name, sizeof(name), "route%02zu-%zu", k, i);
        put("json_body", name, buf, len + 2);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    corpus = argv[1];
    if (random_init() != 0)
        return 1;
    notes();
    log_and_receipt();
    bundles();
    api_seeds();
    return 0;
}
