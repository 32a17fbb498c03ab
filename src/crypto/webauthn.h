/*
 * webauthn.h - the Relying Party's checks of WebAuthn Level 2 ceremonies (passkeys), over Debian's
 * libfido2 (authenticator data, COSE keys, ES256 and EdDSA signatures) and libcbor (the
 * attestation object): no CBOR parser or curve code of our own.
 *
 * Registration (navigator.credentials.create): the client data must say "webauthn.create", carry
 * the challenge the server issued and come from the expected origin; the attestation object's
 * authenticator data must hash the RP ID, have the user present (and verified, when required) and
 * carry the new credential: its id and its public key, ES256 (P-256) or EdDSA (Ed25519).
 * Attestation statements are not verified: the server asks for none ("attestation": "none"), and
 * what vouches for the credential is the signed-in session that registers it.
 *
 * Authentication (navigator.credentials.get): the client data says "webauthn.get", with the
 * challenge and the origin; the signature over authenticatorData || SHA-256(clientDataJSON)
 * verifies under the stored key; the RP ID hash and flags are checked as above. The signature
 * counter is returned for the caller's clone check (webauthn_counter_ok()).
 *
 * Pure functions, thread safe, no global state. Errors: ERR_INVALID (malformed input) or
 * ERR_CRYPTO (a check failed), with the reason in @why; ERR_NOMEM.
 */
#ifndef DISSENT_CRYPTO_WEBAUTHN_H
#define DISSENT_CRYPTO_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBAUTHN_ES256 (-7)           /* COSE algorithm: ECDSA P-256 with SHA-256 */
#define WEBAUTHN_EDDSA (-8)           /* COSE algorithm: Ed25519 */
#define WEBAUTHN_CRED_ID_MAX 1023     /* bytes of a credential id (the spec's limit) */
#define WEBAUTHN_PK_MAX 64            /* bytes of a public key: x || y for ES256, 32 for EdDSA */
#define WEBAUTHN_CHALLENGE_LEN 32     /* bytes of the challenges the server issues */
#define WEBAUTHN_CLIENT_DATA_MAX 4096 /* bytes of clientDataJSON accepted */
#define WEBAUTHN_AUTHDATA_MAX 4096    /* bytes of authenticator data accepted */
#define WEBAUTHN_ATTOBJ_MAX 16384     /* bytes of an attestation object accepted */
#define WEBAUTHN_SIG_MAX 128          /* bytes of a signature (DER ECDSA <= 72, Ed25519 64) */

/* Authenticator data flags. */
#define WEBAUTHN_UP 0x01 /* user present */
#define WEBAUTHN_UV 0x04 /* user verified */
#define WEBAUTHN_BE 0x08 /* backup eligible (a synced passkey) */
#define WEBAUTHN_BS 0x10 /* backed up */
#define WEBAUTHN_AT 0x40 /* attested credential data included */
#define WEBAUTHN_ED 0x80 /* extension data included */

/* What a ceremony must match. */
struct webauthn_expect {
    const uint8_t *challenge; /* the challenge issued (WEBAUTHN_CHALLENGE_LEN bytes) */
    const char *origin;       /* the exact origin ("https://dissent.example.org") */
    const char *rp_id;        /* the RP ID ("dissent.example.org") */
    bool require_uv;          /* user verification required */
};

/* A credential as registered. */
struct webauthn_cred {
    int alg; /* WEBAUTHN_ES256 or WEBAUTHN_EDDSA */
    uint8_t id[WEBAUTHN_CRED_ID_MAX];
    size_t id_len;
    uint8_t pk[WEBAUTHN_PK_MAX];
    size_t pk_len;
    uint32_t sign_count;
    uint8_t flags; /* WEBAUTHN_* of the registration's authenticator data */
};

/**
 * webauthn_register() - check a registration: @cdj (clientDataJSON, @cdj_len bytes) and the
 * attestation object @att (@att_len bytes), against @e; the new credential into *@out.
 */
int webauthn_register(const char *cdj, size_t cdj_len, const uint8_t *att, size_t att_len,
                      const struct webauthn_expect *e, struct webauthn_cred *out, char *why,
                      size_t whylen);

/**
 * webauthn_assert() - check an authentication: @cdj, the authenticator data @ad and the
 * signature @sig, against @e and the stored key (@alg, @pk, @pk_len). *@sign_count and *@flags
 * receive the authenticator data's counter and flags.
 */
int webauthn_assert(const char *cdj, size_t cdj_len, const uint8_t *ad, size_t ad_len,
                    const uint8_t *sig, size_t sig_len, const struct webauthn_expect *e, int alg,
                    const uint8_t *pk, size_t pk_len, uint32_t *sign_count, uint8_t *flags,
                    char *why, size_t whylen);

/**
 * webauthn_counter_ok() - whether a signature counter @now may follow @stored: an authenticator
 * that counts must count up; one that keeps 0 (many synced passkeys) never counts. A counter
 * that goes back, or stands still above 0, is the sign of a cloned authenticator.
 */
bool webauthn_counter_ok(uint32_t stored, uint32_t now);

#endif
