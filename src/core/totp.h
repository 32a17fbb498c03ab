/*
 * totp.h - TOTP two-factor sign-in (RFC 6238 over liboath) and its one-time recovery codes.
 *
 * Codes are what standard authenticator apps make: HMAC-SHA-1, 30-second steps counted from the
 * Unix epoch, 6 digits; a code of the step before or after the current one is accepted too (clock
 * drift), and each account remembers the last step it accepted, so a code (or an older one) is
 * never accepted twice.
 *
 * The 20-byte secret is never stored in the clear: it is sealed (crypto_box_seal) to the
 * account's X25519 public key, whose private half only the password, the recovery key or a live
 * session of that account opens. An administrator's password reset gives the account new keys,
 * so it turns the factor off as well.
 *
 * Recovery codes: STORE_TOTP_CODES random codes of 80 bits, shown once as "xxxx-xxxx-xxxx-xxxx"
 * (lower-case base32), stored as SHA-256 hashes bound to the account; each is good once in place
 * of a TOTP code.
 *
 * The pure functions are thread safe; the flows use the caller's store connection.
 */
#ifndef DISSENT_CORE_TOTP_H
#define DISSENT_CORE_TOTP_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20        /* bytes of secret (RFC 4226's recommended 160 bits) */
#define TOTP_SECRET_B32_LEN 32    /* its base32 form, without NUL */
#define TOTP_STEP 30              /* seconds per time step */
#define TOTP_DIGITS 6             /* digits of a code */
#define TOTP_WINDOW 1             /* steps accepted either side of the current one */
#define TOTP_URI_MAX 256          /* an otpauth:// URI, NUL included */
#define TOTP_RECOVERY_TEXT_LEN 19 /* "xxxx-xxxx-xxxx-xxxx", without NUL */
#define TOTP_ISSUER "Dissent"

struct user_keys;

/**
 * totp_code() - the RFC 6238 code (HMAC-SHA-1, 30 s steps from 0) for unix time @t and @digits
 * (6 to 8) into @out (@digits + 1 bytes). Returns 0 or ERR_INVALID / ERR_CRYPTO.
 */
int totp_code(const uint8_t *secret, size_t len, int64_t t, unsigned digits, char *out);

/**
 * totp_check() - whether @code (exactly TOTP_DIGITS ASCII digits) is the code of a step within
 * TOTP_WINDOW of @now's and later than @after (the last step accepted). Every candidate is
 * compared in constant time. Returns 0 with the matching step in *@step, or ERR_CRYPTO (wrong,
 * malformed, or replayed).
 */
__attribute__((warn_unused_result)) int totp_check(const uint8_t secret[TOTP_SECRET_LEN],
                                                   int64_t now, const char *code, int64_t after,
                                                   int64_t *step);

/** totp_base32() - @secret in base32 (RFC 4648, no padding) into @out (33 bytes). */
int totp_base32(const uint8_t secret[TOTP_SECRET_LEN], char out[TOTP_SECRET_B32_LEN + 1]);

/**
 * totp_uri() - "otpauth://totp/Dissent:USER?secret=...&issuer=Dissent&algorithm=SHA1&digits=6
 * &period=30" into @out (TOTP_URI_MAX bytes). @username is [a-z0-9._-] (nothing to escape).
 */
int totp_uri(const char *username, const char b32[TOTP_SECRET_B32_LEN + 1], char out[TOTP_URI_MAX]);

/**
 * totp_enrol() - start (or restart) enrolment for @u: a fresh secret sealed to @u's public key
 * and stored as a pending factor; the secret is copied to @secret for showing (caller wipes).
 * Returns 0, ERR_EXISTS (the factor is already on: turn it off first), ERR_NOT_FOUND (the
 * account has no keys yet) or a store error.
 */
int totp_enrol(struct store *st, const struct user *u, int64_t now,
               uint8_t secret[TOTP_SECRET_LEN]);

/**
 * totp_secret_open() - open @t's sealed secret with @k (the account's keys) into @secret.
 * Returns 0 or ERR_CRYPTO.
 */
__attribute__((warn_unused_result)) int totp_secret_open(const struct user_totp *t,
                                                         const struct user_keys *k,
                                                         uint8_t secret[TOTP_SECRET_LEN]);

/**
 * totp_confirm() - turn on @u's pending factor with a first @code, and issue its recovery codes
 * into @codes (shown once; caller wipes). Returns 0, ERR_NOT_FOUND (no enrolment started),
 * ERR_STATE (already on), ERR_CRYPTO (wrong code), ERR_CONFLICT (a simultaneous request won) or
 * a store error.
 */
int totp_confirm(struct store *st, const struct user *u, const struct user_keys *k,
                 const char *code, int64_t now,
                 char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1]);

/**
 * totp_recovery_issue() - fresh recovery codes: text into @codes, their hashes into @t (not
 * stored).
 */
void totp_recovery_issue(struct user_totp *t,
                         char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1]);

/** totp_recovery_left() - how many of @t's recovery codes are unused. */
int totp_recovery_left(const struct user_totp *t);

/**
 * totp_verify() - check a second factor against @t (enabled) in memory: a TOTP @code (opened
 * with @k, later than the last accepted step: its step is recorded in @t) or, when @code is
 * NULL, a @recovery code (crossed out in @t). Nothing is stored: the caller writes @t with
 * store_totp_update(), whose version check refuses a second use of the same code. Returns 0 or
 * ERR_CRYPTO (wrong, malformed or replayed; @t unchanged).
 */
__attribute__((warn_unused_result)) int totp_verify(struct user_totp *t, const struct user_keys *k,
                                                    const char *code, const char *recovery,
                                                    int64_t now);

/**
 * totp_required_roles() - the roles that must use a second factor: @csv ("officer, principal",
 * "none"), or when it is empty the default of the deadline @preset (state-dept: officer,
 * principal, admin; others: none), into *@out. A role written "role:passkey" must use a
 * passkey (phishing-resistant: core/passkey.h), not TOTP: those roles also go into *@passkey
 * (may be NULL, then that form is refused). Returns 0 or ERR_INVALID.
 */
int totp_required_roles(const char *csv, const char *preset, unsigned *out, unsigned *passkey);

#endif
