/*
 * passkey.h - passkeys (WebAuthn Level 2): registered by a signed-in account, used to sign in as
 * the second factor after the password, or alone when the configuration allows it and the
 * passkey can unlock the account's keys.
 *
 * Ceremonies. The server issues a random challenge (PASSKEY_CHALLENGE_TTL seconds, stored by its
 * SHA-256 and consumed once: store_challenge_take()), the browser has the authenticator sign it,
 * and crypto/webauthn.h checks the answer against the Relying Party: the origin ([server]
 * origin, or the one the request came from on a loopback server) and the RP ID (its host).
 * User verification (a PIN or biometrics) is always required. The signature counter must
 * count up (webauthn_counter_ok()): one that goes back is a cloned authenticator, refused.
 *
 * Unlocking keys (the PRF extension). An account's private keys are wrapped under a KEK from
 * its password (core/user.h). When the browser evaluates the passkey's PRF over the salt the
 * server chose at registration, the 32-byte output, sent once over TLS like a password, gives a
 * second KEK: the keys are wrapped under it too, stored with the passkey. A sign-in with that
 * passkey alone then unwraps them, and the user reaches their memos; the output is never
 * stored. Without PRF, a passkey is a second factor only.
 *
 * An administrator's reset deletes the account's passkeys (whoever enrols next registers their
 * own). Passkeys never replace the password: it still opens the keys.
 */
#ifndef DISSENT_CORE_PASSKEY_H
#define DISSENT_CORE_PASSKEY_H

#include "crypto/webauthn.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSKEY_CHALLENGE_TTL 300 /* seconds a challenge may be answered in */
#define PASSKEY_PRF_LEN 32        /* bytes of a PRF output */

struct user_keys;

/* Where ceremonies happen: the origin browsers show, and its host (the RP ID). */
struct passkey_rp {
    char origin[600];
    char rp_id[256];
};

/**
 * passkey_rp_init() - the Relying Party of @origin ("https://host[:port]"): its RP ID is the
 * host. ERR_INVALID for anything else (an IP address is no RP ID browsers accept, but it is
 * kept: the ceremony then fails in the browser, with its own message).
 */
int passkey_rp_init(struct passkey_rp *rp, const char *origin);

/**
 * passkey_challenge() - issue a challenge for @purpose (STORE_CHALLENGE_*) and @user_id (0 for a
 * sign-in that does not name its account): its bytes into @out, remembered until now + TTL.
 */
int passkey_challenge(struct store *st, int purpose, int64_t user_id, int64_t now,
                      uint8_t out[WEBAUTHN_CHALLENGE_LEN]);

/* A registration as the browser sent it. */
struct passkey_registration {
    const char *client_data; /* clientDataJSON */
    size_t client_data_len;
    const uint8_t *attestation; /* attestationObject */
    size_t attestation_len;
    const char *name;        /* the owner's name for it (1..64 bytes) */
    const uint8_t *prf;      /* PASSKEY_PRF_LEN bytes evaluated over @prf_salt, or NULL */
    const uint8_t *prf_salt; /* the salt the server sent with the challenge */
};

/**
 * passkey_register() - register @reg for @u, who is signed in with their keys @k (for the PRF
 * wrap; may be NULL when @reg has no PRF output): the challenge in its client data must be one
 * issued to @u for registration, unused and unexpired. *@out receives the new row. ERR_INVALID
 * (malformed, or a bad name), ERR_CRYPTO (a check failed: @why says which), ERR_EXISTS (that
 * credential is registered already), ERR_TOO_LARGE (STORE_PASSKEYS_MAX reached).
 */
int passkey_register(struct store *st, const struct passkey_rp *rp, const struct user *u,
                     const struct user_keys *k, const struct passkey_registration *reg, int64_t now,
                     struct passkey_row *out, char *why, size_t whylen);

/* An authentication as the browser sent it. */
struct passkey_assertion {
    const uint8_t *cred_id; /* the credential's id (rawId) */
    size_t cred_id_len;
    const char *client_data;
    size_t client_data_len;
    const uint8_t *auth_data;
    size_t auth_data_len;
    const uint8_t *sig;
    size_t sig_len;
    const uint8_t *prf; /* PASSKEY_PRF_LEN bytes over the passkey's salt, or NULL */
};

/**
 * passkey_verify() - check @a: a registered credential, a sign-in challenge issued for its
 * account (or for none), unused and unexpired, and the signature; the counter is stored (a
 * clone's is refused: ERR_CRYPTO). @user_id, when not 0, is the account the password named: the
 * passkey must be theirs. *@row receives the passkey. ERR_NOT_FOUND (no such credential),
 * ERR_CRYPTO (@why says which check), ERR_INVALID.
 */
int passkey_verify(struct store *st, const struct passkey_rp *rp, const struct passkey_assertion *a,
                   int64_t user_id, int64_t now, struct passkey_row *row, char *why, size_t whylen);

/**
 * passkey_unwrap() - the keys of @u from @row with the PRF output @prf into *@out (keys_free()).
 * ERR_NOT_FOUND when @row unlocks no keys; ERR_CRYPTO when the output does not open them.
 */
int passkey_unwrap(const struct passkey_row *row, const struct user *u, const uint8_t *prf,
                   struct user_keys **out);

/** passkey_count() - how many passkeys @user_id has. */
int passkey_count(struct store *st, int64_t user_id, size_t *n);

#endif
