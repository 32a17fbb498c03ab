#include "core/passkey.h"

#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int passkey_rp_init(struct passkey_rp *rp, const char *origin)
{
    const char *host, *end;
    size_t n;

    memset(rp, 0, sizeof(*rp));
    if (origin == NULL || strlen(origin) >= sizeof(rp->origin))
        return ERR_INVALID;
    if (strncmp(origin, "https://", 8) == 0)
        host = origin + 8;
    else if (strncmp(origin, "http://", 7) == 0)
        host = origin + 7;
    else
        return ERR_INVALID;
    if (*host == '[') /* an IPv6 literal: [::1]:port */
        end = strchr(host, ']') ? strchr(host, ']') + 1 : NULL;
    else
        end = host + strcspn(host, ":/");
    if (end == NULL || end == host || (n = (size_t)(end - host)) >= sizeof(rp->rp_id))
        return ERR_INVALID;
    str_copy(rp->origin, sizeof(rp->origin), origin);
    memcpy(rp->rp_id, host, n);
    rp->rp_id[n] = '\0';
    return 0;
}

int passkey_challenge(struct store *st, int purpose, int64_t user_id, int64_t now,
                      uint8_t out[WEBAUTHN_CHALLENGE_LEN])
{
    uint8_t hash[HASH_SHA256_LEN];

    random_bytes(out, WEBAUTHN_CHALLENGE_LEN);
    hash_sha256(hash, out, WEBAUTHN_CHALLENGE_LEN);
    return store_challenge_put(st, hash, user_id, purpose, now + PASSKEY_CHALLENGE_TTL, now);
}

/*
 * Take the challenge that @cdj carries (consumed whatever follows: one answer per challenge) into
 * @challenge: ERR_CRYPTO unless it was issued for @purpose and, when @user_id is not 0 or the
 * challenge names an account, for that account. *@owner receives the account it was issued for.
 */
static int take_challenge(struct store *st, const char *cdj, size_t len, int purpose,
                          int64_t user_id, int64_t now, uint8_t challenge[WEBAUTHN_CHALLENGE_LEN],
                          int64_t *owner, char *why, size_t whylen)
{
    uint8_t hash[HASH_SHA256_LEN];
    json_error_t jerr;
    const char *s;
    size_t got = 0;
    int kind = 0, rc;
    json_t *o;

    *owner = 0;
    if (cdj == NULL || len == 0 || len > WEBAUTHN_CLIENT_DATA_MAX ||
        (o = json_loadb(cdj, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
        err_set(why, whylen, "clientDataJSON: not JSON");
        return ERR_INVALID;
    }
    s = json_string_value(json_object_get(o, "challenge"));
    rc = s != NULL &&
                 sodium_base642bin(challenge, WEBAUTHN_CHALLENGE_LEN, s, strlen(s), NULL, &got,
                                   NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                 got == WEBAUTHN_CHALLENGE_LEN
             ? 0
             : ERR_CRYPTO;
    json_decref(o);
    if (rc != 0) {
        err_set(why, whylen, "clientDataJSON: not a challenge this server issues");
        return rc;
    }
    hash_sha256(hash, challenge, WEBAUTHN_CHALLENGE_LEN);
    rc = store_challenge_take(st, hash, now, owner, &kind, NULL);
    if (rc == ERR_NOT_FOUND || (rc == 0 && kind != purpose) ||
        (rc == 0 && *owner != 0 && user_id != 0 && *owner != user_id)) {
        err_set(why, whylen,
                "the challenge is unknown, was answered already, or expired (%d s): start again",
                PASSKEY_CHALLENGE_TTL);
        return ERR_CRYPTO;
    }
    return rc;
}

int passkey_count(struct store *st, int64_t user_id, size_t *n)
{
    struct passkey_row *rows = NULL;
    int rc = store_passkey_list(st, user_id, &rows, n);

    if (rows != NULL)
        wipe(rows, *n * sizeof(*rows));
    mem_free(rows);
    return rc;
}

/* 1..STORE_PASSKEY_NAME_MAX bytes of one line of UTF-8, not only spaces. */
static bool name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > STORE_PASSKEY_NAME_MAX || !str_utf8_valid(name, n) || str_blank(name))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

int passkey_register(struct store *st, const struct passkey_rp *rp, const struct user *u,
                     const struct user_keys *k, const struct passkey_registration *reg, int64_t now,
                     struct passkey_row *out, char *why, size_t whylen)
{
    uint8_t challenge[WEBAUTHN_CHALLENGE_LEN], kek[KEYS_KEK_LEN];
    struct webauthn_expect e = {
        .challenge = challenge, .origin = rp->origin, .rp_id = rp->rp_id, .require_uv = true};
    struct webauthn_cred *c = NULL;
    int64_t owner = 0;
    size_t n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!name_ok(reg->name)) {
        err_set(why, whylen, "name: 1 to %d bytes of text, one line", STORE_PASSKEY_NAME_MAX);
        return ERR_INVALID;
    }
    if (reg->prf != NULL && (k == NULL || reg->prf_salt == NULL)) {
        err_set(why, whylen, "prf: your session holds no keys to wrap: sign in again");
        return ERR_INVALID;
    }
    if ((rc = passkey_count(st, u->id, &n)) != 0)
        return rc;
    if (n >= STORE_PASSKEYS_MAX) {
        err_set(why, whylen, "an account has at most %d passkeys: delete one first",
                STORE_PASSKEYS_MAX);
        return ERR_TOO_LARGE;
    }
    if ((rc = take_challenge(st, reg->client_data, reg->client_data_len, STORE_CHALLENGE_REGISTER,
                             u->id, now, challenge, &owner, why, whylen)) != 0)
        return rc;
    if (owner != u->id) {
        err_set(why, whylen, "the challenge was issued to another account");
        return ERR_CRYPTO;
    }
    if ((c = mem_calloc(1, sizeof(*c))) == NULL)
        return ERR_NOMEM;
    rc = webauthn_register(reg->client_data, reg->client_data_len, reg->attestation,
                           reg->attestation_len, &e, c, why, whylen);
    if (rc != 0)
        goto out;
    out->user_id = u->id;
    memcpy(out->cred_id, c->id, c->id_len);
    out->cred_id_len = c->id_len;
    out->alg = c->alg;
    memcpy(out->pk, c->pk, c->pk_len);
    out->pk_len = c->pk_len;
    out->sign_count = c->sign_count;
    str_copy(out->name, sizeof(out->name), reg->name);
    out->created_at = now;
    if (reg->prf != NULL) {
        out->has_prf = true;
        memcpy(out->prf_salt, reg->prf_salt, sizeof(out->prf_salt));
        keys_kek_prf(kek, reg->prf, PASSKEY_PRF_LEN);
        keys_wrap(k, kek, u->username, out->wrapped);
        wipe(kek, sizeof(kek));
    }
    if ((rc = store_passkey_add(st, out)) == ERR_EXISTS)
        err_set(why, whylen, "this passkey is registered already");
out:
    mem_free(c);
    if (rc != 0)
        wipe(out, sizeof(*out));
    return rc;
}

int passkey_verify(struct store *st, const struct passkey_rp *rp, const struct passkey_assertion *a,
                   int64_t user_id, int64_t now, struct passkey_row *row, char *why, size_t whylen)
{
    uint8_t challenge[WEBAUTHN_CHALLENGE_LEN], flags = 0;
    struct webauthn_expect e = {
        .challenge = challenge, .origin = rp->origin, .rp_id = rp->rp_id, .require_uv = true};
    int64_t owner = 0, before;
    uint32_t count = 0;
    int rc;

    memset(row, 0, sizeof(*row));
    if (a->cred_id == NULL || a->cred_id_len == 0 || a->cred_id_len > STORE_PASSKEY_ID_MAX) {
        err_set(why, whylen, "id: not a passkey's id");
        return ERR_INVALID;
    }
    /* the challenge goes first: a wrong credential spends it too, so each try costs a round */
    if ((rc = take_challenge(st, a->client_data, a->client_data_len, STORE_CHALLENGE_SIGNIN,
                             user_id, now, challenge, &owner, why, whylen)) != 0)
        return rc;
    if ((rc = store_passkey_find(st, a->cred_id, a->cred_id_len, row)) != 0) {
        if (rc == ERR_NOT_FOUND)
            err_set(why, whylen, "this passkey is not registered here");
        return rc;
    }
    if ((user_id != 0 && row->user_id != user_id) || (owner != 0 && row->user_id != owner)) {
        err_set(why, whylen, "this passkey belongs to another account");
        rc = ERR_CRYPTO;
        goto fail;
    }
    if ((rc = webauthn_assert(a->client_data, a->client_data_len, a->auth_data, a->auth_data_len,
                              a->sig, a->sig_len, &e, row->alg, row->pk, row->pk_len, &count,
                              &flags, why, whylen)) != 0)
        goto fail;
    if (!webauthn_counter_ok((uint32_t)row->sign_count, count)) {
        log_warn("passkey %lld of account %lld: its signature counter went from %lld to %u: a "
                 "cloned authenticator? refused",
                 (long long)row->id, (long long)row->user_id, (long long)row->sign_count, count);
        err_set(why, whylen,
                "this passkey's counter went back: it may have been copied. Sign in another way "
                "and delete it");
        rc = ERR_CRYPTO;
        goto fail;
    }
    before = row->sign_count;
    row->sign_count = count;
    row->last_used_at = now;
    if ((rc = store_passkey_used(st, row, before)) == ERR_CONFLICT)
        err_set(why, whylen, "this passkey signed in twice at once: try again");
    if (rc == 0)
        return 0;
fail:
    wipe(row, sizeof(*row));
    return rc;
}

int passkey_unwrap(const struct passkey_row *row, const struct user *u, const uint8_t *prf,
                   struct user_keys **out)
{
    uint8_t kek[KEYS_KEK_LEN];
    struct user_keys *k;
    int rc;

    *out = NULL;
    if (!row->has_prf || prf == NULL)
        return ERR_NOT_FOUND;
    if ((k = keys_new()) == NULL)
        return ERR_NOMEM;
    keys_kek_prf(kek, prf, PASSKEY_PRF_LEN);
    /* the public halves derived, and compared with the account's: keys wrapped before they were
     * replaced (a re-key) open, but are not this account's any more */
    rc = keys_unwrap(k, kek, u->username, row->wrapped);
    wipe(kek, sizeof(kek));
    if (rc == 0 && (!u->has_keys || sodium_memcmp(k->sign_pk, u->sign_pk, KEYS_PUB_LEN) != 0 ||
                    sodium_memcmp(k->box_pk, u->box_pk, KEYS_PUB_LEN) != 0))
        rc = ERR_CRYPTO;
    if (rc != 0) {
        keys_free(k);
        return ERR_CRYPTO;
    }
    *out = k;
    return 0;
}
