#include "core/reset.h"

#include "core/channels.h"

#include "core/audit.h"
#include "core/ledger.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <string.h>

#define USERS_PAGE 100
#define MEMOS_PAGE 100

/* The key fields of a listed account are nobody's business. */
static void clear_keys(struct user *u)
{
    wipe(u->pwhash, sizeof(u->pwhash));
    wipe(u->keys_wrapped, sizeof(u->keys_wrapped));
    wipe(u->recovery_wrapped, sizeof(u->recovery_wrapped));
    wipe(u->enrol_hash, sizeof(u->enrol_hash));
}

/* Whether @m went to the channel (it was filed) and whether @user_id holds a key for it. */
static int keys_of(struct store *st, const struct memo *m, int64_t user_id, bool *filed,
                   bool *holds)
{
    uint8_t sealed[STORE_SEALED_LEN];
    int rc = store_memo_key_get(st, m->id, m->public_id, STORE_CHANNEL, sealed);

    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    *filed = rc == 0;
    rc = store_memo_key_get(st, m->id, m->public_id, user_id, sealed);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    *holds = rc == 0;
    return 0;
}

/*
 * Call @fn for each filed memo @u is part of (drafted; invited to and not declined; distributed
 * to) and holds no key for, of the channels @channels (bit N-1 for channel N; 0: every channel:
 * an officer sees and re-shares only their channels' memos, docs/channels.md). Newest first,
 * page by page.
 */
static int each_to_reshare(struct store *st, const struct user *u, uint64_t channels,
                           int (*fn)(void *arg, struct memo *m), void *arg)
{
    struct memo_filter f = {.user_id = u->id,
                            .relations = STORE_REL_INVITED | STORE_REL_DISTRIBUTED,
                            .excluded = STORE_REL_DECLINED,
                            .drafted = true,
                            .state = -1,
                            .limit = MEMOS_PAGE};
    struct memo *ms = NULL;
    size_t count = 0;
    int rc;

    do {
        if ((rc = store_memo_list(st, &f, &ms, &count)) != 0)
            return rc;
        for (size_t i = 0; i < count && rc == 0; i++) {
            bool filed = false, holds = false;
            if (channels != 0 && !channels_has(channels, ms[i].channel_id))
                continue;
            if ((rc = keys_of(st, &ms[i], u->id, &filed, &holds)) == 0 && filed && !holds)
                rc = fn(arg, &ms[i]);
        }
        if (count > 0)
            f.after = ms[count - 1].id;
        store_memo_list_free(ms, count);
        ms = NULL;
    } while (rc == 0 && count == MEMOS_PAGE);
    return rc;
}

static int count_one(void *arg, struct memo *m)
{
    (void)m;
    (*(size_t *)arg)++;
    return 0;
}

int reset_list(struct store *st, uint64_t channels, struct reset_account **out, size_t *count)
{
    char after[USERNAME_MAX + 1] = "";
    struct reset_account *arr = NULL;
    struct user *us = NULL;
    size_t n = 0, cap = 0, got = 0;
    int rc = 0;

    *out = NULL;
    *count = 0;
    do {
        if ((rc = store_user_list(st, after, USERS_PAGE, &us, &got)) != 0)
            break;
        for (size_t i = 0; i < got && rc == 0 && n < RESET_LIST_MAX; i++) {
            struct reset_account *a;
            if (!(us[i].flags & STORE_USER_RESET))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct reset_account *grown = mem_realloc(arr, ncap * sizeof(*arr));
                if (grown == NULL) {
                    rc = ERR_NOMEM;
                    break;
                }
                arr = grown;
                cap = ncap;
            }
            a = &arr[n++];
            memset(a, 0, sizeof(*a));
            a->u = us[i];
            clear_keys(&a->u);
            a->enrolled = us[i].has_keys;
            a->held = (us[i].flags & STORE_USER_HELD) != 0;
            a->required = reset_required(&us[i]);
            a->first_officer = a->held ? us[i].confirm_by : 0;
            rc = each_to_reshare(st, &us[i], channels, count_one, &a->to_reshare);
            /* an account of other channels, with nothing of these channels to share again, is
             * not these officers' to see or confirm (docs/channels.md) */
            if (rc == 0 && channels != 0 && a->to_reshare == 0 &&
                !(channels & (us[i].channels != 0 ? us[i].channels : 1))) {
                clear_keys(&a->u);
                n--;
            }
        }
        if (got > 0)
            str_copy(after, sizeof(after), us[got - 1].username);
        for (size_t i = 0; i < got; i++)
            clear_keys(&us[i]);
        mem_free(us);
        us = NULL;
    } while (rc == 0 && got == USERS_PAGE && n < RESET_LIST_MAX);
    if (rc != 0) {
        mem_free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

/* What one re-share needs. */
struct reshare {
    struct keyring *kr;
    const struct user *to;
    int64_t now;
    size_t done;
    char *why;
    size_t whylen;
};

/* Seal @m's key, opened by the keyring's user, to the account, with its audit record and its
 * timeline event. Inside the caller's transaction. */
static int reshare_one(void *arg, struct memo *m)
{
    struct reshare *r = arg;
    uint8_t key[ACCESS_KEY_LEN];
    int rc = access_memo_key(r->kr, m, key, r->why, r->whylen);

    if (rc == 0)
        rc = access_share(r->kr->st, m, key, r->to, r->now);
    wipe(key, sizeof(key));
    if (rc == 0)
        rc = audit_append(r->kr->st, m->id, r->kr->user->id, "reshared", r->now);
    if (rc == 0)
        rc = store_event_add(r->kr->st, m->id, "reshared", r->kr->user->id, NULL, r->now);
    if (rc == 0)
        r->done++;
    return rc;
}

int reset_required(const struct user *u)
{
    if (!(u->flags & STORE_USER_HELD))
        return 0;
    return (u->flags & STORE_USER_HELD2) ? 2 : 1;
}

static void fingerprint_raw(const struct user *u, uint8_t out[RESET_FINGERPRINT_BYTES])
{
    static const char label[] = "dissent account fingerprint v1\n";
    uint8_t buf[sizeof(label) - 1 + 2 * STORE_PUB_LEN], h[HASH_SHA256_LEN];

    memcpy(buf, label, sizeof(label) - 1);
    memcpy(buf + sizeof(label) - 1, u->sign_pk, STORE_PUB_LEN);
    memcpy(buf + sizeof(label) - 1 + STORE_PUB_LEN, u->box_pk, STORE_PUB_LEN);
    hash_sha256(h, buf, sizeof(buf));
    memcpy(out, h, RESET_FINGERPRINT_BYTES);
}

void reset_fingerprint(const struct user *u, char out[RESET_FINGERPRINT_LEN + 1])
{
    uint8_t raw[RESET_FINGERPRINT_BYTES];

    out[0] = '\0';
    if (!u->has_keys)
        return;
    fingerprint_raw(u, raw);
    str_hex_groups(out, raw, sizeof(raw));
}

int reset_confirm(struct keyring *kr, const char *username,
                  const uint8_t fingerprint[RESET_FINGERPRINT_BYTES], int64_t now, struct user *out,
                  size_t *shared, char *why, size_t whylen)
{
    struct reshare r = {.kr = kr, .now = now, .why = why, .whylen = whylen};
    uint8_t current[RESET_FINGERPRINT_BYTES];
    uint64_t held = 0;
    struct user u;
    int rc, needed;

    *shared = 0;
    memset(out, 0, sizeof(*out));
    memset(&u, 0, sizeof(u));
    if ((rc = store_begin(kr->st)) != 0)
        return rc;
    rc = user_username_valid(username) ? store_user_get_by_name(kr->st, username, &u)
                                       : ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND)
        err_set(why, whylen, "no such user");
    if (rc != 0)
        goto fail;
    if (!(u.flags & STORE_USER_RESET)) {
        err_set(why, whylen, "%s has nothing to confirm: no administrator's reset is pending",
                u.username);
        rc = ERR_INVALID;
    } else if ((rc = access_channel_grants(kr->st, kr->user->id, &held)) != 0) {
        goto fail;
    } else if ((held &= kr->user->channels ? kr->user->channels : 1) == 0 ||
               !(kr->user->roles & ROLE_OFFICER) ||
               (kr->user->flags & (STORE_USER_RESET | STORE_USER_HELD))) {
        err_set(why, whylen,
                "only an officer who holds the channel key confirms a re-enrolled account");
        rc = ERR_FORBIDDEN;
    } else if ((u.flags & STORE_USER_HELD) && !(held & (u.channels != 0 ? u.channels : 1))) {
        /* whether the account is its user's is for its own channels' officers to say: an
         * officer of another channel (one an administrator could make and enrol) shares their
         * channel's memos again once it is confirmed, never before */
        err_set(why, whylen,
                "%s is confirmed first by an officer of its own channel, who holds that "
                "channel's key",
                u.username);
        rc = ERR_STATE;
    } else if (u.id == kr->user->id) {
        err_set(why, whylen, "an account is confirmed by other officers, never by itself");
        rc = ERR_INVALID;
    } else if (!u.has_keys) {
        err_set(why, whylen, "%s has not enrolled again yet: confirm once they have", u.username);
        rc = ERR_NO_KEYS;
    } else if (u.disabled) {
        err_set(why, whylen, "%s is disabled", u.username);
        rc = ERR_INVALID;
    } else if (fingerprint_raw(&u, current), memcmp(current, fingerprint, sizeof(current)) != 0) {
        err_set(why, whylen,
                "that is not the fingerprint of %s's keys: the person you spoke to did not read "
                "it from this enrolment (or the account was enrolled again since)",
                u.username);
        rc = ERR_CRYPTO;
    } else if ((u.flags & STORE_USER_HELD) && u.confirm_by == kr->user->id) {
        err_set(why, whylen, "you confirmed %s already: another officer must confirm too",
                u.username);
        rc = ERR_EXISTS;
    }
    if (rc != 0)
        goto fail;
    u.updated_at = now;
    needed = reset_required(&u);
    if (needed >= 2 && u.confirm_by == 0) {
        /* the first of two confirmations: recorded, nothing shared yet */
        u.confirm_by = kr->user->id;
        if ((rc = store_user_update(kr->st, &u)) != 0 || (rc = store_commit(kr->st)) != 0)
            goto fail;
        goto done;
    }
    u.flags &= ~(STORE_USER_HELD | STORE_USER_HELD2);
    u.confirm_by = 0;
    r.to = &u;
    /* the memos of the confirming officer's channels whose key they hold; another channel's
     * officers share theirs when they confirm in turn (a fingerprint check each), and the reset
     * ends with the last */
    if ((rc = each_to_reshare(kr->st, &u, held, reshare_one, &r)) != 0)
        goto fail;
    {
        size_t left = 0;
        if ((rc = each_to_reshare(kr->st, &u, 0, count_one, &left)) != 0)
            goto fail;
        if (left == 0)
            u.flags &= ~STORE_USER_RESET;
    }
    if ((rc = store_user_update(kr->st, &u)) != 0 ||
        (!(u.flags & STORE_USER_RESET) &&
         (rc = ledger_account_event(kr->st, &u, LEDGER_RESET_CONFIRMED, now)) != 0) ||
        (rc = store_commit(kr->st)) != 0)
        goto fail;
    *shared = r.done;
done:
    clear_keys(&u);
    *out = u;
    return 0;
fail:
    store_rollback(kr->st);
    clear_keys(&u);
    return rc;
}

/* Whether @u may be given @m's key again (inside the caller's transaction): 0, or an error with
 * @why. */
static int reshare_allowed(struct store *st, const struct memo *m, const struct user *u, char *why,
                           size_t whylen)
{
    bool filed = false, holds = false;
    unsigned rel = 0;
    int rc;

    if ((rc = keys_of(st, m, u->id, &filed, &holds)) != 0)
        return rc;
    if (filed) {
        err_set(why, whylen,
                "this memo was filed: the officers share it again when they confirm the "
                "account");
        return ERR_STATE;
    }
    if (u->id != m->drafter_id && (rc = store_member_get(st, m, u->id, &rel)) != 0)
        return rc;
    /* one answer for "not part of it" and "reads it already": nobody learns who was invited */
    if (holds ||
        (u->id != m->drafter_id && (!(rel & STORE_REL_INVITED) || (rel & STORE_REL_DECLINED)))) {
        err_set(why, whylen,
                "username: %s is not a drafter or co-signer of this memo whom a reset cut off",
                u->username);
        return ERR_INVALID;
    }
    if (!u->has_keys || u->disabled) {
        err_set(why, whylen, "%s has not enrolled again yet: share once they have", u->username);
        return ERR_NO_KEYS;
    }
    return access_held(u, why, whylen);
}

int reset_reshare_draft(struct keyring *kr, struct memo *m, const struct user *to, int64_t now,
                        char *why, size_t whylen)
{
    uint8_t key[ACCESS_KEY_LEN];
    struct user u;
    int rc;

    memset(&u, 0, sizeof(u));
    if ((rc = access_memo_key(kr, m, key, why, whylen)) != 0)
        return rc;
    /* the checks and the share in one transaction: a decline or a reset meanwhile counts */
    if ((rc = store_begin(kr->st)) != 0)
        goto out;
    if ((rc = store_user_get_by_id(kr->st, to->id, &u)) != 0 ||
        (rc = reshare_allowed(kr->st, m, &u, why, whylen)) != 0 ||
        (rc = access_share(kr->st, m, key, &u, now)) != 0 ||
        (rc = audit_append(kr->st, m->id, kr->user->id, "reshared", now)) != 0 ||
        (rc = store_event_add(kr->st, m->id, "reshared", kr->user->id, NULL, now)) != 0 ||
        (rc = store_commit(kr->st)) != 0)
        store_rollback(kr->st);
out:
    clear_keys(&u);
    wipe(key, sizeof(key));
    return rc;
}
