#include "core/access.h"

#include "core/channels.h"

#include "core/ledger.h"
#include "core/memo.h"
#include "core/session.h"
#include "core/trust.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(STORE_SEALED_LEN == SEAL_SEALED_KEY_LEN, "sealed key sizes agree");
_Static_assert(ACCESS_KEY_LEN == SEAL_KEY_LEN, "key sizes agree");

/* Accounts that must never hold a content key. */
#define NO_KEYS ROLE_OPERATOR

void keyring_init(struct keyring *kr, struct store *st, const struct user *u,
                  const struct session *session, const char *token)
{
    memset(kr, 0, sizeof(*kr));
    kr->st = st;
    kr->user = u;
    kr->session = session;
    kr->token = token;
}

void keyring_release(struct keyring *kr)
{
    if (kr->own_keys)
        keys_free(kr->keys);
    for (int c = 0; c <= CHANNELS_MAX; c++)
        keys_secure_free(kr->channel_sk[c]);
    memset(kr, 0, sizeof(*kr));
}

/* A memo's channel: its row's (1 for a row made before channels, whose column says 1 too). */
static int64_t memo_channel(const struct memo *m)
{
    return m->channel_id >= 1 && m->channel_id <= CHANNELS_MAX ? m->channel_id : 1;
}

int keyring_user_keys(struct keyring *kr, const struct user_keys **out, char *why, size_t whylen)
{
    int rc;

    *out = NULL;
    if (kr->keys == NULL) {
        if (kr->session == NULL || kr->token == NULL)
            goto none;
        rc = session_keys_open(kr->session, kr->token, kr->user, &kr->keys);
        if (rc == ERR_NOMEM)
            return rc;
        if (rc != 0)
            goto none;
        kr->own_keys = true;
    }
    *out = kr->keys;
    return 0;
none:
    err_set(why, whylen, "this session holds no keys: sign out and in again");
    return ERR_FORBIDDEN;
}

/* Open @channel's private key through the user's grant, into kr->channel_sk[@channel]. */
static int open_channel(struct keyring *kr, int64_t channel, char *why, size_t whylen)
{
    uint8_t sealed[STORE_SEALED_LEN], pk[STORE_PUB_LEN];
    const struct user_keys *k;
    int rc;

    if (channel < 1 || channel > CHANNELS_MAX)
        return ERR_INTERNAL;
    if (kr->channel_sk[channel] != NULL)
        return 0;
    rc = store_channel_grant_get(kr->st, channel, kr->user->id, sealed);
    if (rc == ERR_NOT_FOUND) {
        if (kr->user->flags & STORE_USER_RESET)
            err_set(why, whylen,
                    "channel access not yet granted again since an administrator's reset "
                    "revoked it: an officer who holds it must grant it to you");
        else
            err_set(why, whylen,
                    "channel access not yet granted: an officer who holds it must "
                    "grant it to you");
        return ERR_FORBIDDEN;
    }
    if (rc != 0)
        return rc;
    if ((rc = keyring_user_keys(kr, &k, why, whylen)) != 0)
        return rc;
    if ((rc = trust_channel_pk(kr->st, channel, pk)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_INTEGRITY : rc; /* a grant without a key */
    uint8_t *sk = keys_secure_alloc(SEAL_SEC_LEN);
    if (sk == NULL)
        return ERR_NOMEM;
    if (seal_open(sk, sealed, k->box_pk, k->box_sk) != 0) {
        keys_secure_free(sk);
        err_set(why, whylen,
                "your channel access was granted to keys you no longer hold "
                "(an administrator's reset): ask an officer to grant it again");
        return ERR_FORBIDDEN;
    }
    /* a grant restored from before a rotation, or another channel's, opens another key: never
     * use or pass it on */
    if (!seal_keypair_matches(pk, sk)) {
        keys_secure_free(sk);
        log_error("integrity: the grant of channel %lld to account %lld opens a key other than "
                  "the pinned one: it is not used",
                  (long long)channel, (long long)kr->user->id);
        return ERR_INTEGRITY;
    }
    kr->channel_sk[channel] = sk;
    return 0;
}

int access_memo_key(struct keyring *kr, const struct memo *m, uint8_t key[ACCESS_KEY_LEN],
                    char *why, size_t whylen)
{
    uint8_t sealed[STORE_SEALED_LEN], pk[STORE_PUB_LEN];
    const struct user_keys *k;
    int64_t channel = memo_channel(m);
    bool officer = (kr->user->roles & ROLE_OFFICER) && m->state >= MEMO_FILED &&
                   channels_has(kr->user->channels, channel);
    int rc;

    memset(key, 0, ACCESS_KEY_LEN);
    if (kr->user->roles & NO_KEYS) {
        err_set(why, whylen, "accounts with the admin or auditor role hold no memo keys");
        return ERR_FORBIDDEN;
    }
    rc = store_memo_key_get(kr->st, m->id, m->public_id, kr->user->id, sealed);
    if (rc == 0) {
        if ((rc = keyring_user_keys(kr, &k, why, whylen)) != 0)
            return rc;
        if (seal_open(key, sealed, k->box_pk, k->box_sk) == 0)
            return 0;
        if (!officer) {
            err_set(why, whylen,
                    "this memo was shared with keys you no longer hold (an "
                    "administrator's reset revoked them): ask to have it shared "
                    "again");
            return ERR_FORBIDDEN;
        }
    } else if (rc != ERR_NOT_FOUND) {
        return rc;
    }
    if (!officer) {
        if (kr->user->flags & STORE_USER_RESET)
            err_set(why, whylen,
                    "your keys were revoked by an administrator's reset, and this memo was "
                    "shared with the old ones: once officers have confirmed the account is "
                    "yours, they share your filed memos again, and a current reader shares a "
                    "draft");
        else
            err_set(why, whylen, "no key for this memo was shared with you");
        return ERR_FORBIDDEN;
    }
    if ((rc = open_channel(kr, channel, why, whylen)) != 0)
        return rc;
    if ((rc = store_memo_key_get(kr->st, m->id, m->public_id, STORE_CHANNEL, sealed)) != 0) {
        if (rc == ERR_NOT_FOUND) {
            err_set(why, whylen, "this memo was not shared with the channel");
            rc = ERR_FORBIDDEN;
        }
        return rc;
    }
    if ((rc = trust_channel_pk(kr->st, channel, pk)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_INTEGRITY : rc;
    if (seal_open(key, sealed, pk, kr->channel_sk[channel]) != 0) {
        err_set(why, whylen, "the channel's copy of this memo's key does not open");
        return ERR_FORBIDDEN;
    }
    return 0;
}

int access_notes_key(struct keyring *kr, const struct memo *m, bool create,
                     uint8_t key[ACCESS_KEY_LEN], char *why, size_t whylen)
{
    uint8_t sealed[STORE_SEALED_LEN], pk[STORE_PUB_LEN];
    int64_t channel = memo_channel(m);
    int rc;

    memset(key, 0, ACCESS_KEY_LEN);
    if (!(kr->user->roles & ROLE_OFFICER) || (kr->user->roles & NO_KEYS) ||
        !channels_has(kr->user->channels, channel)) {
        err_set(why, whylen, "only officers hold a memo's internal key");
        return ERR_FORBIDDEN;
    }
    if ((rc = open_channel(kr, channel, why, whylen)) != 0)
        return rc;
    if ((rc = trust_channel_pk(kr->st, channel, pk)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_INTEGRITY : rc;
    rc = store_memo_key_get(kr->st, m->id, m->public_id, STORE_NOTES, sealed);
    if (rc == ERR_NOT_FOUND && create) {
        random_bytes(key, ACCESS_KEY_LEN);
        seal_to(sealed, key, pk);
        rc = store_memo_key_put(kr->st, m->id, m->public_id, STORE_NOTES, sealed, m->updated_at);
        if (rc != 0)
            memset(key, 0, ACCESS_KEY_LEN);
        return rc;
    }
    if (rc != 0)
        return rc;
    if (seal_open(key, sealed, pk, kr->channel_sk[channel]) != 0) {
        err_set(why, whylen, "the channel's copy of this memo's internal key does not open");
        return ERR_FORBIDDEN;
    }
    return 0;
}

static int share(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                 const struct user *to, bool own, int64_t now)
{
    uint8_t sealed[STORE_SEALED_LEN];
    int rc;

    if ((to->roles & NO_KEYS) || !to->has_keys)
        return ERR_FORBIDDEN;
    if ((to->flags & STORE_USER_HELD) && !own)
        return ERR_HELD;
    if ((rc = trust_bound(st, to)) != 0)
        return rc;
    seal_to(sealed, key, to->box_pk);
    return store_memo_key_put(st, m->id, m->public_id, to->id, sealed, now);
}

int access_held(const struct user *u, char *why, size_t whylen)
{
    if (!(u->flags & STORE_USER_HELD))
        return 0;
    err_set(why, whylen,
            "%.64s was reset by an administrator: nothing is shared with them, nor the channel "
            "key granted, until officers confirm that the account is theirs",
            u->username);
    return ERR_HELD;
}

int access_share(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                 const struct user *to, int64_t now)
{
    return share(st, m, key, to, false, now);
}

int access_share_own(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                     const struct user *drafter, int64_t now)
{
    return share(st, m, key, drafter, true, now);
}

int access_share_channel(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                         int64_t now)
{
    uint8_t sealed[STORE_SEALED_LEN], pk[STORE_PUB_LEN];
    int rc = trust_channel_pk(st, memo_channel(m), pk); /* never a key the database swapped in */

    if (rc == ERR_NOT_FOUND)
        return ERR_STATE;
    if (rc != 0)
        return rc;
    seal_to(sealed, key, pk);
    return store_memo_key_put(st, m->id, m->public_id, STORE_CHANNEL, sealed, now);
}

/* Make @channel's key and grant it to @officer, unless it has one (0, *@created false). */
static int setup_one(struct store *st, const struct user *officer, int64_t channel, int64_t now,
                     bool *created)
{
    uint8_t pk[SEAL_PUB_LEN], sealed[STORE_SEALED_LEN];
    uint8_t *sk = NULL;
    int rc;

    *created = false;
    /* none in the database, and none pinned (a pinned key the database lost is ERR_INTEGRITY,
     * never a reason to make another) */
    rc = trust_channel_pk(st, channel, pk);
    if (rc != ERR_NOT_FOUND)
        return rc;
    if ((sk = keys_secure_alloc(SEAL_SEC_LEN)) == NULL)
        return ERR_NOMEM;
    seal_keypair_new(pk, sk);
    seal_to(sealed, sk, officer->box_pk);
    keys_secure_free(sk);
    if ((rc = store_begin(st)) != 0)
        return rc;
    /* under the write lock: another officer's enrolment may have made it meanwhile */
    {
        uint8_t other[SEAL_PUB_LEN];
        rc = store_channel_key_get(st, channel, other);
        rc = rc == 0 ? ERR_EXISTS : rc == ERR_NOT_FOUND ? 0 : rc;
    }
    if (rc == 0)
        rc = trust_channel_pending(st, channel, pk);
    if (rc == 0)
        rc = store_channel_key_create(st, channel, pk, officer->id, now);
    if (rc == 0)
        rc = store_channel_grant_put(st, channel, officer->id, sealed, officer->id, now);
    if (rc == 0)
        rc = ledger_channel_event(st, officer, LEDGER_CHANNEL_GRANTED, channel, now);
    if (rc == 0)
        rc = store_commit(st);
    if (rc != 0)
        store_rollback(st);
    trust_channel_settle(st);
    if (rc != 0)
        return rc == ERR_EXISTS ? 0 : rc; /* another officer was first */
    *created = true;
    return 0;
}

int access_channel_setup(struct store *st, const struct user *officer, int64_t now,
                         uint64_t *created)
{
    int rc = 0;

    *created = 0;
    /* nor for an account re-enrolled after a reset that officers have not confirmed, one whose
     * keys an administrator's password still wraps (whoever knew it could open the grant), a
     * disabled one (it would hold the key alone and answer nothing), or a row that failed its
     * check */
    if (!(officer->roles & ROLE_OFFICER) || (officer->roles & NO_KEYS) || !officer->has_keys ||
        (officer->flags & (STORE_USER_HELD | STORE_USER_REKEY | STORE_USER_TAMPERED)) ||
        officer->disabled)
        return 0;
    if ((rc = trust_bound(st, officer)) != 0)
        return rc;
    /* each of the officer's channels that has no key yet: this officer is its first */
    for (int64_t c = 1; c <= CHANNELS_MAX && rc == 0; c++) {
        bool made = false;
        if (!channels_has(officer->channels, c))
            continue;
        if ((rc = setup_one(st, officer, c, now, &made)) == 0 && made)
            *created |= UINT64_C(1) << (c - 1);
    }
    return rc;
}

/* Whether @to may receive @channel's key: 0, or an error with @why. */
static int grantable(const struct user *to, int64_t channel, char *why, size_t whylen)
{
    if (!(to->roles & ROLE_OFFICER) || (to->roles & NO_KEYS) || to->disabled) {
        err_set(why, whylen, "%s is not an active officer without the admin or auditor role",
                to->username);
        return ERR_INVALID;
    }
    if (!channels_has(to->channels, channel)) {
        err_set(why, whylen, "%s is not an officer of this channel", to->username);
        return ERR_INVALID;
    }
    if (!to->has_keys) {
        err_set(why, whylen,
                "%s has not enrolled yet: the channel key can be granted once they "
                "have",
                to->username);
        return ERR_NO_KEYS;
    }
    return access_held(to, why, whylen);
}

int access_channel_grant(struct keyring *kr, const struct user *to, int64_t channel, int64_t now,
                         char *why, size_t whylen)
{
    uint8_t sealed[STORE_SEALED_LEN];
    bool had = false;
    struct user u;
    int rc;

    memset(&u, 0, sizeof(u));
    if (channel < 1 || channel > CHANNELS_MAX)
        return ERR_INTERNAL;
    /* the account is read again, and the channel key opened, inside the transaction: a reset
     * or a rotation (core/enrol.h) committed meanwhile cannot make this grant seal the key to
     * revoked keys, or hand out the key it replaced */
    if ((rc = store_begin(kr->st)) != 0)
        return rc;
    if ((rc = store_user_get_by_id(kr->st, to->id, &u)) == 0 &&
        (rc = grantable(&u, channel, why, whylen)) == 0 && (rc = trust_bound(kr->st, &u)) == 0 &&
        (rc = open_channel(kr, channel, why, whylen)) == 0)
        seal_to(sealed, kr->channel_sk[channel], u.box_pk);
    if (rc == 0 && (rc = access_channel_granted(kr->st, channel, u.id, &had)) == 0 &&
        (rc = store_channel_grant_put(kr->st, channel, u.id, sealed, kr->user->id, now)) == 0 &&
        (had || (rc = ledger_channel_event(kr->st, &u, LEDGER_CHANNEL_GRANTED, channel, now)) == 0))
        rc = store_commit(kr->st);
    if (rc != 0)
        store_rollback(kr->st);
    wipe(u.pwhash, sizeof(u.pwhash));
    wipe(sealed, sizeof(sealed));
    return rc;
}

int access_channel_revoke(struct store *st, const struct user *u, int64_t channel, int64_t now)
{
    uint64_t held = 0;
    int rc = access_channel_grants(st, u->id, &held);

    if (rc != 0)
        return rc;
    if (channel != 0)
        held &= channels_has(held, channel) ? UINT64_C(1) << (channel - 1) : 0;
    if (held == 0)
        return 0;
    if (channel == 0)
        rc = store_user_revoke_keys(st, u->id, STORE_REVOKE_GRANT);
    else
        rc = store_channel_grant_delete(st, channel, u->id);
    for (int64_t c = 1; c <= CHANNELS_MAX && rc == 0; c++)
        if (channels_has(held, c))
            rc = ledger_channel_event(st, u, LEDGER_CHANNEL_REVOKED, c, now);
    return rc;
}

int access_channel_granted(struct store *st, int64_t channel, int64_t user_id, bool *yes)
{
    uint64_t held = 0;
    int rc = access_channel_grants(st, user_id, &held);

    *yes = channel == 0 ? held != 0 : channels_has(held, channel);
    return rc;
}

int access_channel_grants(struct store *st, int64_t user_id, uint64_t *channels)
{
    return store_channel_grants_of(st, user_id, channels);
}
