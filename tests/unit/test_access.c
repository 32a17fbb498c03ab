/*
 * Content keys and the channel key (core/access.c), the audit chain (core/audit.c) and the
 * sealing primitives (crypto/seal.c), over a real SQLite store.
 */
#include "testutil.h"

#include "core/access.h"
#include "core/audit.h"
#include "core/user.h"
#include "crypto/keys.h"
#include "crypto/seal.h"
#include "util/err.h"

#include <stdio.h>

static const struct pw_params fast = {1, 8192};

static void seal_primitives(void **state)
{
    uint8_t key[SEAL_KEY_LEN], back[SEAL_KEY_LEN], pk[32], sk[32], pk2[32], sk2[32];
    uint8_t sealed[SEAL_SEALED_KEY_LEN], *ct = NULL;
    char *pt = NULL;
    size_t n = 0, m = 0;

    seal_key_new(key);
    seal_keypair_new(pk, sk);
    seal_keypair_new(pk2, sk2);
    seal_to(sealed, key, pk);
    assert_int_equal(seal_open(back, sealed, pk, sk), 0);
    assert_memory_equal(back, key, SEAL_KEY_LEN);
    assert_int_equal(seal_open(back, sealed, pk2, sk2), ERR_CRYPTO);

    assert_int_equal(seal_encrypt(key, "m/title", "secret", 6, &ct, &n), 0);
    assert_int_equal(n, 6 + SEAL_AEAD_OVERHEAD);
    assert_null(memmem(ct, n, "secret", 6));
    assert_int_equal(seal_decrypt(key, "m/title", ct, n, &pt, &m), 0);
    assert_string_equal(pt, "secret");
    free(pt);
    /* another field, another key, a flipped byte, a short buffer: all refused */
    assert_int_equal(seal_decrypt(key, "m/body", ct, n, &pt, &m), ERR_CRYPTO);
    /* a failed seal_open() zeroed @back */
    assert_int_equal(seal_decrypt(back, "m/title", ct, n, &pt, &m), ERR_CRYPTO);
    seal_key_new(back);
    assert_int_equal(seal_decrypt(back, "m/title", ct, n, &pt, &m), ERR_CRYPTO);
    ct[30] ^= 1;
    assert_int_equal(seal_decrypt(key, "m/title", ct, n, &pt, &m), ERR_CRYPTO);
    assert_int_equal(seal_decrypt(key, "m/title", ct, 10, &pt, &m), ERR_CRYPTO);
    free(ct);
}

static void channel_key_and_grants(void **state)
{
    char dir[64], why[256];
    struct store *st = testutil_store(dir);
    struct user o1, o2, adm, staff;
    struct user_keys *k1 = keys_new(), *k2 = keys_new();
    struct keyring kr1, kr2;
    struct memo m;
    uint8_t key[ACCESS_KEY_LEN], got[ACCESS_KEY_LEN];
    bool created = false, granted = true;

    assert_int_equal(user_create_enrolled(st, &fast, "o1", ROLE_OFFICER, "", "", "password-1", 10,
                                          1, &o1, NULL, 0),
                     0);
    assert_int_equal(user_create_enrolled(st, &fast, "o2", ROLE_OFFICER, "", "", "password-1", 10,
                                          1, &o2, NULL, 0),
                     0);
    assert_int_equal(user_create_enrolled(st, &fast, "adm", ROLE_OFFICER, "", "", "password-1", 10,
                                          1, &adm, NULL, 0),
                     0);
    /* roles are never combined so (core/user.h): written past the checks, as a database editor
     * would */
    adm.roles |= ROLE_ADMIN;
    assert_int_equal(store_user_update(st, &adm), 0);
    assert_int_equal(user_create_enrolled(st, &fast, "s", ROLE_STAFF, "", "", "password-1", 10, 1,
                                          &staff, NULL, 0),
                     0);
    /* an officer who is also an admin never creates or receives the channel key */
    assert_int_equal(access_channel_setup(st, &adm, 5, &created), 0);
    assert_false(created);
    assert_int_equal(access_channel_setup(st, &o1, 5, &created), 0);
    assert_true(created);
    assert_int_equal(access_channel_setup(st, &o2, 6, &created), 0);
    assert_false(created);
    assert_int_equal(access_channel_granted(st, o2.id, &granted), 0);
    assert_false(granted);

    /* a filed memo shared with the channel */
    memset(&m, 0, sizeof(m));
    snprintf(m.public_id, sizeof(m.public_id), "00112233445566778899aabb");
    m.drafter_id = staff.id;
    m.state = 2; /* filed */
    m.created_at = 1;
    assert_int_equal(store_memo_create(st, &m), 0);
    seal_key_new(key);
    assert_int_equal(access_share_channel(st, &m, key, 7), 0);
    assert_int_equal(access_share(st, &m, key, &adm, 7), ERR_FORBIDDEN);

    assert_int_equal(user_keys_open(&o1, &fast, "password-1", 10, k1), 0);
    assert_int_equal(user_keys_open(&o2, &fast, "password-1", 10, k2), 0);
    keyring_init(&kr1, st, &o1, NULL, NULL);
    keyring_init(&kr2, st, &o2, NULL, NULL);
    kr1.keys = k1;
    kr2.keys = k2;
    assert_int_equal(access_memo_key(&kr1, &m, got, why, sizeof(why)), 0);
    assert_memory_equal(got, key, ACCESS_KEY_LEN);
    assert_int_equal(access_memo_key(&kr2, &m, got, why, sizeof(why)), ERR_FORBIDDEN);
    assert_non_null(strstr(why, "channel access not yet granted"));
    /* o2 cannot grant, o1 can; nobody grants to an admin or a non-officer */
    assert_int_equal(access_channel_grant(&kr2, &o1, 8, why, sizeof(why)), ERR_FORBIDDEN);
    assert_int_equal(access_channel_grant(&kr1, &adm, 8, why, sizeof(why)), ERR_INVALID);
    assert_int_equal(access_channel_grant(&kr1, &staff, 8, why, sizeof(why)), ERR_INVALID);
    assert_int_equal(access_channel_grant(&kr1, &o2, 8, why, sizeof(why)), 0);
    assert_int_equal(access_memo_key(&kr2, &m, got, why, sizeof(why)), 0);
    assert_memory_equal(got, key, ACCESS_KEY_LEN);
    keyring_release(&kr1);
    keyring_release(&kr2);
    keys_free(k1);
    keys_free(k2);
    store_memo_release(&m);
    store_close(st);
    testutil_rmdir(dir);
}

static void audit_chain(void **state)
{
    char dir[64], err[256];
    struct store *st = testutil_store(dir);
    struct audit_record last, forged;
    int64_t count = 0;

    assert_int_equal(audit_verify(st, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(audit_read(st, 1 + i % 2, 7, "read", 100 + i), 0);
    assert_int_equal(audit_verify(st, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 5);
    /* a record appended without the right hash breaks the chain there */
    assert_int_equal(store_audit_last(st, &last), 0);
    memset(&forged, 0, sizeof(forged));
    forged.id = last.id + 1;
    forged.memo_id = 1;
    forged.actor_id = 7;
    snprintf(forged.action, sizeof(forged.action), "read");
    forged.at = 200;
    memcpy(forged.hash, last.hash, sizeof(forged.hash));
    assert_int_equal(store_audit_insert(st, &forged), 0);
    assert_int_equal(audit_verify(st, &count, err, sizeof(err)), ERR_CRYPTO);
    assert_non_null(strstr(err, "6"));
    store_close(st);
    testutil_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_primitives),
        cmocka_unit_test(channel_key_and_grants),
        cmocka_unit_test(audit_chain),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
