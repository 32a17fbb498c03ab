#include "core/oidc.h"

#include "core/channels.h"
#include "core/enrol.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/jwt.h"
#include "crypto/random.h"
#include "net/fetch.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DISCOVERY_MAX 65536 /* bytes of a discovery document */
#define TOKEN_RESP_MAX 65536
#define CODE_MAX 2048 /* bytes of an authorization code accepted */

static const char *const failure_codes[] = {
    [OIDC_OK] = "ok",
    [OIDC_STATE] = "sso_state",
    [OIDC_PROVIDER] = "sso_provider",
    [OIDC_DENIED] = "sso_denied",
    [OIDC_TOKEN] = "sso_token",
    [OIDC_USERNAME] = "sso_username",
    [OIDC_NO_ACCOUNT] = "sso_no_account",
    [OIDC_CONFLICT] = "sso_conflict",
    [OIDC_DISABLED] = "sso_disabled",
    [OIDC_ROLES] = "sso_roles",
    [OIDC_LAST_HOLDER] = "sso_last_holder",
    [OIDC_SERVER] = "sso_server",
};

const char *oidc_failure_code(enum oidc_failure f)
{
    return (unsigned)f < sizeof(failure_codes) / sizeof(failure_codes[0]) ? failure_codes[f]
                                                                          : "sso_provider";
}

bool oidc_enabled(const struct config *cfg)
{
    return cfg->oidc_issuer[0] != '\0';
}

/* Whether the space-separated @list holds @word. */
static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; *p != '\0';) {
        size_t k;
        while (*p == ' ')
            p++;
        k = strcspn(p, " ");
        if (k == n && strncmp(p, word, n) == 0)
            return true;
        p += k;
    }
    return false;
}

int oidc_check(const struct config *cfg, char *err, size_t errlen)
{
    if (!oidc_enabled(cfg))
        return 0;
    if (!fetch_url_allowed(cfg->oidc_issuer)) {
        err_set(err, errlen, "[oidc] issuer must be an https URL (or http to this machine)");
        return ERR_INVALID;
    }
    if (cfg->oidc_client_id[0] == '\0' || strpbrk(cfg->oidc_client_id, "\r\n") != NULL) {
        err_set(err, errlen, "[oidc] client_id is needed with issuer");
        return ERR_INVALID;
    }
    if (cfg->oidc_client_secret[0] == '\0') {
        err_set(err, errlen,
                "[oidc] client_secret_file is needed with issuer (a file whose first "
                "line is the client secret)");
        return ERR_INVALID;
    }
    if (!has_word(cfg->oidc_scopes, "openid")) {
        err_set(err, errlen, "[oidc] scopes must include openid");
        return ERR_INVALID;
    }
    if (cfg->oidc_username_claim[0] == '\0') {
        err_set(err, errlen, "[oidc] username_claim must name a claim");
        return ERR_INVALID;
    }
    if (!cfg->oidc_allow_admin &&
        (cfg->oidc_role_admin[0] != '\0' || cfg->oidc_role_auditor[0] != '\0')) {
        err_set(err, errlen,
                "[oidc] role_admin and role_auditor need allow_admin = true: the "
                "provider's groups grant no operator role unless you say so");
        return ERR_INVALID;
    }
    if (cfg->oidc_role_head[0] != '\0' && cfg->oidc_role_officer[0] == '\0') {
        err_set(err, errlen, "[oidc] role_head needs role_officer: the head is an officer too");
        return ERR_INVALID;
    }
    return 0;
}

void oidc_key(const uint8_t *channel_sk, size_t len, uint8_t out[OIDC_KEY_LEN])
{
    static const char label[] = "dissent oidc key v1";
    uint8_t k[HASH_KEY_LEN];

    hash_sha256(k, channel_sk, len);
    hash_keyed(out, label, sizeof(label) - 1, k);
    wipe(k, sizeof(k));
}

/* ---- the provider's discovery document and key set, cached per process ---- */

struct provider {
    char issuer[sizeof(((struct config *)0)->oidc_issuer)];
    char authorize[FETCH_URL_MAX + 1];
    char token[FETCH_URL_MAX + 1];
    char jwks_uri[FETCH_URL_MAX + 1];
    char end_session[FETCH_URL_MAX + 1];
    bool secret_post; /* the token endpoint takes client_secret_post, not Basic */
    int64_t at;       /* when discovered; 0: never */
    struct jwks *keys;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct provider cache;

/* An endpoint member of the discovery document @doc: a string URL fetch_url_allowed() takes. */
static bool endpoint(json_t *doc, const char *name, char *out, size_t len, bool required)
{
    const char *v = json_string_value(json_object_get(doc, name));

    out[0] = '\0';
    if (v == NULL)
        return !required;
    return fetch_url_allowed(v) && str_copy(out, len, v) == 0;
}

/* Whether the array member @name of @doc is absent or holds the string @want. */
static bool offers(json_t *doc, const char *name, const char *want)
{
    json_t *a = json_object_get(doc, name), *v;
    size_t i;

    if (!json_is_array(a))
        return true;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return true;
    }
    return false;
}

/* Fetch and check the discovery document into @p (OpenID Connect Discovery 1.0, 4). */
static int discover(const struct config *cfg, struct provider *p, char *why, size_t whylen)
{
    char url[FETCH_URL_MAX + 64], e[160];
    size_t n = strlen(cfg->oidc_issuer);
    struct fetch_resp r;
    json_error_t je;
    json_t *doc = NULL;
    int rc;

    memset(p, 0, sizeof(*p));
    while (n > 0 && cfg->oidc_issuer[n - 1] == '/')
        n--;
    snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration", (int)n, cfg->oidc_issuer);
    if ((rc = fetch_get(url, cfg->oidc_ca_file, DISCOVERY_MAX, &r, e, sizeof(e))) != 0) {
        err_set(why, whylen, "the provider's discovery document (%s): %s", url, e);
        return ERR_IO;
    }
    if (r.status != 200 || (doc = json_loadb(r.body, r.len, 0, &je)) == NULL ||
        !json_is_object(doc)) {
        err_set(why, whylen, "the provider's discovery document (%s): HTTP %ld, not a JSON object",
                url, r.status);
        rc = ERR_IO;
        goto out;
    }
    /* the document must be the configured issuer's, exactly (Discovery 4.3) */
    if (!json_is_string(json_object_get(doc, "issuer")) ||
        strcmp(json_string_value(json_object_get(doc, "issuer")), cfg->oidc_issuer) != 0) {
        err_set(why, whylen, "the discovery document names another issuer than [oidc] issuer");
        rc = ERR_IO;
        goto out;
    }
    if (!endpoint(doc, "authorization_endpoint", p->authorize, sizeof(p->authorize), true) ||
        !endpoint(doc, "token_endpoint", p->token, sizeof(p->token), true) ||
        !endpoint(doc, "jwks_uri", p->jwks_uri, sizeof(p->jwks_uri), true) ||
        !endpoint(doc, "end_session_endpoint", p->end_session, sizeof(p->end_session), false)) {
        err_set(why, whylen,
                "the discovery document lacks an endpoint, or names one that is "
                "not https");
        rc = ERR_IO;
        goto out;
    }
    if (!offers(doc, "code_challenge_methods_supported", "S256") ||
        !offers(doc, "response_types_supported", "code")) {
        err_set(why, whylen, "the provider offers no authorization code flow with PKCE (S256)");
        rc = ERR_IO;
        goto out;
    }
    p->secret_post = !offers(doc, "token_endpoint_auth_methods_supported", "client_secret_basic");
    if (p->secret_post &&
        !offers(doc, "token_endpoint_auth_methods_supported", "client_secret_post")) {
        err_set(why, whylen,
                "the token endpoint takes neither client_secret_basic nor "
                "client_secret_post");
        rc = ERR_IO;
        goto out;
    }
    str_copy(p->issuer, sizeof(p->issuer), cfg->oidc_issuer);
out:
    json_decref(doc);
    fetch_release(&r);
    return rc;
}

/* Fetch the key set at @uri into *@out. */
static int fetch_keys(const struct config *cfg, const char *uri, struct jwks **out, char *why,
                      size_t whylen)
{
    struct fetch_resp r;
    char e[160];
    int rc;

    *out = NULL;
    if ((rc = fetch_get(uri, cfg->oidc_ca_file, JWKS_MAX_LEN, &r, e, sizeof(e))) != 0) {
        err_set(why, whylen, "the provider's key set (%s): %s", uri, e);
        return ERR_IO;
    }
    if (r.status != 200) {
        err_set(why, whylen, "the provider's key set (%s): HTTP %ld", uri, r.status);
        rc = ERR_IO;
    } else if ((rc = jwks_parse(r.body, r.len, out, e, sizeof(e))) != 0) {
        err_set(why, whylen, "the provider's key set (%s): %s", uri, e);
        rc = ERR_IO;
    }
    fetch_release(&r);
    return rc;
}

/* The cached endpoints into @p (no keys), discovered again when stale. */
static int provider_get(const struct config *cfg, int64_t now, struct provider *p, char *why,
                        size_t whylen)
{
    int rc = 0;

    pthread_mutex_lock(&cache_lock);
    bool fresh = cache.at != 0 && now - cache.at < OIDC_DISCOVERY_TTL && now >= cache.at &&
                 strcmp(cache.issuer, cfg->oidc_issuer) == 0;
    if (fresh) {
        *p = cache;
        p->keys = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    if (fresh)
        return 0;
    if ((rc = discover(cfg, p, why, whylen)) != 0)
        return rc;
    p->at = now;
    pthread_mutex_lock(&cache_lock);
    jwks_free(strcmp(cache.jwks_uri, p->jwks_uri) == 0 ? NULL : cache.keys);
    struct jwks *keep = strcmp(cache.jwks_uri, p->jwks_uri) == 0 ? cache.keys : NULL;
    cache = *p;
    cache.keys = keep;
    pthread_mutex_unlock(&cache_lock);
    return 0;
}

/* Verify @token with the cached key set, fetched first when there is none, and again once when
 * the token names a key the set lacks (a rotation). */
static int verify_token(const struct config *cfg, const struct provider *p, const char *token,
                        const struct jwt_expect *e, json_t **claims, char *why, size_t whylen)
{
    int rc = ERR_NOT_FOUND;

    for (int round = 0; round < 2 && rc == ERR_NOT_FOUND; round++) {
        struct jwks *fresh = NULL;
        pthread_mutex_lock(&cache_lock);
        bool have = cache.keys != NULL && strcmp(cache.jwks_uri, p->jwks_uri) == 0;
        if (have && round == 0)
            rc = jwt_verify(token, strlen(token), cache.keys, e, claims, why, whylen);
        pthread_mutex_unlock(&cache_lock);
        if (have && round == 0)
            continue;
        if (round == 1 || !have) {
            int f = fetch_keys(cfg, p->jwks_uri, &fresh, why, whylen);
            if (f != 0)
                return f;
            rc = jwt_verify(token, strlen(token), fresh, e, claims, why, whylen);
            pthread_mutex_lock(&cache_lock);
            if (strcmp(cache.jwks_uri, p->jwks_uri) == 0) {
                jwks_free(cache.keys);
                cache.keys = fresh;
                fresh = NULL;
            }
            pthread_mutex_unlock(&cache_lock);
            jwks_free(fresh);
            if (round == 0)
                break; /* a set just fetched: an unknown key stays unknown */
        }
    }
    if (rc == ERR_NOT_FOUND)
        err_set(why, whylen,
                "the ID token is signed with a key the provider's key set does not "
                "hold, even fetched again");
    return rc;
}

/* ---- a sign-in ---- */

/* base64url of keyed BLAKE2b(@key, @label || @state). */
static void derive(const uint8_t key[OIDC_KEY_LEN], const char *label, const char *state,
                   char out[OIDC_TOKEN_LEN + 1])
{
    char in[16 + OIDC_TOKEN_LEN + 1];
    uint8_t h[HASH_KEYED_LEN];

    snprintf(in, sizeof(in), "%s %s", label, state);
    hash_keyed(h, in, strlen(in), key);
    b64_encode(out, OIDC_TOKEN_LEN + 1, h, sizeof(h), true);
    wipe(h, sizeof(h));
}

static void token_hash(const char *token, uint8_t out[32])
{
    hash_sha256(out, token, strlen(token));
}

/* A random token: 32 bytes, base64url. */
static void new_token(char out[OIDC_TOKEN_LEN + 1])
{
    uint8_t raw[32];

    random_bytes(raw, sizeof(raw));
    b64_encode(out, OIDC_TOKEN_LEN + 1, raw, sizeof(raw), true);
    wipe(raw, sizeof(raw));
}

/* Append "&NAME=VALUE" (VALUE form-urlencoded) to @buf; false when it does not fit. */
static bool param(char *buf, size_t len, const char *name, const char *value)
{
    char *v = fetch_escape(value);
    size_t used = strlen(buf);
    int n;

    if (v == NULL)
        return false;
    n = snprintf(buf + used, len - used, "%s%s=%s", used ? "&" : "", name, v);
    mem_free(v);
    return n > 0 && (size_t)n < len - used;
}

int oidc_login_start(struct store *st, const struct config *cfg, const uint8_t key[OIDC_KEY_LEN],
                     const char *redirect_uri, int64_t now, char state[OIDC_TOKEN_LEN + 1],
                     char *url, size_t urllen, char *why, size_t whylen)
{
    char nonce[OIDC_TOKEN_LEN + 1], verifier[OIDC_TOKEN_LEN + 1], challenge[OIDC_TOKEN_LEN + 1];
    char q[OIDC_URL_MAX] = "";
    uint8_t h[32];
    struct provider p;
    int rc;

    state[0] = url[0] = '\0';
    if ((rc = provider_get(cfg, now, &p, why, whylen)) != 0)
        return rc;
    new_token(state);
    derive(key, "nonce", state, nonce);
    derive(key, "pkce", state, verifier);
    hash_sha256(h, verifier, strlen(verifier));
    b64_encode(challenge, sizeof(challenge), h, sizeof(h), true);
    if (!param(q, sizeof(q), "response_type", "code") ||
        !param(q, sizeof(q), "client_id", cfg->oidc_client_id) ||
        !param(q, sizeof(q), "redirect_uri", redirect_uri) ||
        !param(q, sizeof(q), "scope", cfg->oidc_scopes) || !param(q, sizeof(q), "state", state) ||
        !param(q, sizeof(q), "nonce", nonce) || !param(q, sizeof(q), "code_challenge", challenge) ||
        !param(q, sizeof(q), "code_challenge_method", "S256") ||
        snprintf(url, urllen, "%s%c%s", p.authorize, strchr(p.authorize, '?') ? '&' : '?', q) >=
            (int)urllen) {
        err_set(why, whylen, "the authorization URL is too long");
        rc = ERR_TOO_LARGE;
    }
    wipe(verifier, sizeof(verifier));
    token_hash(state, h);
    if (rc == 0)
        rc = store_challenge_put(st, h, 0, STORE_CHALLENGE_OIDC, now + OIDC_STATE_TTL, now);
    if (rc != 0)
        state[0] = url[0] = '\0';
    return rc;
}

/* Exchange @code for the token endpoint's answer's "id_token" into *@id_token (mem_free()). */
static int exchange(const struct config *cfg, const struct provider *p, const char *code,
                    const char *redirect_uri, const char *verifier, char **id_token,
                    enum oidc_failure *f, char *why, size_t whylen)
{
    char form[CODE_MAX * 3 + FETCH_URL_MAX * 3 + 1024] = "", e[160];
    struct fetch_resp r;
    json_error_t je;
    json_t *doc = NULL, *v;
    int rc;

    *id_token = NULL;
    *f = OIDC_PROVIDER;
    if (!param(form, sizeof(form), "grant_type", "authorization_code") ||
        !param(form, sizeof(form), "code", code) ||
        !param(form, sizeof(form), "redirect_uri", redirect_uri) ||
        !param(form, sizeof(form), "code_verifier", verifier) ||
        !param(form, sizeof(form), "client_id", cfg->oidc_client_id) ||
        (p->secret_post && !param(form, sizeof(form), "client_secret", cfg->oidc_client_secret))) {
        explicit_bzero(form, sizeof(form));
        return ERR_TOO_LARGE;
    }
    rc = fetch_post_form(
        p->token, cfg->oidc_ca_file, form, p->secret_post ? NULL : cfg->oidc_client_id,
        p->secret_post ? NULL : cfg->oidc_client_secret, TOKEN_RESP_MAX, &r, e, sizeof(e));
    explicit_bzero(form, sizeof(form));
    if (rc != 0) {
        err_set(why, whylen, "the token endpoint: %s", e);
        return ERR_IO;
    }
    doc = json_loadb(r.body, r.len, 0, &je);
    if (r.status != 200) {
        const char *err = json_string_value(json_object_get(doc, "error"));
        err_set(why, whylen, "the token endpoint refused the code: HTTP %ld%s%.64s", r.status,
                err ? ", " : "", err ? err : "");
        *f = OIDC_DENIED;
        rc = ERR_IO;
    } else if (!json_is_object(doc) || !json_is_string(v = json_object_get(doc, "id_token")) ||
               json_string_length(v) > JWT_MAX_LEN) {
        err_set(why, whylen, "the token endpoint's answer holds no ID token");
        rc = ERR_IO;
    } else if ((*id_token = mem_strdup(json_string_value(v))) == NULL) {
        rc = ERR_NOMEM;
    }
    json_decref(doc); /* (its access token is never used, nor kept) */
    fetch_release(&r);
    return rc;
}

/* The local username the claim @v names: ASCII letters lowered, [oidc] username_domain's
 * "@DOMAIN" dropped (a value with another domain is none); user_username_valid(). */
static bool username_of(const struct config *cfg, json_t *v, char out[USERNAME_MAX + 1])
{
    const char *s = json_string_value(v), *at = s ? strrchr(s, '@') : NULL;
    size_t n = s ? strlen(s) : 0;

    if (cfg->oidc_username_domain[0] != '\0' && at != NULL) {
        if (strcasecmp(at + 1, cfg->oidc_username_domain) != 0)
            return false;
        n = (size_t)(at - s);
    }
    if (n == 0 || n > USERNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[n] = '\0';
    return user_username_valid(out);
}

/* Whether the groups claim @g (a string or an array of strings) holds @group ("*": anyone). */
static bool member(json_t *g, const char *group)
{
    json_t *v;
    size_t i;

    if (group[0] == '\0')
        return false;
    if (strcmp(group, "*") == 0)
        return true;
    if (json_is_string(g))
        return strcmp(json_string_value(g), group) == 0;
    json_array_foreach(g, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), group) == 0)
            return true;
    }
    return false;
}

/*
 * The channels the provider's groups @g give (core/channels.h): those whose directory_group is
 * among them, else channel 1, into *@out; *@managed tells whether any channel has a group (else
 * the account's channels are an administrator's to set, and nothing is given).
 */
static int channels_of(struct store *st, const struct config *cfg, json_t *g, uint64_t *out,
                       bool *managed)
{
    struct channel_row *rows = NULL;
    size_t n = 0;
    int rc = channels_list(st, &rows, &n);

    *out = 0;
    *managed = false;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char group[sizeof(cfg->directory_group)];
        if ((rc = channels_own(&rows[i], cfg, "directory_group", group, sizeof(group))) != 0 ||
            group[0] == '\0' || rows[i].id < 1 || rows[i].id > CHANNELS_MAX)
            continue;
        *managed = true;
        if (strcmp(group, "*") != 0 && member(g, group))
            *out |= UINT64_C(1) << (rows[i].id - 1);
    }
    store_channel_list_free(rows, n);
    if (*out == 0)
        *out = 1;
    return rc;
}

/* The roles the provider's groups give (only with [oidc] roles_claim). */
static unsigned roles_of(const struct config *cfg, json_t *claims)
{
    json_t *g = json_object_get(claims, cfg->oidc_roles_claim);
    unsigned roles = 0;

    if (!json_is_string(g) && !json_is_array(g))
        g = json_array(); /* no groups at all: only "*" matches */
    else
        json_incref(g);
    if (member(g, cfg->oidc_role_staff))
        roles |= ROLE_STAFF;
    if (member(g, cfg->oidc_role_officer))
        roles |= ROLE_OFFICER;
    if (member(g, cfg->oidc_role_head))
        roles |= ROLE_HEAD;
    if (member(g, cfg->oidc_role_principal))
        roles |= ROLE_PRINCIPAL;
    if (cfg->oidc_allow_admin && member(g, cfg->oidc_role_auditor))
        roles |= ROLE_AUDITOR;
    if (cfg->oidc_allow_admin && member(g, cfg->oidc_role_admin))
        roles |= ROLE_ADMIN;
    json_decref(g);
    return roles;
}

/* A string claim copied into @out, or "" when absent, too long or unfit (@valid checks it). */
static void text_claim(json_t *claims, const char *name, char *out, size_t len,
                       bool (*valid)(const char *))
{
    const char *s = json_string_value(json_object_get(claims, name));

    out[0] = '\0';
    if (s == NULL || str_copy(out, len, s) != 0 || !valid(out))
        out[0] = '\0';
}

static bool roles_ok(unsigned roles)
{
    return roles != 0 && user_roles_valid(roles) &&
           !((roles & ROLE_HEAD) && !(roles & ROLE_OFFICER));
}

/* The account the subject is linked to (*@found), or the one the username claim names, which it
 * may link (*@need_link: not linked to anyone, not an operator's unless allow_admin), or one
 * made now (*@created). */
static int find_account(struct store *st, const struct config *cfg, const char *sub,
                        const char *username, unsigned roles, json_t *claims, int64_t now,
                        struct oidc_result *out, bool *need_link, char *why, size_t whylen)
{
    char display[DISPLAY_NAME_MAX + 1], email[EMAIL_MAX + 1], e[160];
    struct user *u = &out->user;
    struct sso_link l;
    int rc;

    *need_link = false;
    if ((rc = store_sso_find(st, cfg->oidc_issuer, sub, &l)) == 0) {
        if ((rc = store_user_get_by_id(st, l.user_id, u)) == 0 &&
            strcmp(u->username, username) != 0)
            log_info("oidc: %s signs in as %s, the account the provider's subject is linked to "
                     "(its username claim now says %s)",
                     u->username, u->username, username);
        return rc;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    /* not linked yet: the account of that name, if it is free to link */
    if ((rc = store_user_get_by_name(st, username, u)) == 0) {
        if (u->flags & STORE_USER_SSO) {
            err_set(why, whylen, "the account %s is linked to another person at the provider",
                    username);
            out->failure = OIDC_CONFLICT;
            return ERR_FORBIDDEN;
        }
        if ((u->roles & ROLE_OPERATOR) && !cfg->oidc_allow_admin) {
            err_set(why, whylen,
                    "the account %s is an operator's: the provider does not sign in operators "
                    "unless [oidc] allow_admin",
                    username);
            out->failure = OIDC_CONFLICT;
            return ERR_FORBIDDEN;
        }
        *need_link = true;
        return 0;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    if (!cfg->oidc_create_accounts) {
        err_set(why, whylen, "no account %s here, and [oidc] create_accounts is off", username);
        out->failure = OIDC_NO_ACCOUNT;
        return ERR_NOT_FOUND;
    }
    if (!roles_ok(roles)) {
        err_set(why, whylen,
                "the provider's groups give %s no role here, or roles that cannot be held "
                "together",
                username);
        out->failure = OIDC_ROLES;
        return ERR_FORBIDDEN;
    }
    text_claim(claims, "name", display, sizeof(display), user_display_name_valid);
    text_claim(claims, "email", email, sizeof(email), user_email_valid);
    if ((rc = user_prepare(u, username, roles, display, email, now, e, sizeof(e))) != 0) {
        err_set(why, whylen, "cannot make the account %s: %s", username, e);
        out->failure = OIDC_USERNAME;
        return rc;
    }
    /* (its own transaction: the id it gets is checked against the pin first, core/trust.h;
     * the link follows. Made and not linked, when that fails, it links at the next sign-in) */
    if ((rc = user_create_logged(st, u, now)) == 0) {
        out->created = true;
        *need_link = true;
    }
    return rc;
}

/*
 * The account @claims name (step 3 of oidc.h). Every check comes before anything is written
 * for it: a refused sign-in links nothing and changes no role. The link and the roles the
 * groups give are then written in one transaction.
 */
static int map_account(struct store *st, const struct config *cfg, json_t *claims, int64_t now,
                       struct oidc_result *out, char *why, size_t whylen)
{
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    json_t *groups =
        cfg->oidc_roles_claim[0] ? json_object_get(claims, cfg->oidc_roles_claim) : NULL;
    char username[USERNAME_MAX + 1];
    bool managed = cfg->oidc_roles_claim[0] != '\0', need_link = false;
    unsigned roles = managed ? roles_of(cfg, claims) : ROLE_STAFF;
    struct user *u = &out->user;
    int rc = ERR_EXISTS;

    if (sub == NULL || sub[0] == '\0' || strlen(sub) > STORE_SSO_SUBJECT_MAX) {
        err_set(why, whylen, "the ID token has no usable subject");
        out->failure = OIDC_TOKEN;
        return ERR_CRYPTO;
    }
    if (!username_of(cfg, json_object_get(claims, cfg->oidc_username_claim), username)) {
        err_set(why, whylen,
                "the ID token's %s claim is not a username here ([a-z0-9._-], at most %d)",
                cfg->oidc_username_claim, USERNAME_MAX);
        out->failure = OIDC_USERNAME;
        return ERR_INVALID;
    }
    /* no groups claim at all is not "no groups" (a provider that leaves it out, as Entra ID
     * does past 200 groups, or a mapper not put in the ID token): it takes no role away from
     * anyone (below); a new account gets what everyone gets ("*") */
    bool no_groups = managed && !json_is_string(groups) && !json_is_array(groups);
    /* and the channels, where channels have directory groups (none known without the claim) */
    uint64_t chans = 1;
    bool chmanaged = false;
    if (managed && !no_groups) {
        int crc = channels_of(st, cfg, groups, &chans, &chmanaged);
        if (crc != 0)
            return crc;
    }
    for (int attempt = 0; attempt < 2 && rc == ERR_EXISTS; attempt++) {
        bool change, chchange;
        if ((rc = find_account(st, cfg, sub, username, roles, claims, now, out, &need_link, why,
                               whylen)) == ERR_EXISTS)
            continue; /* made at this moment by a simultaneous sign-in: look again */
        if (rc != 0)
            return rc;
        if (u->disabled) {
            err_set(why, whylen, "the account %s is disabled", u->username);
            out->failure = OIDC_DISABLED;
            return ERR_FORBIDDEN;
        }
        /* the provider's groups decide the roles of content accounts (operators' only with
         * allow_admin) */
        change = managed && !out->created &&
                 (!(u->roles & ROLE_OPERATOR) || cfg->oidc_allow_admin) && roles != u->roles;
        if (change && no_groups && (u->roles & ~roles) != 0) {
            err_set(why, whylen,
                    "the ID token has no %s claim: %s's roles cannot be known (is the claim put "
                    "in the ID token?)",
                    cfg->oidc_roles_claim, u->username);
            out->failure = OIDC_ROLES;
            return ERR_FORBIDDEN;
        }
        if (change && (!roles_ok(roles) || ((u->roles & ROLE_OPERATOR) != (roles & ROLE_OPERATOR) &&
                                            ((u->roles | roles) & ROLE_CONTENT)))) {
            err_set(why, whylen,
                    "the provider's groups give %s no role here, or roles that cannot be held "
                    "together (or that move it between operator and content roles)",
                    u->username);
            out->failure = OIDC_ROLES;
            return ERR_FORBIDDEN;
        }
        chchange = chmanaged && (!(u->roles & ROLE_OPERATOR) || cfg->oidc_allow_admin) &&
                   chans != (u->channels != 0 ? u->channels : 1);
        if (!need_link && !change && !chchange)
            return 0;
        if ((rc = store_begin(st)) != 0)
            return rc;
        /* the roles first: their write is checked against the version read (the row is the
         * one checked above); the link then reads the row afresh for its flag */
        if (change)
            rc = enrol_account_set(st, u, roles, false, now);
        if (rc == 0 && chchange)
            rc = enrol_channels_set(st, u, chans, now);
        if (rc == 0 && need_link) {
            struct sso_link l = {.user_id = u->id, .linked_at = now};
            int64_t v = u->version;
            str_copy(l.issuer, sizeof(l.issuer), cfg->oidc_issuer);
            str_copy(l.subject, sizeof(l.subject), sub);
            /* nobody changed the account since it was checked (disabled it, say): the flag's
             * write is then its next version */
            if ((rc = store_sso_link(st, &l)) == 0 &&
                (rc = store_user_get_by_id(st, u->id, u)) == 0 && u->version != v + 1)
                rc = ERR_CONFLICT;
        }
        if (rc == 0)
            rc = store_commit(st);
        else
            store_rollback(st);
        if (rc == ERR_EXISTS)
            continue; /* linked at this moment (the subject, or the account): look again */
    }
    if (rc == ERR_STATE) {
        err_set(why, whylen,
                "%s is the last officer holding the channel key: the role stays until another "
                "officer holds it",
                u->username);
        out->failure = OIDC_LAST_HOLDER;
        return rc;
    }
    if (rc == ERR_EXISTS || rc == ERR_CONFLICT) {
        err_set(why, whylen, "the account %s changed, or was linked, meanwhile: sign in again",
                username);
        out->failure = OIDC_STATE;
        return ERR_CONFLICT;
    }
    if (rc != 0)
        return rc;
    if (need_link) {
        out->linked = true;
        log_info("oidc: account %s linked to the provider's subject", u->username);
        rc = store_user_get_by_id(st, u->id, u); /* (its flag, its version) */
    }
    return rc;
}

int oidc_callback(struct store *st, const struct config *cfg, const uint8_t key[OIDC_KEY_LEN],
                  const char *redirect_uri, const char *state, const char *cookie_state,
                  const char *code, const char *error, int64_t now, struct oidc_result *out,
                  char *why, size_t whylen)
{
    char nonce[OIDC_TOKEN_LEN + 1], verifier[OIDC_TOKEN_LEN + 1], *id_token = NULL;
    struct jwt_expect e = {.issuer = cfg->oidc_issuer, .client_id = cfg->oidc_client_id};
    json_t *claims = NULL;
    struct provider p;
    uint8_t h[32];
    int64_t owner = 0;
    int purpose = 0, rc;

    memset(out, 0, sizeof(*out));
    out->failure = OIDC_STATE;
    err_set(why, whylen, "the sign-in could not be checked (a database error, logged)");
    /* the state first: it is this browser's, unused and not expired; else nothing is asked */
    if (state == NULL || cookie_state == NULL || strlen(state) != OIDC_TOKEN_LEN ||
        strlen(cookie_state) != OIDC_TOKEN_LEN ||
        !hash_equal(state, cookie_state, OIDC_TOKEN_LEN)) {
        err_set(why, whylen, "the state is missing or not this browser's");
        return ERR_UNAUTH;
    }
    token_hash(state, h);
    rc = store_challenge_take(st, h, now, &owner, &purpose, NULL);
    if (rc == ERR_NOT_FOUND || (rc == 0 && purpose != STORE_CHALLENGE_OIDC)) {
        err_set(why, whylen, "the sign-in is unknown, finished already, or took over %d s",
                OIDC_STATE_TTL);
        return ERR_UNAUTH;
    }
    if (rc != 0)
        return rc;
    if (error != NULL) {
        err_set(why, whylen, "the provider answered %.64s", error);
        out->failure = OIDC_DENIED;
        return ERR_FORBIDDEN;
    }
    if (code == NULL || code[0] == '\0' || strlen(code) > CODE_MAX) {
        err_set(why, whylen, "the provider sent no code");
        out->failure = OIDC_PROVIDER;
        return ERR_INVALID;
    }
    out->failure = OIDC_PROVIDER;
    if ((rc = provider_get(cfg, now, &p, why, whylen)) != 0)
        return rc;
    derive(key, "nonce", state, nonce);
    derive(key, "pkce", state, verifier);
    rc = exchange(cfg, &p, code, redirect_uri, verifier, &id_token, &out->failure, why, whylen);
    wipe(verifier, sizeof(verifier));
    if (rc != 0)
        goto out;
    out->failure = OIDC_TOKEN;
    e.nonce = nonce;
    e.now = now;
    if ((rc = verify_token(cfg, &p, id_token, &e, &claims, why, whylen)) != 0) {
        if (rc == ERR_IO)
            out->failure = OIDC_PROVIDER;
        goto out;
    }
    why[0] = '\0';
    if ((rc = map_account(st, cfg, claims, now, out, why, whylen)) != 0) {
        if (why[0] == '\0') { /* (a store error: its reason is in the log before this) */
            err_set(why, whylen, "the sign-in could not be recorded (%s)", err_str(rc));
            out->failure = OIDC_SERVER;
        }
        goto out;
    }
    new_token(out->ticket);
    token_hash(out->ticket, h);
    rc = store_challenge_put(st, h, out->user.id, STORE_CHALLENGE_SSO, now + OIDC_TICKET_TTL, now);
    if (rc == 0) {
        out->failure = OIDC_OK;
    } else {
        err_set(why, whylen, "the sign-in's ticket could not be stored (%s)", err_str(rc));
        out->failure = OIDC_SERVER;
    }
out:
    if (rc != 0)
        out->ticket[0] = '\0';
    wipe(out->user.pwhash, sizeof(out->user.pwhash));
    json_decref(claims);
    if (id_token != NULL)
        wipe(id_token, strlen(id_token));
    mem_free(id_token);
    return rc;
}

int oidc_ticket_take(struct store *st, const char *ticket, int64_t now, int64_t *user_id,
                     int64_t *expires)
{
    uint8_t h[32];
    int purpose = 0, rc;

    *user_id = 0;
    *expires = 0;
    if (ticket == NULL || strlen(ticket) != OIDC_TOKEN_LEN)
        return ERR_NOT_FOUND;
    token_hash(ticket, h);
    rc = store_challenge_take(st, h, now, user_id, &purpose, expires);
    if (rc == 0 && (purpose != STORE_CHALLENGE_SSO || *user_id <= 0)) {
        *user_id = 0;
        rc = ERR_NOT_FOUND;
    }
    return rc;
}

int oidc_ticket_restore(struct store *st, const char *ticket, int64_t user_id, int64_t expires,
                        int64_t now)
{
    uint8_t h[32];

    if (expires <= now)
        return 0; /* expired meanwhile: nothing to put back */
    token_hash(ticket, h);
    return store_challenge_put(st, h, user_id, STORE_CHALLENGE_SSO, expires, now);
}

int oidc_ticket_peek(struct store *st, const char *ticket, int64_t now, int64_t *user_id)
{
    uint8_t h[32];
    int purpose = 0, rc;

    *user_id = 0;
    if (ticket == NULL || strlen(ticket) != OIDC_TOKEN_LEN)
        return ERR_NOT_FOUND;
    token_hash(ticket, h);
    rc = store_challenge_peek(st, h, now, user_id, &purpose);
    if (rc == 0 && (purpose != STORE_CHALLENGE_SSO || *user_id <= 0)) {
        *user_id = 0;
        rc = ERR_NOT_FOUND;
    }
    return rc;
}

void oidc_logout_url(const struct config *cfg, const char *post_logout_redirect_uri, char *out,
                     size_t len)
{
    char q[FETCH_URL_MAX] = "", end[FETCH_URL_MAX + 1];

    out[0] = '\0';
    pthread_mutex_lock(&cache_lock);
    str_copy(end, sizeof(end),
             strcmp(cache.issuer, cfg->oidc_issuer) == 0 ? cache.end_session : "");
    pthread_mutex_unlock(&cache_lock);
    if (end[0] == '\0' || !param(q, sizeof(q), "client_id", cfg->oidc_client_id) ||
        !param(q, sizeof(q), "post_logout_redirect_uri", post_logout_redirect_uri))
        return;
    if (snprintf(out, len, "%s%c%s", end, strchr(end, '?') ? '&' : '?', q) >= (int)len)
        out[0] = '\0';
}
