/*
 * Content keys and the channel key (core/access.c), the audit chain (core/audit.c) and the
 * sealing primitives (crypto/seal.c), over a real SQLite store.
 */
#include "testutil.h"

#include "core/access.h"
#include "core/audit.h"
#include "core/enrol.h"
#include "core/trust.h"
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

/* A new account @name with @roles, enrolled with the password "password-1". */
static struct user enrolled(struct store *st, const char *name, unsigned roles)
{
    struct user u;

    assert_int_equal(
        user_create_enrolled(st, &fast, name, roles, "", "", "password-1", 10, 1, &u, NULL, 0), 0);
    return u;
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
    uint64_t created = 0;
    bool granted = true;

    o1 = enrolled(st, "o1", ROLE_OFFICER);
    o2 = enrolled(st, "o2", ROLE_OFFICER);
    adm = enrolled(st, "adm", ROLE_OFFICER);
    /* roles are never combined so (core/user.h): written past the checks, as a database editor
     * would */
    adm.roles |= ROLE_ADMIN;
    assert_int_equal(store_user_update(st, &adm), 0);
    staff = enrolled(st, "s", ROLE_STAFF);
    /* an officer who is also an admin never creates or receives the channel key */
    assert_int_equal(access_channel_setup(st, &adm, 5, &created), 0);
    assert_false(created);
    assert_int_equal(access_channel_setup(st, &o1, 5, &created), 0);
    assert_true(created);
    assert_int_equal(access_channel_setup(st, &o2, 6, &created), 0);
    assert_false(created);
    assert_int_equal(access_channel_granted(st, 1, o2.id, &granted), 0);
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
    assert_int_equal(access_channel_grant(&kr2, &o1, 1, 8, why, sizeof(why)), ERR_FORBIDDEN);
    assert_int_equal(access_channel_grant(&kr1, &adm, 1, 8, why, sizeof(why)), ERR_INVALID);
    assert_int_equal(access_channel_grant(&kr1, &staff, 1, 8, why, sizeof(why)), ERR_INVALID);
    assert_int_equal(access_channel_grant(&kr1, &o2, 1, 8, why, sizeof(why)), 0);
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

/* A memo of @channel, filed and shared with its channel, its key into @key. */
static void channel_memo(struct store *st, struct memo *m, const char *public_id, int64_t channel,
                         int64_t drafter, uint8_t key[ACCESS_KEY_LEN])
{
    memset(m, 0, sizeof(*m));
    snprintf(m->public_id, sizeof(m->public_id), "%s", public_id);
    m->drafter_id = drafter;
    m->state = 2; /* filed */
    m->created_at = 1;
    m->channel_id = channel;
    assert_int_equal(store_memo_create(st, m), 0);
    seal_key_new(key);
    assert_int_equal(access_share_channel(st, m, key, 7), 0);
}

/* A fresh keyring of @u's keys @k (what a new request opens). */
static void memo_key_of(struct store *st, struct user *u, struct user_keys *k, struct memo *m,
                        int want, const uint8_t *key, const char *why_part)
{
    struct keyring kr;
    uint8_t got[ACCESS_KEY_LEN];
    char why[256] = "";

    keyring_init(&kr, st, u, NULL, NULL);
    kr.keys = k;
    assert_int_equal(access_memo_key(&kr, m, got, why, sizeof(why)), want);
    if (want == 0)
        assert_memory_equal(got, key, ACCESS_KEY_LEN);
    if (why_part != NULL)
        assert_non_null(strstr(why, why_part));
    kr.keys = NULL; /* the caller's */
    keyring_release(&kr);
}

/* Each channel has its own key pair (docs/channels.md): a grant of one opens nothing of another,
 * a grant's MAC names its channel, and a re-key rotates each channel the account held. */
static void keys_per_channel(void **state)
{
    char dir[64], why[256];
    struct store *st = testutil_store(dir);
    struct user o1, o2, o12, staff;
    struct user_keys *k1 = keys_new(), *k2 = keys_new(), *k12 = keys_new(), *nk = keys_new();
    struct keyring kr12;
    struct memo m1, m2;
    uint8_t key1[ACCESS_KEY_LEN], key2[ACCESS_KEY_LEN], pk1[32], pk2[32], npk1[32], npk2[32];
    uint8_t sealed[STORE_SEALED_LEN];
    uint64_t created = 0, held = 0;

    o1 = enrolled(st, "o1", ROLE_OFFICER);
    o2 = enrolled(st, "o2", ROLE_OFFICER);
    o12 = enrolled(st, "o12", ROLE_OFFICER);
    staff = enrolled(st, "s", ROLE_STAFF);
    o2.channels = 2;  /* channel 2 alone */
    o12.channels = 3; /* channels 1 and 2 */
    assert_int_equal(store_user_update(st, &o2), 0);
    assert_int_equal(store_user_update(st, &o12), 0);
    assert_int_equal(user_keys_open(&o1, &fast, "password-1", 10, k1), 0);
    assert_int_equal(user_keys_open(&o2, &fast, "password-1", 10, k2), 0);
    assert_int_equal(user_keys_open(&o12, &fast, "password-1", 10, k12), 0);

    /* o12, the first officer of both, gets both keys: two pairs, each pinned */
    assert_int_equal(access_channel_setup(st, &o12, 5, &created), 0);
    assert_int_equal(created, 3);
    assert_int_equal(access_channel_setup(st, &o2, 5, &created), 0);
    assert_int_equal(created, 0); /* channel 2 has its key */
    assert_int_equal(trust_channel_pk(st, 1, pk1), 0);
    assert_int_equal(trust_channel_pk(st, 2, pk2), 0);
    assert_memory_not_equal(pk1, pk2, 32);
    assert_int_equal(trust_channel_pk(st, 3, npk1), ERR_NOT_FOUND);
    assert_int_equal(access_channel_grants(st, o12.id, &held), 0);
    assert_int_equal(held, 3);

    /* o12 grants each channel to its own officer, never the other's */
    keyring_init(&kr12, st, &o12, NULL, NULL);
    kr12.keys = k12;
    assert_int_equal(access_channel_grant(&kr12, &o1, 2, 8, why, sizeof(why)), ERR_INVALID);
    assert_non_null(strstr(why, "not an officer of this channel"));
    assert_int_equal(access_channel_grant(&kr12, &o1, 1, 8, why, sizeof(why)), 0);
    assert_int_equal(access_channel_grant(&kr12, &o2, 2, 8, why, sizeof(why)), 0);
    keyring_release(&kr12);
    assert_int_equal(access_channel_grants(st, o1.id, &held), 0);
    assert_int_equal(held, 1);
    assert_int_equal(access_channel_grants(st, o2.id, &held), 0);
    assert_int_equal(held, 2);

    channel_memo(st, &m1, "00112233445566778899aab1", 1, staff.id, key1);
    channel_memo(st, &m2, "00112233445566778899aab2", 2, staff.id, key2);
    memo_key_of(st, &o1, k1, &m1, 0, key1, NULL);
    memo_key_of(st, &o2, k2, &m2, 0, key2, NULL);
    memo_key_of(st, &o12, k12, &m1, 0, key1, NULL);
    memo_key_of(st, &o12, k12, &m2, 0, key2, NULL);
    memo_key_of(st, &o1, k1, &m2, ERR_FORBIDDEN, NULL, NULL);
    memo_key_of(st, &o2, k2, &m1, ERR_FORBIDDEN, NULL, NULL);
    /* o1 made an officer of channel 2 too: channel 1's key opens nothing of it */
    o1.channels = 3;
    assert_int_equal(store_user_update(st, &o1), 0);
    memo_key_of(st, &o1, k1, &m2, ERR_FORBIDDEN, NULL, "channel access not yet granted");
    /* o2's sealed grant of channel 2 stored as o1's: sealed to o2's keys, it opens nothing
     * for o1 (a copy across channels fails its MAC: test_channels.py) */
    assert_int_equal(store_channel_grant_get(st, 2, o2.id, sealed), 0);
    assert_int_equal(store_channel_grant_put(st, 2, o1.id, sealed, o2.id, 9), 0);
    memo_key_of(st, &o1, k1, &m2, ERR_FORBIDDEN, NULL, "no longer hold");
    assert_int_equal(store_channel_grant_delete(st, 2, o1.id), 0);
    /* o1 granted channel 2's key, then moved off channel 2 with its grant row left behind (as
     * a database writer puts one back): the rotation below revokes it, never sealing the new
     * key to it */
    keyring_init(&kr12, st, &o12, NULL, NULL);
    kr12.keys = k12;
    assert_int_equal(access_channel_grant(&kr12, &o1, 2, 9, why, sizeof(why)), 0);
    keyring_release(&kr12);
    o1.channels = 1;
    assert_int_equal(store_user_update(st, &o1), 0);

    /* o12 re-keys from keys an administrator knew: both channels get new pairs, each memo's
     * channel copy re-sealed to its own channel's, the other holders re-granted, o12's own
     * grants revoked (o1 and o2 hold them) */
    keys_generate(nk);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(enrol_rekey(st, &o12, k12, nk, NULL, 20), 0);
    assert_int_equal(store_commit(st), 0);
    trust_channel_settle(st);
    assert_int_equal(trust_channel_pk(st, 1, npk1), 0);
    assert_int_equal(trust_channel_pk(st, 2, npk2), 0);
    assert_memory_not_equal(npk1, pk1, 32);
    assert_memory_not_equal(npk2, pk2, 32);
    assert_memory_not_equal(npk1, npk2, 32);
    assert_int_equal(access_channel_grants(st, o12.id, &held), 0);
    assert_int_equal(held, 0);
    assert_int_equal(access_channel_grants(st, o1.id, &held), 0);
    assert_int_equal(held, 1); /* channel 1's, re-sealed; channel 2's revoked */
    o1.channels = 3;
    assert_int_equal(store_user_update(st, &o1), 0);
    memo_key_of(st, &o1, k1, &m1, 0, key1, NULL);
    memo_key_of(st, &o2, k2, &m2, 0, key2, NULL);
    memo_key_of(st, &o1, k1, &m2, ERR_FORBIDDEN, NULL, "channel access not yet granted");

    keys_free(k1);
    keys_free(k2);
    keys_free(k12);
    keys_free(nk);
    store_memo_release(&m1);
    store_memo_release(&m2);
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
        cmocka_unit_test(keys_per_channel),
        cmocka_unit_test(audit_chain),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
