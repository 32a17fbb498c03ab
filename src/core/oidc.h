/*
 * oidc.h - single sign-on through an OpenID provider (OpenID Connect Core 1.0, the authorization
 * code flow with PKCE, RFC 7636), configured in [oidc] (docs/config.md).
 *
 * A sign-in goes:
 *   1. oidc_login_start(): a random state, sent to the provider and kept in the browser's cookie
 *      and, by its SHA-256, in the database (single use, OIDC_STATE_TTL). The nonce and the PKCE
 *      verifier are derived from the state under a key derived from the channel key, so that any
 *      server of the deployment finishes what another began without storing them.
 *   2. The provider authenticates the person and sends the browser back with a code.
 *   3. oidc_callback(): the state must be the browser's and unused; the code is exchanged at the
 *      token endpoint (with the client secret and the PKCE verifier, over net/fetch.h); the ID
 *      token is verified against the provider's key set (crypto/jwt.h: signature, issuer,
 *      audience, expiry, nonce), the set fetched again once when it names an unknown key (a
 *      rotation). The person is the provider's subject: the account linked to it
 *      (store_sso_link()), or at the first sign-in the account the username claim names (never
 *      one linked to another subject, nor an operator's unless [oidc] allow_admin), or with
 *      [oidc] create_accounts a new one. Roles follow the provider's groups where [oidc]
 *      roles_claim is set (enrol_account_set()). The result is a ticket (random, its SHA-256
 *      stored, single use, OIDC_TICKET_TTL), not a session:
 *   4. the account's keys are wrapped under its key passphrase (its local password) or a
 *      passkey's PRF, which the provider never sees: the ticket, with the passphrase or the
 *      passkey (and the second factor the account's role needs), opens the session
 *      (core/session.h session_login() with @sso_user), or an account without keys enrols with
 *      a passphrase it chooses (core/enrol.h enrol_account_sso()).
 *
 * The discovery document and the key set are cached per process (an hour; the key set also
 * until a token names a key it lacks). Every failure is refused with a reason for the log and an
 * error code the API turns into a clear message; nothing is ever signed in by a misconfigured
 * provider.
 */
#ifndef DISSENT_CORE_OIDC_H
#define DISSENT_CORE_OIDC_H

#include "store/store.h"
#include "util/config.h"

#include <stdbool.h>
#include <stdint.h>

#define OIDC_KEY_LEN 32
#define OIDC_TOKEN_LEN 43   /* a state or ticket: 32 random bytes, base64url */
#define OIDC_STATE_TTL 600  /* seconds a started sign-in may take at the provider */
#define OIDC_TICKET_TTL 600 /* seconds a ticket waits for the passphrase or passkey */
#define OIDC_URL_MAX 4096   /* bytes of the authorization URL */
#define OIDC_DISCOVERY_TTL 3600

/* Why a callback failed: the API's error code for each (docs/api.md, "Single sign-on"). */
enum oidc_failure {
    OIDC_OK = 0,
    OIDC_STATE,       /* "sso_state": the state is unknown, used, expired or not this browser's */
    OIDC_PROVIDER,    /* "sso_provider": the provider could not be asked, or answered wrongly */
    OIDC_DENIED,      /* "sso_denied": the provider refused (the person cancelled, say) */
    OIDC_TOKEN,       /* "sso_token": the ID token failed a check */
    OIDC_USERNAME,    /* "sso_username": no usable username claim */
    OIDC_NO_ACCOUNT,  /* "sso_no_account": no account, and none is created */
    OIDC_CONFLICT,    /* "sso_conflict": the account is linked to another person */
    OIDC_DISABLED,    /* "sso_disabled": the account is disabled */
    OIDC_ROLES,       /* "sso_roles": the groups give no role, or roles that cannot be held */
    OIDC_LAST_HOLDER, /* "sso_last_holder": the new roles would leave the channel key unheld */
    OIDC_SERVER,      /* "sso_server": the server could not record it (a database error) */
};

/** oidc_failure_code() - the API error code of @f ("sso_state", ...). */
const char *oidc_failure_code(enum oidc_failure f);

/** oidc_enabled() - whether [oidc] issuer is set. */
bool oidc_enabled(const struct config *cfg);

/**
 * oidc_check() - the [oidc] settings, at start: an allowed issuer URL (net/fetch.h), a client
 * id and secret, "openid" among the scopes, a username claim, no operator role mapped without
 * allow_admin, a head group only with an officer group. The provider is not asked here (it may be
 * down at start: sign-ins then fail with sso_provider until it answers).
 */
int oidc_check(const struct config *cfg, char *err, size_t errlen);

/** oidc_key() - the key the nonce and PKCE verifier are derived under, from the channel key's
 *  private key @channel_sk. */
void oidc_key(const uint8_t *channel_sk, size_t len, uint8_t out[OIDC_KEY_LEN]);

/**
 * oidc_login_start() - begin a sign-in: *@state (for the browser's cookie) and *@url, the
 * provider's authorization URL with @redirect_uri (this server's callback). ERR_IO when the
 * provider's discovery document cannot be had (@why says why).
 */
int oidc_login_start(struct store *st, const struct config *cfg, const uint8_t key[OIDC_KEY_LEN],
                     const char *redirect_uri, int64_t now, char state[OIDC_TOKEN_LEN + 1],
                     char *url, size_t urllen, char *why, size_t whylen);

/* What a callback established. */
struct oidc_result {
    enum oidc_failure failure;
    struct user user;                /* the account signed in (pwhash wiped) */
    bool created;                    /* made by this sign-in */
    bool linked;                     /* linked to the provider by this sign-in */
    char ticket[OIDC_TOKEN_LEN + 1]; /* for the browser's cookie */
};

/**
 * oidc_callback() - finish a sign-in (step 3 above). @state and @code are the callback's
 * query; @cookie_state the browser's; @error the provider's "error" parameter, or NULL. Returns
 * 0 with @out->ticket, or a failure: @out->failure says which, @why why (for the log: it names no
 * secret). SLOW (two requests to the provider).
 */
int oidc_callback(struct store *st, const struct config *cfg, const uint8_t key[OIDC_KEY_LEN],
                  const char *redirect_uri, const char *state, const char *cookie_state,
                  const char *code, const char *error, int64_t now, struct oidc_result *out,
                  char *why, size_t whylen);

/**
 * oidc_ticket_take() - consume @ticket: the account the provider vouched for into *@user_id,
 * and its expiry into *@expires (to put it back with oidc_ticket_restore() when what came
 * with it was refused). ERR_NOT_FOUND for an unknown, used or expired one.
 */
int oidc_ticket_take(struct store *st, const char *ticket, int64_t now, int64_t *user_id,
                     int64_t *expires);

/** oidc_ticket_restore() - put a taken ticket back until @expires. */
int oidc_ticket_restore(struct store *st, const char *ticket, int64_t user_id, int64_t expires,
                        int64_t now);

/** oidc_ticket_peek() - the account of @ticket without consuming it (ERR_NOT_FOUND). */
int oidc_ticket_peek(struct store *st, const char *ticket, int64_t now, int64_t *user_id);

/**
 * oidc_logout_url() - the provider's end-session URL for RP-initiated logout, with @client_id
 * and @post_logout_redirect_uri, into @out; "" when the provider names no end-session endpoint
 * (or it was never discovered by this process).
 */
void oidc_logout_url(const struct config *cfg, const char *post_logout_redirect_uri, char *out,
                     size_t len);

#endif
