/*
 * integrity.h - the MACs that authenticate rows against whoever can write the database (store.h,
 * "Integrity"); private to src/store/, used by the store_*() wrappers in store.c.
 *
 * Each MAC is keyed BLAKE2b-256 under the connection's trust key over a domain label and the
 * row's fields, each field length-prefixed, so no two rows of different kinds or contents can
 * share a MAC input.
 */
#ifndef DISSENT_STORE_INTEGRITY_H
#define DISSENT_STORE_INTEGRITY_H

#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* What an envelope holds; part of its MAC, so one kind cannot pass for another. */
enum integ_envelope {
    INTEG_MEMO_KEY = 1,  /* a memo key sealed to an account, or to the channel (user id 0) */
    INTEG_CHANNEL_GRANT, /* the channel's private key sealed to an officer */
};

/* Each returns 0, or ERR_INTERNAL (and logs) when the connection has no trust key. */
int integ_user(const struct store *st, const struct user *u, uint8_t mac[STORE_MAC_LEN]);
int integ_session(const struct store *st, const struct session *s, uint8_t mac[STORE_MAC_LEN]);
int integ_totp(const struct store *st, const struct user_totp *t, uint8_t mac[STORE_MAC_LEN]);
int integ_channel(const struct store *st, const struct channel_row *r, uint8_t mac[STORE_MAC_LEN]);
int integ_calendar(const struct store *st, const struct calendar_row *r,
                   uint8_t mac[STORE_MAC_LEN]);
int integ_sso(const struct store *st, const struct sso_link *l, uint8_t mac[STORE_MAC_LEN]);
int integ_hold(const struct store *st, const struct store_hold *h, uint8_t mac[STORE_MAC_LEN]);
int integ_passkey(const struct store *st, const struct passkey_row *r, uint8_t mac[STORE_MAC_LEN]);
int integ_challenge(const struct store *st, const uint8_t hash[32], int64_t user_id, int purpose,
                    int64_t expires, uint8_t mac[STORE_MAC_LEN]);
int integ_outbox(const struct store *st, const struct outbox_item *it, uint8_t mac[STORE_MAC_LEN]);
int integ_memo(const struct store *st, const struct memo *m, uint8_t mac[STORE_MAC_LEN]);
/* 0 when @m's MAC passes, its drafter opened first (integ_drafter_open()); ERR_INTEGRITY
 * (logged) or ERR_INTERNAL otherwise */
int integ_memo_check(const struct store *st, struct memo *m);
int integ_envelope(const struct store *st, enum integ_envelope kind, int64_t memo_id,
                   const char *public_id, int64_t user_id, const uint8_t sealed[STORE_SEALED_LEN],
                   uint8_t mac[STORE_MAC_LEN]);
/* integ_derive() - a key derived from the integrity key for @label; ERR_INTERNAL (logged)
 * when the connection has none. */
int integ_derive(const struct store *st, const char *label, uint8_t key[32]);

/*
 * integ_who_seal() / integ_who_open() - an account id sealed by the server for @table's row
 * @row of memo @memo_id, and an event's @kind (NULL otherwise) (store.h, "Who"). Open returns
 * ERR_INTEGRITY (logged by the caller) when @in does not open there.
 */
int integ_who_seal(const struct store *st, enum store_who table, int64_t memo_id, int64_t row,
                   const char *kind, int64_t id, uint8_t out[STORE_WHO_LEN]);
int integ_who_open(const struct store *st, enum store_who table, int64_t memo_id, int64_t row,
                   const char *kind, const uint8_t in[STORE_WHO_LEN], int64_t *id);

/*
 * integ_ref() - the pseudonym of account @id in the columns that say who drafted, was invited
 * to, signed or holds the key of a memo (store.h, "Who"): keyed BLAKE2b of the id, at least
 * STORE_REF_MIN so that no account id is one; 0 stays 0 (the channel).
 */
int integ_ref(const struct store *st, int64_t id, int64_t *ref);

/*
 * integ_text_seal() / integ_text_open() - a text only the server opens (a signature's note and
 * vkey), bound to @ad: "sealed:" then base64url of XChaCha20-Poly1305. *@out is owned by the
 * caller. Open returns ERR_INTEGRITY when @in is not such a text or does not open under @ad.
 */
#define INTEG_TEXT_PREFIX "sealed:"
int integ_text_seal(const struct store *st, const char *ad, const char *text, char **out);
int integ_text_open(const struct store *st, const char *ad, const char *in, char **out);

/*
 * integ_drafter_open() - set @m->drafter_id from its sealed drafter (@m->drafter), checked
 * against the row's pseudonym (@m->drafter_ref); before the conversion, the id in clear. 0,
 * logged, when it does not open (the memo's MAC then fails).
 */
int integ_drafter_open(const struct store *st, struct memo *m);

/* @t's row and its text (store.h, struct legacy_text): the MAC of a "mac:" text */
int integ_legacy(const struct store *st, const struct legacy_text *t, uint8_t mac[STORE_MAC_LEN]);

/*
 * integ_check() - compare @want (just computed) with @stored in constant time. Returns 0, or
 * ERR_INTEGRITY after logging "@what @id fails its integrity check". While the connection adopts
 * rows (store_trust_adopt()), every row passes.
 */
int integ_check(const struct store *st, const uint8_t want[STORE_MAC_LEN],
                const uint8_t stored[STORE_MAC_LEN], const char *what, int64_t id);

#endif
