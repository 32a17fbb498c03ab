/*
 * reset.h - what follows an administrator's reset: the officers' confirmation, and sharing again
 * what the account could read before.
 *
 * A reset (enrol_reset(), core/enrol.h) revokes an account's keys and issues a new enrolment
 * code, so whoever holds that code can enrol, and the administrator gave it out. Hence:
 *
 * - The reset is told: a transparency-log entry (event reset, the account's tag, no name), an
 *   email to the account's address, and /me's "reset" at the next sign-in.
 * - Until [security] reset_confirmations officers (default 2; 0 turns this off; the count is
 *   fixed at the reset: STORE_USER_HELD, STORE_USER_HELD2) who hold the channel key, other than
 *   the account itself, have confirmed the re-enrolled account, it is held: nothing is sealed
 *   to it. Invitations, distributions, draft re-shares and channel grants to it answer
 *   ERR_HELD; a distribution to the configured principals records the relation and waits.
 * - The officer whose confirmation completes the count re-shares, in the same transaction, every
 *   filed memo the account is part of (drafted, invited to and not declined, distributed to) and
 *   has no key for: sealed through the channel key they hold, with an audit record and a
 *   timeline event ("reshared") on each memo. The account then leaves the list.
 * - A draft (not yet filed) is re-shared by any of its current readers: reset_reshare_draft().
 *
 * The confirmation is an identity check made outside the system (a call, a visit): it is what
 * keeps an administrator who enrolled in the user's place from the user's memos. The person
 * reads the fingerprint of their account's keys from their screen (/me), and the officer types
 * it into the confirmation: so a confirmation holds for that enrolment only, not for one an
 * administrator makes between the call and the click.
 */
#ifndef DISSENT_CORE_RESET_H
#define DISSENT_CORE_RESET_H

#include "core/access.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESET_CONFIRMATIONS_MAX 2 /* the largest [security] reset_confirmations */
#define RESET_LIST_MAX 1000       /* most accounts reset_list() returns */
#define RESET_FINGERPRINT_BYTES 8 /* of an account's key fingerprint */
#define RESET_FINGERPRINT_LEN 17  /* its text: 2 groups of 8 hex digits and a dash, no NUL */

/* An account reset by an administrator and not yet given back what it could read. */
struct reset_account {
    struct user u;         /* the account (key fields cleared) */
    bool enrolled;         /* it enrolled again since the reset */
    bool held;             /* waiting for the officers' confirmation */
    int required;          /* officers who must confirm: 0, 1 or 2, fixed at the reset */
    int64_t first_officer; /* the officer who confirmed it first (user id), or 0 */
    size_t to_reshare;     /* filed memos it is part of and holds no key for */
};

/**
 * reset_list() - the accounts flagged STORE_USER_RESET, by username, at most RESET_LIST_MAX, each
 * with the memos to share again counted among the channels @channels (the viewing officer's;
 * 0: every channel). *@out is mem_free()d by the caller.
 */
int reset_list(struct store *st, uint64_t channels, struct reset_account **out, size_t *count);

/** reset_required() - the confirmations @u still needs in all (0, 1 or 2), from its flags. */
int reset_required(const struct user *u);

/**
 * reset_fingerprint() - the fingerprint of @u's public keys (their SHA-256, the first
 * RESET_FINGERPRINT_BYTES, as two groups of hex digits) into @out; "" without keys.
 */
void reset_fingerprint(const struct user *u, char out[RESET_FINGERPRINT_LEN + 1]);

/**
 * reset_confirm() - the keyring's officer confirms that the re-enrolled account @username, whose
 * key fingerprint its user read to them is @fingerprint (RESET_FINGERPRINT_BYTES), is its
 * user's. When this confirmation completes the count fixed at the reset (or none is needed),
 * the filed memos are re-shared (see above), the account's reset and held flags are cleared and
 * a reset-confirmed log entry is appended, all in one transaction.
 * @out receives the account afterwards, *@shared the memos re-shared.
 * Returns 0, or with @why: ERR_NOT_FOUND (no such account), ERR_INVALID (not reset, or the
 * officer is the account itself), ERR_NO_KEYS (not enrolled again yet), ERR_CRYPTO (another
 * fingerprint: not the enrolment the person has), ERR_EXISTS (this officer confirmed already),
 * ERR_FORBIDDEN (the officer does not hold the channel key), ERR_STATE (the account is held and
 * the officer holds the key of none of its own channels: they confirm it first, docs/channels.md).
 */
int reset_confirm(struct keyring *kr, const char *username,
                  const uint8_t fingerprint[RESET_FINGERPRINT_BYTES], int64_t now, struct user *out,
                  size_t *shared, char *why, size_t whylen);

/**
 * reset_reshare_draft() - the keyring's user, who can open @m (a memo not yet filed), seals its
 * key again to @to, who drafted it or was invited to co-sign it and not declined, and holds no
 * key for it. With an audit record and a timeline event, in one transaction.
 * Returns 0, or with @why: ERR_STATE (the memo is filed: the officers re-share it), ERR_INVALID
 * (@to is not part of the memo, or already holds its key), ERR_NO_KEYS (not enrolled), ERR_HELD
 * (waiting for the officers' confirmation), ERR_FORBIDDEN (the caller cannot open the memo).
 */
int reset_reshare_draft(struct keyring *kr, struct memo *m, const struct user *to, int64_t now,
                        char *why, size_t whylen);

#endif
