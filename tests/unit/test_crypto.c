#include "testutil.h"

#include "crypto/hash.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/sha.h"
#include "crypto/stream.h"
#include "util/err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <time.h>

static void sha256_known_answer(void **state)
{
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t out[32];

    hash_sha256(out, "abc", 3);
    assert_memory_equal(out, abc, 32);
    assert_true(hash_equal(out, abc, 32));
    out[31] ^= 1;
    assert_false(hash_equal(out, abc, 32));
}

/* OpenSSL's SHA-256 (hash_sha256(), sha256_gather()) gives libsodium's digest at every length
 * around the block size and for a memo-sized input, whole or in pieces. */
static void sha256_matches_libsodium(void **state)
{
    static uint8_t data[4200];
    uint8_t a[32], b[32], c[32];
    const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, sizeof(data)};

    randombytes_buf(data, sizeof(data));
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = lens[i], half = n / 3;
        struct sha256_part parts[2] = {{data, half}, {data + half, n - half}};
        hash_sha256(a, data, n);
        crypto_hash_sha256(b, data, n);
        sha256_gather(c, parts, 2);
        assert_memory_equal(a, b, 32);
        assert_memory_equal(c, b, 32);
    }
}

static atomic_int gate_passed;

static void *gate_thread(void *arg)
{
    (void)arg;
    password_gate_enter();
    atomic_store(&gate_passed, 1);
    password_gate_leave();
    return NULL;
}

/* The Argon2id gate lets @n through at once: a second caller waits while one holds a gate of
 * one, and passes once it leaves. */
static void password_gate_admits_n(void **state)
{
    struct timespec pause = {0, 100 * 1000 * 1000};
    pthread_t t;

    password_gate_set(1);
    password_gate_enter();
    atomic_store(&gate_passed, 0);
    assert_int_equal(pthread_create(&t, NULL, gate_thread, NULL), 0);
    nanosleep(&pause, NULL); /* time enough to pass, were it let through */
    assert_int_equal(atomic_load(&gate_passed), 0);
    password_gate_leave();
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&gate_passed), 1);
    /* a gate of two lets the second through while the first holds it */
    password_gate_set(2);
    password_gate_enter();
    atomic_store(&gate_passed, 0);
    assert_int_equal(pthread_create(&t, NULL, gate_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&gate_passed), 1);
    password_gate_leave();
    password_gate_set(0);
}

static void base64_round_trip(void **state)
{
    const uint8_t bin[5] = {0xfb, 0xff, 0x00, 0x10, 0x20};
    char std[16], url[16];
    uint8_t back[8];
    size_t n = 0;

    b64_encode(std, sizeof(std), bin, 5, false);
    b64_encode(url, sizeof(url), bin, 5, true);
    assert_string_equal(std, "+/8AECA=");
    assert_string_equal(url, "-_8AECA");
    assert_int_equal(b64_decode(back, sizeof(back), &n, std, strlen(std), false), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(back, bin, 5);
    assert_int_equal(b64_decode(back, sizeof(back), &n, url, strlen(url), true), 0);
    assert_memory_equal(back, bin, 5);
    assert_int_equal(b64_decode(back, sizeof(back), &n, "+/8AECA=x", 9, false), ERR_INVALID);
    assert_int_equal(b64_decode(back, 2, &n, std, strlen(std), false), ERR_INVALID);
}

static void password_hash_and_verify(void **state)
{
    char h[PASSWORD_HASH_MAX];

    assert_int_equal(password_hash(h, "secret-pass", 11, 1, 8192), 0);
    assert_non_null(strstr(h, "$argon2id$"));
    assert_int_equal(password_verify(h, "secret-pass", 11), 0);
    assert_int_equal(password_verify(h, "secret-pasS", 11), ERR_UNAUTH);
    assert_int_equal(password_verify(h, "secret-pas", 10), ERR_UNAUTH);
}

static void random_password_alphabet(void **state)
{
    char a[21], b[21];

    random_password(a, sizeof(a));
    random_password(b, sizeof(b));
    assert_int_equal(strlen(a), 20);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 20; i++)
        assert_null(strchr("0O1lI", a[i]));
}

/* crypto/stream.h: a stream round trip through stored state; what its reader refuses. */
static void stream_round_trip_and_refusals(void **state)
{
    uint8_t key[STREAM_KEY_LEN], header[STREAM_HEADER_LEN], push[STREAM_STATE_LEN],
        saved[STREAM_STATE_LEN], pull[STREAM_STATE_LEN];
    uint8_t ct[3][16 + STREAM_ABYTES], pt[16];
    const char *msg[3] = {"first message..", "second message.", "the last one..."};
    bool final = false;

    (void)state;
    random_bytes(key, sizeof(key));
    stream_push_init(key, header, push);
    for (int i = 0; i < 3; i++) {
        /* the state as stored between parts carries the stream on */
        memcpy(saved, push, sizeof(saved));
        memset(push, 0xAA, sizeof(push));
        memcpy(push, saved, sizeof(saved));
        assert_int_equal(stream_push(push, (const uint8_t *)msg[i], 16, "ad", 2, i == 2, ct[i]), 0);
    }
    assert_int_equal(stream_pull_init(key, header, pull), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stream_pull(pull, ct[i], sizeof(ct[i]), "ad", 2, pt, &final), 0);
        assert_memory_equal(pt, msg[i], 16);
        assert_int_equal(final, i == 2);
    }
    /* out of order, other associated data, a flipped bit, another key: refused */
    assert_int_equal(stream_pull_init(key, header, pull), 0);
    assert_int_equal(stream_pull(pull, ct[1], sizeof(ct[1]), "ad", 2, pt, &final), ERR_CRYPTO);
    assert_int_equal(stream_pull_init(key, header, pull), 0);
    assert_int_equal(stream_pull(pull, ct[0], sizeof(ct[0]), "ax", 2, pt, &final), ERR_CRYPTO);
    ct[0][5] ^= 1;
    assert_int_equal(stream_pull_init(key, header, pull), 0);
    assert_int_equal(stream_pull(pull, ct[0], sizeof(ct[0]), "ad", 2, pt, &final), ERR_CRYPTO);
    ct[0][5] ^= 1;
    key[0] ^= 1;
    assert_int_equal(stream_pull_init(key, header, pull), 0);
    assert_int_equal(stream_pull(pull, ct[0], sizeof(ct[0]), "ad", 2, pt, &final), ERR_CRYPTO);
    assert_int_equal(stream_pull(pull, ct[0], STREAM_ABYTES - 1, "ad", 2, pt, &final), ERR_CRYPTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_answer),
        cmocka_unit_test(sha256_matches_libsodium),
        cmocka_unit_test(password_gate_admits_n),
        cmocka_unit_test(stream_round_trip_and_refusals),
        cmocka_unit_test(base64_round_trip),
        cmocka_unit_test(password_hash_and_verify),
        cmocka_unit_test(random_password_alphabet),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
