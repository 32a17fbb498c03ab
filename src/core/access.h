/*
 * access.h - who can decrypt a memo.
 *
 * Each memo has a random 32-byte key; its content fields are stored only encrypted under it,
 * bound to where they belong (core/content.h). The key is sealed to each reader's X25519
 * key: the drafter at creation, each invited co-signer when invited, each principal when the memo
 * is distributed to them, and the key of the memo's channel at filing. Each channel (core/
 * channels.h) has its own key: an X25519 pair whose private half is sealed to every officer of
 * that channel granted access, so that an officer of one channel holds nothing that opens
 * another's memos, whatever they read in the database. The first of a channel's officers to be
 * enrolled (or given the channel once enrolled) creates its key (core/enrol.h), or `dissent
 * channel init`; an officer who holds it grants it to the channel's other officers. No key is
 * ever sealed to an account holding the admin or auditor role.
 *
 * A struct keyring opens what the signed-in user can open, lazily, into sodium_malloc'd memory,
 * and wipes it on release: use one per request.
 */
#ifndef DISSENT_CORE_ACCESS_H
#define DISSENT_CORE_ACCESS_H

#include "core/channels.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCESS_KEY_LEN 32

struct user_keys;

/* What the current user can open. */
struct keyring {
    struct store *st;                      /* the thread's connection */
    const struct user *user;               /* the signed-in user */
    const struct session *session;         /* their session (keys come from it), or NULL */
    const char *token;                     /* the session token, or NULL */
    struct user_keys *keys;                /* opened lazily, or given by the caller (CLI) */
    bool own_keys;                         /* @keys is ours to free */
    uint8_t *channel_sk[CHANNELS_MAX + 1]; /* each channel's private key once opened (secure
                                              memory), by channel number */
};

/** keyring_init() - an empty keyring for @u in @session (may be NULL). */
void keyring_init(struct keyring *kr, struct store *st, const struct user *u,
                  const struct session *session, const char *token);

/** keyring_release() - wipe and free what was opened. */
void keyring_release(struct keyring *kr);

/**
 * keyring_user_keys() - the user's private keys. ERR_FORBIDDEN (with @why) when the session holds
 * none.
 */
int keyring_user_keys(struct keyring *kr, const struct user_keys **out, char *why, size_t whylen);

/**
 * access_memo_key() - @m's key into @key (ACCESS_KEY_LEN bytes, caller wipes), through the key
 * sealed to the user or, for an officer of @m's channel, through that channel's key.
 * Returns 0, or ERR_FORBIDDEN with the reason in @why ("channel access not yet granted", ...).
 */
int access_memo_key(struct keyring *kr, const struct memo *m, uint8_t key[ACCESS_KEY_LEN],
                    char *why, size_t whylen);

/**
 * access_share() - seal @key to @to (refused with ERR_FORBIDDEN for admins, auditors and accounts
 * without keys, ERR_HELD for an account whose re-enrolment after a reset officers have not yet
 * confirmed, core/reset.h). Call inside the transaction that grants the relation.
 */
int access_share(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                 const struct user *to, int64_t now);

/**
 * access_held() - ERR_HELD, with @why saying so, for an account re-enrolled after a reset that
 * officers have not yet confirmed (core/reset.h): nothing may be sealed to it. Else 0.
 */
int access_held(const struct user *u, char *why, size_t whylen);

/**
 * access_share_own() - seal the key of a memo @drafter is creating to themselves: what an
 * account writes is its own, held or not.
 */
int access_share_own(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                     const struct user *drafter, int64_t now);

/**
 * access_notes_key() - @m's officers' key into @key (ACCESS_KEY_LEN bytes, caller wipes): a
 * second random key per memo, sealed only to the channel key (STORE_NOTES), under which the
 * officers' internal notes, the reply's drafts and their review are encrypted (core/review.h).
 * The drafter, co-signers and principals hold the memo key but never this one. The keyring's
 * user must hold a channel grant. With @create and none yet, a new one is made and stored,
 * inside the caller's transaction (which must also update the memo row, so that two officers
 * creating it at once conflict: core/review.c); else ERR_NOT_FOUND. ERR_FORBIDDEN with @why.
 */
int access_notes_key(struct keyring *kr, const struct memo *m, bool create,
                     uint8_t key[ACCESS_KEY_LEN], char *why, size_t whylen);

/** access_share_channel() - seal @key to the key of @m's channel; ERR_STATE when it has none
 *  yet. */
int access_share_channel(struct store *st, const struct memo *m, const uint8_t key[ACCESS_KEY_LEN],
                         int64_t now);

/**
 * access_channel_setup() - when @officer is an officer (neither admin nor auditor, enrolled with
 * keys of their own choosing: not held after a reset, not waiting to re-key, not disabled), make
 * the key of each of its channels that has none yet, and grant it to them, each in its own
 * transaction. *@created is the set of channels (bit N-1 for channel N) whose key was made;
 * nothing happens for any other account, nor for a channel with a key, made or pinned.
 */
int access_channel_setup(struct store *st, const struct user *officer, int64_t now,
                         uint64_t *created);

/**
 * access_channel_grant() - the keyring's officer, who holds @channel's key, grants it to the
 * officer @to of that channel, in its own transaction with the log entry (channel-granted, when
 * @to held no grant of it yet). With @why: ERR_FORBIDDEN when the granter holds no grant of it,
 * ERR_INVALID when @to is not an active officer of @channel (or holds the admin or auditor
 * role), ERR_NO_KEYS before @to enrolled, ERR_HELD while @to's re-enrolment after a reset waits
 * for the officers' confirmation (core/reset.h).
 */
int access_channel_grant(struct keyring *kr, const struct user *to, int64_t channel, int64_t now,
                         char *why, size_t whylen);

/**
 * access_channel_revoke() - delete @u's grant of @channel (0: of every channel), if any, with a
 * log entry per channel (channel-revoked). Inside the caller's transaction.
 */
int access_channel_revoke(struct store *st, const struct user *u, int64_t channel, int64_t now);

/** access_channel_granted() - whether @user_id holds a grant of @channel (0: of any channel). */
int access_channel_granted(struct store *st, int64_t channel, int64_t user_id, bool *yes);

/** access_channel_grants() - the set of channels whose key @user_id holds a grant of. */
int access_channel_grants(struct store *st, int64_t user_id, uint64_t *channels);

#endif
