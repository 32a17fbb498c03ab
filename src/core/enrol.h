/*
 * enrol.h - keys born with their user: enrolment codes, enrolment, an administrator's reset, and
 * re-keying the accounts whose keys an administrator's password once wrapped.
 *
 * An administrator creates an account without a password and without keys, together with a
 * one-time enrolment code (128 random bits, shown once, stored only as its SHA-256, valid for
 * a configured time). The user proves the code and chooses their own password: their key pairs
 * and their recovery key are created then, in one transaction, and the recovery key is shown
 * to them alone. Nothing is sealed to an account before it has enrolled.
 *
 * An administrator's reset is a re-enrolment: the account's keys, memo keys, channel grant,
 * sessions and second factor are revoked and a new code is issued. The administrator never
 * knows a password that opens anything.
 *
 * Accounts made before enrolment existed had keys wrapped under a password an administrator
 * chose: they carry STORE_USER_REKEY. Such an account signs in only to choose a new password
 * (the API's route table enforces it), and that change gives it new key pairs under the new
 * password (enrol_change_password(), enrol_rekey()), every memo key, channel grant and TOTP
 * secret re-sealed to the new ones.
 */
#ifndef DISSENT_CORE_ENROL_H
#define DISSENT_CORE_ENROL_H

#include "core/session.h"
#include "core/user.h"
#include "store/store.h"

#include <stdint.h>

#define ENROL_CODE_BYTES 16    /* 128 bits */
#define ENROL_CODE_TEXT_LEN 35 /* 4 groups of 8 hex digits joined by '-', without NUL */
#define ENROL_TTL_DEFAULT (7 * 86400)

/**
 * enrol_code_issue() - a new enrolment code for @u, valid until @now + @ttl: its text into
 * @code (ENROL_CODE_TEXT_LEN + 1 bytes), its hash and expiry into @u (not stored). A code
 * issued before stops working once @u is stored.
 */
void enrol_code_issue(struct user *u, int64_t now, int64_t ttl, char code[ENROL_CODE_TEXT_LEN + 1]);

/**
 * enrol_code_matches() - @code (dashes, spaces and case ignored) is @u's outstanding code and
 * has not expired at @now. Compared in constant time.
 */
bool enrol_code_matches(const struct user *u, const char *code, int64_t now);

/**
 * enrol_create() - an administrator's new account: validated like user_prepare(), no password,
 * no keys, and an enrolment code valid for @ttl seconds into @code; its officer, head and
 * principal roles of the @channels (core/channels.h; 0: channel 1). Stored.
 * Returns 0, ERR_INVALID or ERR_FORBIDDEN (field named in @err), ERR_EXISTS, or a store error.
 */
int enrol_create(struct store *st, const char *username, unsigned roles, uint64_t channels,
                 const char *display_name, const char *email, int64_t now, int64_t ttl,
                 struct user *out, char code[ENROL_CODE_TEXT_LEN + 1], char *err, size_t errlen);

/**
 * enrol_account() - the user's enrolment: @code proves who they are, @pw becomes their
 * password, and fresh key pairs sealed under it and a recovery key (into @recovery, shown once)
 * are stored in one transaction; the code is spent. Throttled like a sign-in (@addr, the
 * username), and a wrong code counts as a failed attempt. SLOW (two Argon2id runs).
 * An officer's enrolment makes the key of each of its channels that has none yet and grants it
 * to them (access_channel_setup(): a channel's first officer's enrolment is where its key is
 * born).
 * Returns 0, ERR_INVALID (password rules), ERR_RATE (*@retry_after set), ERR_UNAUTH (unknown
 * account, disabled, no code outstanding, wrong or expired code: one answer for all), or a store
 * error.
 */
int enrol_account(struct store *st, const struct session_policy *p, const char *username,
                  const char *code, const char *pw, size_t pwlen, const char *addr, int64_t now,
                  int64_t *retry_after, struct user *out,
                  char recovery[USER_RECOVERY_TEXT_LEN + 1]);

/**
 * enrol_account_sso() - enrolment of @u, an account the OpenID provider vouched for (core/oidc.h):
 * no code, @pw becomes its key passphrase (its local password, which the provider never sees),
 * otherwise as enrol_account().
 */
int enrol_account_sso(struct store *st, const struct session_policy *p, const struct user *u,
                      const char *pw, size_t pwlen, const char *addr, int64_t now,
                      int64_t *retry_after, struct user *out,
                      char recovery[USER_RECOVERY_TEXT_LEN + 1]);

/**
 * enrol_reset() - an administrator's reset of @username: password, key pairs, recovery key,
 * memo keys, channel grant, sessions and second factor are revoked, a new code valid for
 * [security] enrolment_ttl goes into @code, and the account is marked STORE_USER_RESET (and
 * STORE_USER_HELD while [security] reset_confirmations is not 0: core/reset.h), with reset_at
 * @now. An account that never enrolled (no keys, never reset) only gets a new code: nothing was
 * ever sealed to it, so nothing is revoked, held or logged (the directory's new accounts get
 * their first code this way). In the same transaction: the transparency-log entries (reset, and
 * channel-revoked for a holder of the channel key) and the email telling the user (core/notify.h).
 * Returns 0, ERR_NOT_FOUND, ERR_FORBIDDEN (an operator account: it holds no content and is reset
 * with `dissent user passwd` on the server), ERR_STATE (it is the last active holder of the
 * channel key, whose loss would leave filed memos unreadable), or a store error.
 */
struct channel;
int enrol_reset(struct store *st, const struct channel *ch, const char *username, int64_t now,
                struct user *out, char code[ENROL_CODE_TEXT_LEN + 1]);

/**
 * enrol_rekey() - inside the caller's transaction, re-seal to @nk everything sealed to @old (the
 * account @u's memo keys, and the TOTP secret in @t when @t is not NULL; the caller stores @t).
 * @u's new key fields must already hold @nk (user_keys_seal()). For each channel whose key @u
 * holds, whoever knew the administrator's password could have kept it: a new key pair replaces
 * it, every key of the channel's memos sealed to the channel is re-sealed to it, and its private
 * half is sealed to every other holder whose keys their user chose; holders still waiting to
 * re-key, and @u itself (whoever re-keyed may be that administrator), lose their grants
 * (logged) until an officer grants the new key again. Only when no other holder of the channel
 * is left does @u keep it.
 * Returns 0, ERR_CRYPTO (something sealed to the account does not open with @old), or a store
 * error.
 */
int enrol_rekey(struct store *st, const struct user *u, const struct user_keys *old,
                const struct user_keys *nk, struct user_totp *t, int64_t now);

/**
 * enrol_change_password() - a user's own password change, in one transaction with the end of
 * every session of the account. @old holds the keys the current password opened. Normally
 * user_change_password() (the same keys, a new wrap and a new recovery key). For an account
 * flagged STORE_USER_REKEY (keys an administrator's password once wrapped): new key pairs
 * sealed under the new password, with every memo key, the channel grant and any TOTP secret
 * re-sealed from @old to them (enrol_rekey()), and the flag cleared. @recovery receives the new
 * recovery key; *@rekeyed says which happened. SLOW. Returns 0, ERR_INVALID (password rules),
 * ERR_CONFLICT (the account changed meanwhile) or a store error.
 */
int enrol_change_password(struct store *st, const struct pw_params *pp, struct user *u,
                          const struct user_keys *old, const char *pw, size_t pwlen, int64_t now,
                          char recovery[USER_RECOVERY_TEXT_LEN + 1], bool *rekeyed);

/**
 * enrol_account_set() - set @u's roles to @roles and whether it is disabled (what an OpenID
 * provider's groups or the directory say), in one transaction (the caller's, when one is open;
 * it then rolls back on failure): the account (its version must be
 * current), the log entries of its roles, its sessions ended when it is disabled, and its
 * channel grants revoked when it stops being an officer or is disabled. ERR_STATE, with nothing
 * changed, when that would leave a channel's key with no active officer holding it; ERR_INVALID for
 * roles that are not valid together (user_roles_valid(), a head without officer) or that move
 * the account between operator and content roles. Nothing to change is 0 with no write.
 */
int enrol_account_set(struct store *st, struct user *u, unsigned roles, bool disabled, int64_t now);

/**
 * enrol_channels_set() - set @u's channels (core/channels.h: bit N-1 for channel N; not 0),
 * what a directory group gives (core/directory.h): its grants of the channels it leaves are
 * revoked (logged). ERR_STATE, with nothing changed, when it holds the key of a channel it
 * leaves and no other active officer of that channel does; ERR_INVALID for an empty set. In the
 * caller's transaction, or its own. Nothing to change is 0 with no write.
 */
int enrol_channels_set(struct store *st, struct user *u, uint64_t channels, int64_t now);

/**
 * enrol_channel_holders() - the set of channels (bit N-1 for channel N) whose key an active
 * officer of the channel other than @except holds.
 */
int enrol_channel_holders(struct store *st, int64_t except, uint64_t *held);

/**
 * enrol_sole_holder() - *@sole: the channels among @dropping whose key @u holds and no other
 * active officer of the channel does (0: none). Read in the caller's transaction, where writers
 * are serialised, so that two such changes at once cannot both pass.
 */
int enrol_sole_holder(struct store *st, const struct user *u, uint64_t dropping, uint64_t *sole);

#endif
