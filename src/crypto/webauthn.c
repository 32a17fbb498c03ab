#include "crypto/webauthn.h"

/* libfido2's headers bring OpenSSL's, whose type ERR_STATE would clash with util/err.h's code
 * of that name: it is renamed here, unused */
#define ERR_STATE openssl_err_state
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#undef ERR_STATE

#include "crypto/hash.h"
#include "util/err.h"

#include <cbor.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>

/* The client data: its type, challenge and origin, and no cross-origin embedding. */
static int client_data(const char *cdj, size_t len, const char *type,
                       const struct webauthn_expect *e, char *why, size_t whylen)
{
    uint8_t got[WEBAUTHN_CHALLENGE_LEN + 1];
    size_t got_len = 0;
    json_error_t jerr;
    json_t *o, *v;
    const char *s;
    int rc = ERR_CRYPTO;

    if (cdj == NULL || len == 0 || len > WEBAUTHN_CLIENT_DATA_MAX) {
        err_set(why, whylen, "clientDataJSON: 1 to %d bytes", WEBAUTHN_CLIENT_DATA_MAX);
        return ERR_INVALID;
    }
    o = json_loadb(cdj, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        err_set(why, whylen, "clientDataJSON: not a JSON object");
        return ERR_INVALID;
    }
    if ((s = json_string_value(json_object_get(o, "type"))) == NULL || strcmp(s, type) != 0) {
        err_set(why, whylen, "clientDataJSON: the type is not %s", type);
        goto out;
    }
    s = json_string_value(json_object_get(o, "challenge"));
    if (s == NULL ||
        sodium_base642bin(got, sizeof(got), s, strlen(s), NULL, &got_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got_len != WEBAUTHN_CHALLENGE_LEN ||
        sodium_memcmp(got, e->challenge, WEBAUTHN_CHALLENGE_LEN) != 0) {
        err_set(why, whylen, "clientDataJSON: not the challenge this server issued");
        goto out;
    }
    if ((s = json_string_value(json_object_get(o, "origin"))) == NULL ||
        strcmp(s, e->origin) != 0) {
        err_set(why, whylen, "clientDataJSON: the origin is not %.200s", e->origin);
        goto out;
    }
    v = json_object_get(o, "crossOrigin");
    if (v != NULL && !json_is_false(v)) {
        err_set(why, whylen, "clientDataJSON: made in a frame of another origin");
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* The RP ID hash and the flags at the head of authenticator data @ad. */
static int authdata_head(const uint8_t *ad, size_t len, const struct webauthn_expect *e, char *why,
                         size_t whylen)
{
    uint8_t want[HASH_SHA256_LEN];

    if (ad == NULL || len < 37 || len > WEBAUTHN_AUTHDATA_MAX) {
        err_set(why, whylen, "authenticatorData: 37 to %d bytes", WEBAUTHN_AUTHDATA_MAX);
        return ERR_INVALID;
    }
    hash_sha256(want, e->rp_id, strlen(e->rp_id));
    if (sodium_memcmp(want, ad, sizeof(want)) != 0) {
        err_set(why, whylen, "authenticatorData: made for another RP ID than %.200s", e->rp_id);
        return ERR_CRYPTO;
    }
    if (!(ad[32] & WEBAUTHN_UP)) {
        err_set(why, whylen, "authenticatorData: the user was not present");
        return ERR_CRYPTO;
    }
    if (e->require_uv && !(ad[32] & WEBAUTHN_UV)) {
        err_set(why, whylen, "authenticatorData: the user was not verified (PIN or biometrics)");
        return ERR_CRYPTO;
    }
    return 0;
}

/* The "authData" byte string of the attestation object @att (a CBOR map), as a view into @root. */
static int att_authdata(cbor_item_t *root, const uint8_t **ad, size_t *len)
{
    struct cbor_pair *pairs;

    *ad = NULL;
    *len = 0;
    if (!cbor_isa_map(root) || !cbor_map_is_definite(root))
        return ERR_INVALID;
    pairs = cbor_map_handle(root);
    for (size_t i = 0; i < cbor_map_size(root); i++) {
        cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        if (!cbor_isa_string(k) || !cbor_string_is_definite(k) || cbor_string_length(k) != 8 ||
            memcmp(cbor_string_handle(k), "authData", 8) != 0)
            continue;
        if (*ad != NULL || !cbor_isa_bytestring(v) || !cbor_bytestring_is_definite(v))
            return ERR_INVALID; /* twice, or not bytes */
        *ad = cbor_bytestring_handle(v);
        *len = cbor_bytestring_length(v);
    }
    return *ad != NULL ? 0 : ERR_INVALID;
}

int webauthn_register(const char *cdj, size_t cdj_len, const uint8_t *att, size_t att_len,
                      const struct webauthn_expect *e, struct webauthn_cred *out, char *why,
                      size_t whylen)
{
    static const int algs[] = {COSE_ES256, COSE_EDDSA};
    struct cbor_load_result res;
    cbor_item_t *root = NULL;
    fido_cred_t *cred = NULL;
    const uint8_t *ad = NULL;
    size_t ad_len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = client_data(cdj, cdj_len, "webauthn.create", e, why, whylen)) != 0)
        return rc;
    if (att == NULL || att_len == 0 || att_len > WEBAUTHN_ATTOBJ_MAX) {
        err_set(why, whylen, "attestationObject: 1 to %d bytes", WEBAUTHN_ATTOBJ_MAX);
        return ERR_INVALID;
    }
    root = cbor_load(att, att_len, &res);
    if (root == NULL || res.error.code != CBOR_ERR_NONE || res.read != att_len ||
        att_authdata(root, &ad, &ad_len) != 0) {
        err_set(why, whylen, "attestationObject: not a CBOR map with authData");
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = authdata_head(ad, ad_len, e, why, whylen)) != 0)
        goto out;
    if (!(ad[32] & WEBAUTHN_AT)) {
        err_set(why, whylen, "authenticatorData: no credential in it");
        rc = ERR_INVALID;
        goto out;
    }
    /* libfido2 reads the attested credential data (id, COSE key) for a given algorithm */
    rc = ERR_INVALID;
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]) && rc != 0; i++) {
        fido_cred_free(&cred);
        if ((cred = fido_cred_new()) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        if (fido_cred_set_type(cred, algs[i]) == FIDO_OK &&
            fido_cred_set_authdata_raw(cred, ad, ad_len) == FIDO_OK) {
            out->alg = algs[i];
            rc = 0;
        }
    }
    if (rc != 0) {
        err_set(why, whylen,
                "authenticatorData: no ES256 or EdDSA credential in it (the server accepts those)");
        goto out;
    }
    if (fido_cred_id_len(cred) == 0 || fido_cred_id_len(cred) > sizeof(out->id) ||
        fido_cred_pubkey_len(cred) == 0 || fido_cred_pubkey_len(cred) > sizeof(out->pk)) {
        err_set(why, whylen, "authenticatorData: a credential id or key of a size not accepted");
        rc = ERR_INVALID;
        goto out;
    }
    out->id_len = fido_cred_id_len(cred);
    memcpy(out->id, fido_cred_id_ptr(cred), out->id_len);
    out->pk_len = fido_cred_pubkey_len(cred);
    memcpy(out->pk, fido_cred_pubkey_ptr(cred), out->pk_len);
    out->sign_count = fido_cred_sigcount(cred);
    out->flags = ad[32];
out:
    fido_cred_free(&cred);
    if (root != NULL)
        cbor_decref(&root);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/*
 * The extensions an assertion's authenticator data carries (its ED flag: a CBOR map after the
 * 37 bytes of head), as libfido2's mask: it verifies only data whose extensions are the ones the
 * assertion was told of. A security key answers the PRF request with "hmac-secret".
 */
static int assert_extensions(const uint8_t *ad, size_t len, int *mask)
{
    struct cbor_load_result res;
    cbor_item_t *map;
    struct cbor_pair *pairs;

    *mask = 0;
    if (!(ad[32] & WEBAUTHN_ED))
        return len == 37 ? 0 : ERR_INVALID;
    map = cbor_load(ad + 37, len - 37, &res);
    if (map == NULL || res.error.code != CBOR_ERR_NONE || res.read != len - 37 ||
        !cbor_isa_map(map) || !cbor_map_is_definite(map)) {
        if (map != NULL)
            cbor_decref(&map);
        return ERR_INVALID;
    }
    pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        cbor_item_t *k = pairs[i].key;
        size_t n;
        if (!cbor_isa_string(k) || !cbor_string_is_definite(k))
            continue;
        n = cbor_string_length(k);
        if (n == 11 && memcmp(cbor_string_handle(k), "hmac-secret", 11) == 0)
            *mask |= FIDO_EXT_HMAC_SECRET;
        else if (n == 8 && memcmp(cbor_string_handle(k), "credBlob", 8) == 0)
            *mask |= FIDO_EXT_CRED_BLOB;
    }
    cbor_decref(&map);
    return 0;
}

int webauthn_assert(const char *cdj, size_t cdj_len, const uint8_t *ad, size_t ad_len,
                    const uint8_t *sig, size_t sig_len, const struct webauthn_expect *e, int alg,
                    const uint8_t *pk, size_t pk_len, uint32_t *sign_count, uint8_t *flags,
                    char *why, size_t whylen)
{
    uint8_t cdh[HASH_SHA256_LEN];
    fido_assert_t *as = NULL;
    int ext = 0;
    es256_pk_t *es = NULL;
    eddsa_pk_t *ed = NULL;
    const void *key = NULL;
    int rc;

    *sign_count = 0;
    *flags = 0;
    if ((rc = client_data(cdj, cdj_len, "webauthn.get", e, why, whylen)) != 0 ||
        (rc = authdata_head(ad, ad_len, e, why, whylen)) != 0)
        return rc;
    if (sig == NULL || sig_len == 0 || sig_len > WEBAUTHN_SIG_MAX) {
        err_set(why, whylen, "signature: 1 to %d bytes", WEBAUTHN_SIG_MAX);
        return ERR_INVALID;
    }
    if (alg == WEBAUTHN_ES256 && (es = es256_pk_new()) != NULL &&
        es256_pk_from_ptr(es, pk, pk_len) == FIDO_OK)
        key = es;
    else if (alg == WEBAUTHN_EDDSA && (ed = eddsa_pk_new()) != NULL &&
             eddsa_pk_from_ptr(ed, pk, pk_len) == FIDO_OK)
        key = ed;
    if (key == NULL) {
        err_set(why, whylen, "the stored key does not load");
        rc = ERR_INVALID;
        goto out;
    }
    hash_sha256(cdh, cdj, cdj_len);
    rc = ERR_CRYPTO;
    if ((as = fido_assert_new()) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if (fido_assert_set_count(as, 1) != FIDO_OK || fido_assert_set_rp(as, e->rp_id) != FIDO_OK ||
        fido_assert_set_clientdata_hash(as, cdh, sizeof(cdh)) != FIDO_OK ||
        fido_assert_set_authdata_raw(as, 0, ad, ad_len) != FIDO_OK ||
        fido_assert_set_sig(as, 0, sig, sig_len) != FIDO_OK ||
        fido_assert_set_up(as, FIDO_OPT_TRUE) != FIDO_OK ||
        fido_assert_set_uv(as, e->require_uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK ||
        assert_extensions(ad, ad_len, &ext) != 0 ||
        (ext != 0 && fido_assert_set_extensions(as, ext) != FIDO_OK)) {
        err_set(why, whylen, "authenticatorData: malformed");
        rc = ERR_INVALID;
        goto out;
    }
    if (fido_assert_verify(as, 0, alg, key) != FIDO_OK) {
        err_set(why, whylen, "the signature does not verify under this passkey's key");
        goto out;
    }
    *sign_count = fido_assert_sigcount(as, 0);
    *flags = fido_assert_flags(as, 0);
    rc = 0;
out:
    fido_assert_free(&as);
    es256_pk_free(&es);
    eddsa_pk_free(&ed);
    return rc;
}

bool webauthn_counter_ok(uint32_t stored, uint32_t now)
{
    if (stored == 0 && now == 0)
        return true;
    return now > stored;
}
