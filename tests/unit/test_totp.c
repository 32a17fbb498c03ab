/*
 * core/totp: RFC 6238 vectors (HMAC-SHA-1), the window and replay rule, the otpauth URI,
 * recovery codes, and enrolment, confirmation and verification over a real store.
 */
#include "testutil.h"

#include "core/totp.h"
#include "core/user.h"
#include "crypto/keys.h"
#include "util/err.h"

#include <stdio.h>

static const uint8_t rfc_secret[20] = "12345678901234567890";

static void rfc6238_sha1_vectors(void **state)
{
    static const struct {
        int64_t t;
        const char *code;
    } v[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    char out[9];

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(totp_code(rfc_secret, sizeof(rfc_secret), v[i].t, 8, out), 0);
        assert_string_equal(out, v[i].code);
    }
    /* six digits are the last six of the eight */
    assert_int_equal(totp_code(rfc_secret, sizeof(rfc_secret), 59, 6, out), 0);
    assert_string_equal(out, "287082");
    assert_int_equal(totp_code(rfc_secret, sizeof(rfc_secret), 59, 5, out), ERR_INVALID);
    assert_int_equal(totp_code(rfc_secret, sizeof(rfc_secret), -1, 6, out), ERR_INVALID);
    (void)state;
}

static void window_and_replay(void **state)
{
    const int64_t now = 1111111111; /* step 37037037 */
    char prev[7], cur[7], next[7], old[7];
    int64_t step = 0;

    assert_int_equal(totp_code(rfc_secret, 20, now - 30, 6, prev), 0);
    assert_int_equal(totp_code(rfc_secret, 20, now, 6, cur), 0);
    assert_int_equal(totp_code(rfc_secret, 20, now + 30, 6, next), 0);
    assert_int_equal(totp_code(rfc_secret, 20, now - 60, 6, old), 0);
    assert_int_equal(totp_check(rfc_secret, now, cur, 0, &step), 0);
    assert_int_equal(step, now / 30);
    assert_int_equal(totp_check(rfc_secret, now, prev, 0, &step), 0);
    assert_int_equal(step, now / 30 - 1);
    assert_int_equal(totp_check(rfc_secret, now, next, 0, &step), 0);
    assert_int_equal(step, now / 30 + 1);
    /* two steps away is out of the window */
    assert_int_equal(totp_check(rfc_secret, now, old, 0, &step), ERR_CRYPTO);
    assert_int_equal(step, 0);
    /* a step not later than the last accepted one is a replay */
    assert_int_equal(totp_check(rfc_secret, now, cur, now / 30, &step), ERR_CRYPTO);
    assert_int_equal(totp_check(rfc_secret, now, prev, now / 30 - 1, &step), ERR_CRYPTO);
    assert_int_equal(totp_check(rfc_secret, now, next, now / 30, &step), 0);
    /* malformed */
    assert_int_equal(totp_check(rfc_secret, now, "12345", 0, &step), ERR_CRYPTO);
    assert_int_equal(totp_check(rfc_secret, now, "1234567", 0, &step), ERR_CRYPTO);
    assert_int_equal(totp_check(rfc_secret, now, "12a456", 0, &step), ERR_CRYPTO);
    assert_int_equal(totp_check(rfc_secret, now, "", 0, &step), ERR_CRYPTO);
    assert_int_equal(totp_check(rfc_secret, now, NULL, 0, &step), ERR_CRYPTO);
    (void)state;
}

static void base32_and_uri(void **state)
{
    char b32[TOTP_SECRET_B32_LEN + 1], uri[TOTP_URI_MAX];

    assert_int_equal(totp_base32(rfc_secret, b32), 0);
    assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(totp_uri("alice", b32, uri), 0);
    assert_string_equal(uri, "otpauth://totp/Dissent:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                             "&issuer=Dissent&algorithm=SHA1&digits=6&period=30");
    (void)state;
}

static void recovery_codes(void **state)
{
    char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1], upper[TOTP_RECOVERY_TEXT_LEN + 1];
    struct user_totp t;

    memset(&t, 0, sizeof(t));
    t.user_id = 7;
    t.enabled = true;
    totp_recovery_issue(&t, codes);
    assert_int_equal(totp_recovery_left(&t), STORE_TOTP_CODES);
    for (int i = 0; i < STORE_TOTP_CODES; i++) {
        assert_int_equal(strlen(codes[i]), TOTP_RECOVERY_TEXT_LEN);
        assert_int_equal(codes[i][4], '-');
        assert_int_equal(codes[i][14], '-');
    }
    assert_string_not_equal(codes[0], codes[1]);
    /* once each; case, dashes and spaces do not matter */
    for (int i = 0; i < TOTP_RECOVERY_TEXT_LEN; i++)
        upper[i] =
            codes[3][i] >= 'a' && codes[3][i] <= 'z' ? (char)(codes[3][i] - 32) : codes[3][i];
    upper[TOTP_RECOVERY_TEXT_LEN] = '\0';
    assert_int_equal(totp_verify(&t, NULL, NULL, upper, 100), 0);
    assert_int_equal(totp_recovery_left(&t), STORE_TOTP_CODES - 1);
    assert_int_equal(totp_verify(&t, NULL, NULL, codes[3], 100), ERR_CRYPTO);
    assert_int_equal(totp_verify(&t, NULL, NULL, codes[4], 100), 0);
    /* another account's hash of the same text does not match */
    t.user_id = 8;
    assert_int_equal(totp_verify(&t, NULL, NULL, codes[5], 100), ERR_CRYPTO);
    t.user_id = 7;
    assert_int_equal(totp_verify(&t, NULL, NULL, "not-a-code", 100), ERR_CRYPTO);
    assert_int_equal(totp_verify(&t, NULL, NULL, "", 100), ERR_CRYPTO);
    assert_int_equal(totp_verify(&t, NULL, NULL, NULL, 100), ERR_CRYPTO);
    /* a factor that is not on accepts nothing */
    t.enabled = false;
    assert_int_equal(totp_verify(&t, NULL, NULL, codes[6], 100), ERR_CRYPTO);
    (void)state;
}

static void required_roles(void **state)
{
    unsigned r = 99;

    assert_int_equal(totp_required_roles("", "state-dept", &r, NULL), 0);
    assert_int_equal(r, ROLE_OFFICER | ROLE_PRINCIPAL | ROLE_ADMIN | ROLE_RECORDS);
    assert_int_equal(totp_required_roles("", "eu-directive", &r, NULL), 0);
    assert_int_equal(r, 0);
    assert_int_equal(totp_required_roles("none", "state-dept", &r, NULL), 0);
    assert_int_equal(r, 0);
    assert_int_equal(totp_required_roles("officer, admin", "eu-directive", &r, NULL), 0);
    assert_int_equal(r, ROLE_OFFICER | ROLE_ADMIN);
    assert_int_equal(totp_required_roles("officer, boss", "state-dept", &r, NULL), ERR_INVALID);
    assert_int_equal(totp_required_roles("officer,,admin", "state-dept", &r, NULL), ERR_INVALID);
    /* a passkey (phishing-resistant) for some roles, any factor for others */
    unsigned pk = 99;
    assert_int_equal(totp_required_roles("officer:passkey, principal", "state-dept", &r, &pk), 0);
    assert_int_equal(r, ROLE_OFFICER | ROLE_PRINCIPAL);
    assert_int_equal(pk, ROLE_OFFICER);
    assert_int_equal(totp_required_roles("", "state-dept", &r, &pk), 0);
    assert_int_equal(pk, 0);
    assert_int_equal(totp_required_roles("officer:totp", "state-dept", &r, &pk), ERR_INVALID);
    assert_int_equal(totp_required_roles("officer:passkey", "state-dept", &r, NULL), ERR_INVALID);
    assert_int_equal(totp_required_roles("officer, officer:passkey", "x", &r, &pk), ERR_INVALID);
    assert_int_equal(totp_required_roles(":passkey", "x", &r, &pk), ERR_INVALID);
    assert_int_equal(totp_required_roles("officer,", "x", &r, &pk), ERR_INVALID);
    (void)state;
}

static void enrol_confirm_verify(void **state)
{
    char dir[64], code[7], codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1],
        again[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1];
    struct store *st = testutil_store(dir);
    struct user_keys *k = keys_new();
    uint8_t secret[TOTP_SECRET_LEN], opened[TOTP_SECRET_LEN];
    struct user u;
    struct user_totp t, t2;
    const int64_t now = 1700000000;

    memset(&u, 0, sizeof(u));
    snprintf(u.username, sizeof(u.username), "alice");
    snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$fake");
    u.roles = ROLE_STAFF;
    assert_int_equal(store_user_create(st, &u), 0);
    /* no keys yet: nothing to seal to */
    assert_int_equal(totp_enrol(st, &u, now, secret), ERR_NOT_FOUND);
    keys_generate(k);
    u.has_keys = true;
    memcpy(u.box_pk, k->box_pk, sizeof(u.box_pk));
    memcpy(u.sign_pk, k->sign_pk, sizeof(u.sign_pk));
    /* keys are sealed to only when bound to the account (core/trust.h) */
    assert_int_equal(totp_enrol(st, &u, now, secret), ERR_INTEGRITY);
    u.has_log_tag = true;
    random_bytes(u.log_tag, sizeof(u.log_tag));
    assert_int_equal(trust_bind(st, &u, now), 0);

    assert_int_equal(totp_confirm(st, &u, k, "123456", now, codes), ERR_NOT_FOUND);
    assert_int_equal(totp_enrol(st, &u, now, secret), 0);
    assert_int_equal(store_totp_get(st, u.id, &t), 0);
    assert_false(t.enabled);
    /* stored sealed, not in the clear */
    assert_null(memmem(t.sealed, sizeof(t.sealed), secret, sizeof(secret)));
    assert_int_equal(totp_secret_open(&t, k, opened), 0);
    assert_memory_equal(opened, secret, sizeof(secret));

    /* a wrong first code leaves it pending */
    assert_int_equal(totp_code(secret, sizeof(secret), now - 90, 6, code), 0);
    assert_int_equal(totp_confirm(st, &u, k, code, now, codes), ERR_CRYPTO);
    assert_int_equal(totp_code(secret, sizeof(secret), now, 6, code), 0);
    assert_int_equal(totp_confirm(st, &u, k, code, now, codes), 0);
    assert_int_equal(totp_confirm(st, &u, k, code, now, again), ERR_STATE);
    assert_int_equal(store_totp_get(st, u.id, &t), 0);
    assert_true(t.enabled);
    assert_int_equal(t.last_step, now / 30);
    assert_int_equal(totp_recovery_left(&t), STORE_TOTP_CODES);
    /* on: a new enrolment is refused until it is turned off */
    assert_int_equal(totp_enrol(st, &u, now, opened), ERR_EXISTS);

    /* the confirming code cannot sign in; the next step's can, once */
    t2 = t;
    assert_int_equal(totp_verify(&t2, k, code, NULL, now), ERR_CRYPTO);
    assert_int_equal(totp_code(secret, sizeof(secret), now + 30, 6, code), 0);
    assert_int_equal(totp_verify(&t2, k, code, NULL, now + 30), 0);
    assert_int_equal(store_totp_update(st, &t2), 0);
    /* a second request that checked the same code against the old row loses the race */
    assert_int_equal(totp_verify(&t, k, code, NULL, now + 30), 0);
    assert_int_equal(store_totp_update(st, &t), ERR_CONFLICT);
    assert_int_equal(totp_verify(&t2, k, code, NULL, now + 30), ERR_CRYPTO);
    /* a recovery code, stored crossed out */
    assert_int_equal(totp_verify(&t2, k, NULL, codes[0], now + 40), 0);
    assert_int_equal(store_totp_update(st, &t2), 0);
    assert_int_equal(store_totp_get(st, u.id, &t), 0);
    assert_int_equal(totp_recovery_left(&t), STORE_TOTP_CODES - 1);
    assert_int_equal(totp_verify(&t, k, NULL, codes[0], now + 50), ERR_CRYPTO);

    /* other keys cannot open the secret */
    keys_generate(k);
    assert_int_equal(totp_secret_open(&t, k, opened), ERR_CRYPTO);
    assert_int_equal(totp_verify(&t, k, code, NULL, now + 60), ERR_CRYPTO);

    assert_int_equal(store_totp_delete(st, u.id), 0);
    assert_int_equal(store_totp_get(st, u.id, &t), ERR_NOT_FOUND);
    assert_int_equal(store_totp_delete(st, u.id), 0);
    keys_free(k);
    store_close(st);
    testutil_rmdir(dir);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6238_sha1_vectors), cmocka_unit_test(window_and_replay),
        cmocka_unit_test(base32_and_uri),       cmocka_unit_test(recovery_codes),
        cmocka_unit_test(required_roles),       cmocka_unit_test(enrol_confirm_verify),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
