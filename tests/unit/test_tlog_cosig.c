/*
 * test_tlog_cosig.c - witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 v1) and the
 * add-checkpoint messages (c2sp.org/tlog-witness): cosigner keys of type 0x04, a cosignature
 * reproduced byte for byte from a vector made with PyNaCl, the spec's own example line read,
 * verification (tampering, unknown keys, the log's own key, repeated lines), merging, and the
 * request's strict form.
 */
#include "testutil.h"

#include "crypto/note.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#define EM_DASH "\xe2\x80\x94"

/* Made with PyNaCl from the seed 00 01 02 ... 1f and the spec's example checkpoint and time. */
#define W_SKEY                                                                                     \
    "PRIVATE+KEY+witness.example/w1+e75f6532+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define W_VKEY "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define CP_TEXT                                                                                    \
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define CP_TIME 1679315147
#define W_LINE                                                                                     \
    EM_DASH                                                                                        \
    " witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE"        \
    "8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n"
/* c2sp.org/tlog-cosignature's example: no key published, but its time can be read */
#define SPEC_NOTE                                                                                  \
    CP_TEXT                                                                                        \
    "\n" EM_DASH " example.com/behind-the-sofa "                                                   \
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xe"          \
    "McTOAYQ8=\n" EM_DASH " witness.example.com/w1 "                                               \
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0x"        \
    "Ue+mbIUBkBIfZ+qnA==\n"

static void keys(struct note_skey *sk, struct note_vkey *vk)
{
    assert_int_equal(note_skey_parse_type(W_SKEY, strlen(W_SKEY), NOTE_TYPE_COSIGNATURE, sk), 0);
    assert_int_equal(note_vkey_parse_type(W_VKEY, strlen(W_VKEY), NOTE_TYPE_COSIGNATURE, vk), 0);
}

static void test_cosigner_keys(void **state)
{
    struct note_skey sk, other;
    struct note_vkey vk, derived;
    char text[NOTE_VKEY_MAX], stext[NOTE_SKEY_MAX];

    (void)state;
    keys(&sk, &vk);
    assert_int_equal(vk.type, NOTE_TYPE_COSIGNATURE);
    assert_int_equal(vk.id, 0xe75f6532u);
    note_skey_vkey(&sk, &derived);
    assert_memory_equal(derived.pub, vk.pub, NOTE_PUBKEY_LEN);
    assert_int_equal(derived.id, vk.id);
    assert_int_equal(note_vkey_format(&vk, text, sizeof(text)), 0);
    assert_string_equal(text, W_VKEY);
    assert_int_equal(note_skey_format(&sk, stext, sizeof(stext)), 0);
    assert_string_equal(stext, W_SKEY);
    /* a key of one type is never read as the other, and the type is in the key ID */
    assert_int_equal(note_vkey_parse(W_VKEY, strlen(W_VKEY), &derived), ERR_INVALID);
    assert_int_equal(note_skey_parse(W_SKEY, strlen(W_SKEY), &other), ERR_INVALID);
    assert_int_not_equal(note_key_id("witness.example/w1", 18, vk.pub), vk.id);
    assert_int_equal(note_key_id_type("witness.example/w1", 18, NOTE_TYPE_COSIGNATURE, vk.pub),
                     vk.id);
    /* a cosigner key signs cosignatures only, not notes */
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(note_sign(CP_TEXT, strlen(CP_TEXT), &sk, &out, &n), ERR_INVALID);
    assert_null(out);
    note_skey_clear(&sk);
}

static void test_cosign_vector(void **state)
{
    struct note_skey sk;
    struct note_vkey vk;
    char line[TLOG_COSIG_LINE_MAX], small[40];

    (void)state;
    keys(&sk, &vk);
    assert_int_equal(tlog_cosign(CP_TEXT, strlen(CP_TEXT), &sk, CP_TIME, line, sizeof(line)), 0);
    assert_string_equal(line, W_LINE);
    assert_int_equal(tlog_cosign(CP_TEXT, strlen(CP_TEXT), &sk, CP_TIME, small, sizeof(small)),
                     ERR_TOO_LARGE);
    assert_int_equal(tlog_cosign(CP_TEXT, strlen(CP_TEXT), &sk, 0, line, sizeof(line)),
                     ERR_INVALID);
    assert_int_equal(
        tlog_cosign(CP_TEXT, strlen(CP_TEXT), &sk, TLOG_COSIG_TIME_MAX + 1, line, sizeof(line)),
        ERR_INVALID);
    assert_int_equal(tlog_cosign("no newline", 10, &sk, CP_TIME, line, sizeof(line)), ERR_INVALID);
    /* a type 0x01 key is refused */
    struct note_skey plain;
    assert_int_equal(note_skey_generate("log", 3, &plain), 0);
    assert_int_equal(tlog_cosign(CP_TEXT, strlen(CP_TEXT), &plain, CP_TIME, line, sizeof(line)),
                     ERR_INVALID);
    note_skey_clear(&plain);
    note_skey_clear(&sk);
}

static void test_verify(void **state)
{
    const char *note = SPEC_NOTE;
    struct note_skey sk, other_sk;
    struct note_vkey vk[2];
    struct note n = {0};
    uint64_t times[2];
    char *merged = NULL, *twice = NULL, line[TLOG_COSIG_LINE_MAX];
    size_t mlen = 0, tlen = 0, count = 9;

    (void)state;
    keys(&sk, &vk[0]);
    /* the spec's example reads: a timestamped line, at the example's time */
    assert_int_equal(note_parse(note, strlen(note), &n, NULL, 0), 0);
    assert_int_equal(n.nsigs, 2);
    assert_false(n.sigs[0].timestamped);
    assert_true(n.sigs[1].timestamped);
    assert_int_equal(n.sigs[1].timestamp, CP_TIME);
    note_release(&n);
    /* our witness did not sign it: counted 0, not an error */
    assert_int_equal(tlog_cosig_verify(note, strlen(note), vk, 1, times, &count, NULL, 0), 0);
    assert_int_equal(count, 0);
    assert_int_equal(times[0], 0);

    /* the vector's line added: one cosignature, at its time */
    assert_int_equal(tlog_cosig_merge(note, strlen(note), W_LINE, strlen(W_LINE), &merged, &mlen),
                     0);
    assert_int_equal(tlog_cosig_verify(merged, mlen, vk, 1, times, &count, NULL, 0), 0);
    assert_int_equal(count, 1);
    assert_int_equal(times[0], CP_TIME);
    /* merging it again adds nothing */
    assert_int_equal(tlog_cosig_merge(merged, mlen, W_LINE, strlen(W_LINE), &twice, &tlen), 0);
    assert_int_equal(tlen, mlen);
    mem_free(twice);
    /* a second witness; the log's own key (type 0x01) is never counted */
    assert_int_equal(
        note_skey_generate_type("witness.example/w2", 18, NOTE_TYPE_COSIGNATURE, &other_sk), 0);
    note_skey_vkey(&other_sk, &vk[1]);
    assert_int_equal(
        tlog_cosign(CP_TEXT, strlen(CP_TEXT), &other_sk, CP_TIME + 5, line, sizeof(line)), 0);
    assert_int_equal(tlog_cosig_merge(merged, mlen, line, strlen(line), &twice, &tlen), 0);
    assert_int_equal(tlog_cosig_verify(twice, tlen, vk, 2, times, &count, NULL, 0), 0);
    assert_int_equal(count, 2);
    assert_int_equal(times[1], CP_TIME + 5);
    assert_int_equal(tlog_cosig_verify(twice, tlen, vk, 2, NULL, &count, NULL, 0), 0);
    assert_int_equal(count, 2);
    mem_free(twice);
    twice = NULL;
    /* the same witness twice in the key set: refused as ambiguous */
    struct note_vkey dup[2] = {vk[0], vk[0]};
    assert_int_equal(tlog_cosig_verify(merged, mlen, dup, 2, times, &count, NULL, 0), ERR_INVALID);

    /* a cosignature of another text, or another time, fails: a malformed note */
    char *bad = mem_strdup(merged);
    char *t = strstr(bad, "20852163");
    t[7] = '4';
    assert_int_equal(tlog_cosig_verify(bad, mlen, vk, 1, times, &count, NULL, 0), ERR_CRYPTO);
    assert_int_equal(count, 0);
    mem_free(bad);
    bad = mem_strdup(merged);
    t = strstr(bad, "519lMgAAAABkGFDL");
    t[15] = 'M'; /* the time's last byte */
    assert_int_equal(tlog_cosig_verify(bad, mlen, vk, 1, times, &count, NULL, 0), ERR_CRYPTO);
    mem_free(bad);
    /* lines that are not signature lines are not merged */
    assert_int_equal(tlog_cosig_merge(note, strlen(note), "hello\n", 6, &twice, &tlen),
                     ERR_INVALID);
    assert_int_equal(tlog_cosig_merge(note, strlen(note), EM_DASH " x", 5, &twice, &tlen),
                     ERR_INVALID);
    assert_null(twice);
    mem_free(merged);
    note_skey_clear(&sk);
    note_skey_clear(&other_sk);
}

static void test_add_request(void **state)
{
    const char *cp = SPEC_NOTE;
    uint8_t proof[3][HASH_SHA256_LEN];
    struct tlog_add_request rq;
    char *body = NULL, buf[512];
    size_t len = 0;

    (void)state;
    for (int i = 0; i < 3; i++)
        memset(proof[i], 0x11 * (i + 1), HASH_SHA256_LEN);
    assert_int_equal(tlog_add_request_format(20852014, (const uint8_t(*)[HASH_SHA256_LEN])proof, 3,
                                             cp, strlen(cp), &body, &len),
                     0);
    assert_true(strncmp(body, "old 20852014\nERERERER", 21) == 0);
    assert_int_equal(tlog_add_request_parse(body, len, &rq), 0);
    assert_int_equal(rq.old_size, 20852014);
    assert_int_equal(rq.nproof, 3);
    assert_memory_equal(rq.proof[2], proof[2], HASH_SHA256_LEN);
    assert_int_equal(rq.checkpoint_len, strlen(cp));
    assert_memory_equal(rq.checkpoint, cp, strlen(cp));
    mem_free(body);
    /* no proof at all */
    snprintf(buf, sizeof(buf), "old 0\n\n%s", cp);
    assert_int_equal(tlog_add_request_parse(buf, strlen(buf), &rq), 0);
    assert_int_equal(rq.nproof, 0);
    assert_int_equal(rq.old_size, 0);

    const char *bad[] = {
        "",
        "old 0\n",
        "old 0\n\n",
        "old 00\n\nx\n",
        "old -1\n\nx\n",
        "old 9223372036854775808\n\nx\n",
        "old 1\nERERERERERERERERERERERERERERERERERERERERERE=\nx\n",   /* no blank line */
        "old 1\nEREREREREREREREREREREREREREREREREREREREREREF\n\nx\n", /* not padded right */
        "old 1\nERERERERERERERERERERERERERERERERERERERERERF=\n\nx\n", /* padding bits set */
        "old 1\nERERERER\n\nx\n",
        "OLD 1\n\nx\n",
        "old 1 \n\nx\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tlog_add_request_parse(bad[i], strlen(bad[i]), &rq), ERR_INVALID);
    /* at most 63 proof lines */
    size_t cap = 16 + 64 * 45 + 8, off = 0;
    char *many = mem_alloc(cap);
    off += (size_t)snprintf(many, cap, "old 1\n");
    for (int i = 0; i < 64; i++)
        off += (size_t)snprintf(many + off, cap - off,
                                "ERERERERERERERERERERERERERERERERERERERERERE=\n");
    off += (size_t)snprintf(many + off, cap - off, "\nx\n");
    assert_int_equal(tlog_add_request_parse(many, off, &rq), ERR_INVALID);
    mem_free(many);
    uint8_t p64[64][HASH_SHA256_LEN] = {{0}};
    assert_int_equal(tlog_add_request_format(1, (const uint8_t(*)[HASH_SHA256_LEN])p64, 64, cp,
                                             strlen(cp), &body, &len),
                     ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cosigner_keys),
        cmocka_unit_test(test_cosign_vector),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_add_request),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
