/*
 * session.h - logging in, looking a session up, logging out.
 *
 * A session token is 32 random bytes, base64url (43 characters), handed to the client in a cookie;
 * the store keeps only its SHA-256, so a stolen database holds no usable session.
 * Sessions end after @idle seconds without use or @lifetime seconds after login, whichever first.
 */
#ifndef DISSENT_CORE_SESSION_H
#define DISSENT_CORE_SESSION_H

#include "core/user.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define SESSION_TOKEN_LEN 43   /* characters, without NUL */
#define SESSION_TOUCH_EVERY 60 /* seconds: last_seen is written at most this often */

/* Everything session_login() and session_lookup() need from the configuration. */
struct session_policy {
    int idle;                 /* seconds */
    int lifetime;             /* seconds */
    int max_failures;         /* failed attempts per username within the window before each further
                                 one waits (an address gets SESSION_ADDRESS_FACTOR times as many) */
    int window;               /* seconds */
    struct pw_params pw;      /* Argon2id cost, for the dummy verification */
    unsigned require_passkey; /* roles whose second factor must be a passkey ([security]
                                 require_2fa "role:passkey") */
    bool passwordless;        /* a passkey that unlocks the keys signs in alone ([security]
                                 passwordless) */
    bool sso_passwords;       /* an account linked to the OpenID provider may sign in without
                                 it, with its password ([oidc] passwords, or no [oidc]) */
};

#define SESSION_ADDRESS_FACTOR                                                                     \
    4 /* an address (an office behind one proxy) fails this many times                             \
         more often than one username before it waits */

/**
 * session_attempt() - reserve one attempt at a secret of @username (a password, a TOTP or
 * recovery code, a recovery or enrolment key) from @addr. In one transaction: ERR_RATE (with
 * *@retry_after) while the backoff of the username or of the address runs (core/ratelimit.h);
 * otherwise the attempt is counted as a failure of both before anything is checked, so that
 * attempts sent in parallel are all counted (no check-then-act race). A wrong secret then stays
 * counted; a right one calls session_attempt_ok(). Every secret the server checks goes through
 * here: sign-in, enrolment, recovery, the password of a password change or a TOTP set-up, and
 * TOTP codes sent from a session.
 */
int session_attempt(struct store *st, const struct session_policy *p, const char *username,
                    const char *addr, int64_t now, int64_t *retry_after);

/**
 * session_attempt_ok() - the attempt session_attempt() reserved at @now proved right: the
 * username's failures are forgotten and the address's reserved one is taken back (an address's
 * other failures stay: they may be someone else's guesses).
 */
int session_attempt_ok(struct store *st, const char *username, const char *addr, int64_t now);

/**
 * session_password_check() - @pw against the signed-in @u's password, as an attempt of
 * session_attempt(). SLOW (Argon2id). Returns 0, ERR_RATE (*@retry_after set), ERR_UNAUTH (wrong,
 * counted) or a store error.
 */
int session_password_check(struct store *st, const struct session_policy *p, const struct user *u,
                           const char *pw, size_t pwlen, const char *addr, int64_t now,
                           int64_t *retry_after);

/** session_expired() - true when @s is past its idle or absolute limit at @now. Pure. */
bool session_expired(const struct session *s, const struct session_policy *p, int64_t now);

/**
 * session_touch_every() - how often, at most, a session's last use is written: a quarter of
 * @p->idle, at most SESSION_TOUCH_EVERY and at least 1 second, so that a session in use never
 * ends for want of a write however short the idle timeout. Pure.
 */
int64_t session_touch_every(const struct session_policy *p);

/**
 * session_expires_at() - the unix second from which session_expired() holds for @s if it is not
 * used again: the earlier of its last recorded use plus @p->idle and its start plus
 * @p->lifetime. Its last use is recorded at most every session_touch_every() seconds, so this
 * may lie up to that much before "now + idle" even right after a request. Pure.
 */
int64_t session_expires_at(const struct session *s, const struct session_policy *p);

/* A second factor for session_login(): what the client sent, and what became of it. */
enum session_factor_result {
    SESSION_FACTOR_NONE = 0, /* the account has no second factor (or the password was wrong) */
    SESSION_FACTOR_OK,       /* a code was needed and accepted */
    SESSION_FACTOR_REQUIRED, /* a code was needed and none was sent */
    SESSION_FACTOR_INVALID,  /* the code was wrong, malformed or already used */
    SESSION_FACTOR_PASSKEY_REQUIRED, /* a passkey was needed and none answered */
    SESSION_FACTOR_PASSKEY_INVALID,  /* the passkey's answer failed (@why says which check) */
    SESSION_FACTOR_PASSKEY_NO_KEYS,  /* alone, it signed in an account but cannot unlock its keys */
    SESSION_FACTOR_SSO_REQUIRED,     /* the account signs in through the OpenID provider */
};

struct passkey_assertion;
struct passkey_rp;

struct session_factor {
    const char *totp;          /* a TOTP code, or NULL */
    const char *recovery_code; /* a recovery code (used when @totp is NULL), or NULL */
    const struct passkey_assertion *passkey; /* a passkey's answer (core/passkey.h), or NULL */
    const struct passkey_rp *rp;             /* where it was made, with @passkey */
    enum session_factor_result result;       /* out */
    bool used_recovery;                      /* out: a recovery code was spent */
    int recovery_left;                       /* out: recovery codes still unused after it */
    bool has_totp, has_passkeys; /* out: the account's factors (once the password was right) */
    bool used_passkey;           /* out: a passkey signed in */
    char why[200];               /* out: why a passkey's answer was refused */
};

/* One sign-in: what the client sent, and what came of it. */
struct session_signin {
    const char *username;          /* in; NULL for a passkey alone (@pw NULL too) */
    const char *pw;                /* in: the password, @pwlen bytes; NULL: a passkey alone */
    size_t pwlen;                  /* in */
    const char *addr;              /* in: the client's address, throttled like the username */
    int64_t now;                   /* in */
    int64_t sso_user;              /* in: the account the OpenID provider vouched for (core/oidc.h:
                                      @username must be its name), or 0 */
    struct session_factor *factor; /* in/out: the second factor sent, or NULL for none */
    char *recovery; /* NULL, or USER_RECOVERY_TEXT_LEN + 1 bytes that receive a newly issued
                       recovery key (the account's first sign-in), to be shown once; "" when
                       none was issued */
    char token[SESSION_TOKEN_LEN + 1]; /* out: the new bearer token */
    struct user user;                  /* out: the account */
    int64_t retry_after;               /* out, with ERR_RATE */
};

/**
 * session_login() - check @in's password and open a session holding the user's private keys,
 * re-wrapped under a key only the new token gives. SLOW (two Argon2id runs). Once the password
 * is right (never before, so whether a second factor is on does not leak), an account with TOTP
 * on (core/totp.h) also needs @in->factor's code: a missing or wrong one is ERR_UNAUTH with
 * @in->factor->result saying which (no @in->factor: none was sent), and counts as a failed
 * sign-in for the throttle. The accepted code's step (or the spent recovery code) is stored in
 * the sign-in's transaction: the same code never signs in twice.
 * Passkeys (core/passkey.h): an account with passkeys and no TOTP, or whose role must use one,
 * needs a passkey's answer (SESSION_FACTOR_PASSKEY_REQUIRED); one with both may answer either;
 * a passkey's answer is checked before TOTP is even asked for. With @in->pw NULL and
 * @p->passwordless, a passkey alone signs in the account it belongs to, when its PRF output
 * unlocks the keys (SESSION_FACTOR_PASSKEY_NO_KEYS otherwise); the throttle then counts the
 * credential and the address.
 * Single sign-on (core/oidc.h): with @in->sso_user, the provider vouched for the account; the
 * password (its key passphrase) or a passkey alone that unlocks its keys (whatever
 * @p->passwordless says; it must be that account's) opens the session, with the second factor its
 * role needs as above. Without it, an account linked to the provider is refused after the right
 * password, or a passkey alone that unlocks its keys (SESSION_FACTOR_SSO_REQUIRED), unless
 * @p->sso_passwords.
 * Returns 0, ERR_UNAUTH (unknown user, wrong password or disabled: one answer for all; or the
 * second factor), ERR_RATE (throttled; nothing was checked), ERR_INVALID (a passkey alone where
 * the configuration does not allow it), or a store error.
 */
int session_login(struct store *st, const struct session_policy *p, struct session_signin *in);

/**
 * session_lookup() - the live session for @token and its account.
 * Returns 0, or ERR_UNAUTH when the token is malformed, unknown, expired (then deleted) or its
 * account is disabled.
 */
int session_lookup(struct store *st, const struct session_policy *p, const char *token, int64_t now,
                   struct session *s, struct user *user);

struct user_keys;

/**
 * session_keys_open() - the signed-in user's private keys, unwrapped from the session with the
 * client's @token. *@out is the caller's: free with keys_free() as soon as it is used.
 * Returns 0, ERR_NOT_FOUND (the session holds no keys) or ERR_CRYPTO.
 */
int session_keys_open(const struct session *s, const char *token, const struct user *u,
                      struct user_keys **out);

/** session_logout() - delete the session for @token, if any. */
int session_logout(struct store *st, const char *token);

/** session_token_hash() - SHA-256 of a token string. ERR_INVALID if not a well-formed token. */
int session_token_hash(const char *token, uint8_t hash[HASH_SHA256_LEN]);

#endif
