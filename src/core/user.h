/*
 * user.h - accounts: roles, field rules, key wrapping, password changes, the first admin.
 *
 * Accounts that hold content are created by core/enrol.h, keys and password chosen by the user.
 *
 * Pure validation plus thin flows over the store. Password hashing is slow (Argon2id): the
 * functions that hash say so and must not run on an event-loop thread.
 */
#ifndef DISSENT_CORE_USER_H
#define DISSENT_CORE_USER_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum role {
    ROLE_STAFF = 1u << 0,     /* drafts, signs, files */
    ROLE_OFFICER = 1u << 1,   /* runs the channel */
    ROLE_PRINCIPAL = 1u << 2, /* senior recipient */
    ROLE_AUDITOR = 1u << 3,   /* statistics and the log, never content */
    ROLE_ADMIN = 1u << 4,     /* accounts and settings, never content */
    ROLE_HEAD = 1u << 5,      /* the channel's head (the S/P Director): an officer who approves
                                 replies and long extensions; only with the officer role */
    ROLE_RECORDS = 1u << 6,   /* the records officer: legal holds and the retention schedule,
                                 never content nor names (core/records.h) */
};
#define ROLE_ALL 0x7fu
#define ROLE_COUNT 7
#define ROLE_CONTENT                                                                               \
    (ROLE_STAFF | ROLE_OFFICER | ROLE_PRINCIPAL | ROLE_HEAD)     /* may hold memo keys */
#define ROLE_OPERATOR (ROLE_ADMIN | ROLE_AUDITOR | ROLE_RECORDS) /* run or watch the system */

#define USER_KEY_OPS_MAX 64                         /* the largest [security] argon2_ops */
#define USER_KEY_MEM_MAX (4ll * 1024 * 1024 * 1024) /* the largest argon2_mem_kib, in bytes */

/* Argon2id cost parameters, from the configuration. */
struct pw_params {
    uint64_t ops; /* opslimit */
    uint64_t mem; /* memlimit, bytes */
};

/** user_role_name() - "staff", "officer", ... for one role bit; NULL for anything else. */
const char *user_role_name(unsigned bit);

/**
 * user_roles_parse() - a comma-separated list of role names ("staff,officer") into a bit set.
 * Empty lists, unknown names and duplicates are ERR_INVALID.
 */
int user_roles_parse(const char *csv, unsigned *out);

/**
 * user_roles_valid() - a non-empty set of roles in which no operator role (admin, auditor) is
 * combined with a content role (staff, officer, principal): those who run the system never
 * learn what it holds.
 */
bool user_roles_valid(unsigned roles);

/** user_username_valid() - 1-64 characters of [a-z0-9._-]. */
bool user_username_valid(const char *name);

/** user_display_name_valid() - valid UTF-8, at most 128 bytes, no control characters. */
bool user_display_name_valid(const char *s);

/** user_email_valid() - empty, or an address str_email_valid() accepts (the one rule). */
bool user_email_valid(const char *s);

/** user_password_valid() - 8 to 1024 bytes of valid UTF-8. */
bool user_password_valid(const char *pw, size_t len);

/**
 * user_prepare() - validate the fields of a new account into @u (zeroed first; no password, no
 * keys, not stored). Returns 0, ERR_INVALID or ERR_FORBIDDEN (roles user_roles_valid() refuses),
 * with the offending field named in @err.
 */
int user_prepare(struct user *u, const char *username, unsigned roles, const char *display_name,
                 const char *email, int64_t now, char *err, size_t errlen);

/**
 * user_roles_log() - the transparency-log entries for @u's roles changing from @before to
 * @after: officer-added, officer-removed, principal-added, principal-removed, head-added,
 * head-removed (core/ledger.h).
 * Inside the caller's transaction, with the change itself.
 */
int user_roles_log(struct store *st, const struct user *u, unsigned before, unsigned after,
                   int64_t now);

/**
 * user_channel_roles_log() - user_roles_log() for @u's roles and channels changing from
 * @roles_before of @channels_before to @roles_after of @channels_after: an officer, principal
 * or head role is of each of the account's channels (core/channels.h), one entry per role and
 * channel gained or lost, those of channel 2 and later with its "channel" line.
 */
int user_channel_roles_log(struct store *st, const struct user *u, unsigned roles_before,
                           uint64_t channels_before, unsigned roles_after, uint64_t channels_after,
                           int64_t now);

/**
 * user_create_logged() - store the new account @u (its id set) and log its officer and
 * principal roles, in one transaction. ERR_EXISTS for a taken username.
 */
int user_create_logged(struct store *st, struct user *u, int64_t now);

/**
 * user_create_enrolled() - user_prepare() plus a password chosen by the caller and fresh key
 * pairs sealed under it, stored. Only for accounts whose password nobody else chose: the first
 * administrator (a random password the server prints) and tests. Administrators create accounts
 * with enrol_create() (core/enrol.h), and the user chooses the password. SLOW (two Argon2id).
 * Returns 0, ERR_INVALID, ERR_FORBIDDEN, ERR_EXISTS, or a store error.
 */
int user_create_enrolled(struct store *st, const struct pw_params *pp, const char *username,
                         unsigned roles, const char *display_name, const char *email,
                         const char *pw, size_t pwlen, int64_t now, struct user *out, char *err,
                         size_t errlen);

struct user_keys;

/**
 * user_keys_seal() - wrap @k under a key derived from @pw and a new salt with the cost @pp, into
 * @u's key fields and its recorded cost (not stored: the caller writes them). SLOW. Returns 0
 * or ERR_NOMEM.
 */
int user_keys_seal(struct user *u, const struct user_keys *k, const struct pw_params *pp,
                   const char *pw, size_t pwlen);

/**
 * user_keys_outdated() - @u's keys were wrapped with another Argon2id cost than @pp: re-seal
 * them at the next sign-in, when the password is at hand. Pure.
 */
bool user_keys_outdated(const struct user *u, const struct pw_params *pp);

/**
 * user_keys_open() - unwrap @u's private keys with @pw into @k (from keys_new()), with the cost
 * they were wrapped with (@pp only for rows that predate recording it). SLOW.
 * Returns 0, ERR_NOT_FOUND (the account has no keys yet) or ERR_CRYPTO (wrong password).
 */
int user_keys_open(const struct user *u, const struct pw_params *pp, const char *pw, size_t pwlen,
                   struct user_keys *k);

#define USER_RECOVERY_TEXT_LEN 71 /* 8 groups of 8 hex digits joined by '-', without NUL */

/**
 * user_recovery_issue() - a new recovery key for @u: 32 random bytes shown to the user once as
 * text (@text, USER_RECOVERY_TEXT_LEN + 1 bytes), and @k's private keys wrapped under a key
 * derived from it into @u->recovery_wrapped, issued at @now (not stored: the caller updates the
 * user). The previous recovery key stops working once it is stored.
 */
void user_recovery_issue(struct user *u, const struct user_keys *k, int64_t now,
                         char text[USER_RECOVERY_TEXT_LEN + 1]);

/**
 * user_recovery_open() - unwrap @u's private keys with the recovery key @text (dashes, spaces
 * and case ignored) into @k. Returns 0, ERR_NOT_FOUND (no recovery key was issued) or
 * ERR_CRYPTO (wrong key).
 */
int user_recovery_open(const struct user *u, const char *text, struct user_keys *k);

/**
 * user_change_password() - the user's own change (or a reset with the recovery key): @k (their
 * unwrapped keys) sealed under the new password, a new password hash, and a new recovery key
 * into @recovery (the old one stops working). Not stored. SLOW.
 * Returns 0, ERR_INVALID (password rules) or ERR_NOMEM.
 */
int user_change_password(struct user *u, const struct user_keys *k, const struct pw_params *pp,
                         const char *pw, size_t pwlen, int64_t now,
                         char recovery[USER_RECOVERY_TEXT_LEN + 1]);

/**
 * user_disable() - mark @username disabled and end all its sessions.
 * Returns 0, ERR_NOT_FOUND, ERR_STATE (the last active holder of the channel key) or a store
 * error.
 */
int user_disable(struct store *st, const char *username, int64_t now);

#define USER_SEARCH_MAX 20 /* most matches user_search() returns */

/**
 * user_search() - active accounts holding @role (0: any) whose username starts with @q or whose
 * display name contains it (ASCII case ignored), by username, at most @limit (<=
 * USER_SEARCH_MAX). For finding colleagues to invite: names only, no other field is meant to
 * leave. *@out is malloc'd (mem_free()). Scans the accounts page by page.
 */
int user_search(struct store *st, const char *q, unsigned role, int limit, struct user **out,
                size_t *count);

/**
 * user_ensure_admin() - on an empty database, create the account "admin" (role admin) with a
 * random password written to @pw (at least 21 bytes); *@created tells whether it happened. SLOW.
 */
int user_ensure_admin(struct store *st, const struct pw_params *pp, int64_t now, char *pw,
                      size_t pwlen, bool *created);

#endif
