/*
 * cookie.h - reading one cookie from a Cookie header and writing the session cookie.
 */
#ifndef DISSENT_HTTP_COOKIE_H
#define DISSENT_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_SESSION_COOKIE "dissent_session"
/* behind TLS: the __Host- prefix makes browsers refuse it unless Secure, Path=/ and without a
 * Domain, so a sibling subdomain (or a plain-HTTP page) can never set or shadow it */
#define HTTP_SESSION_COOKIE_TLS "__Host-dissent_session"

/** http_session_cookie_name() - the session cookie's name, behind TLS (@secure) or not. */
const char *http_session_cookie_name(bool secure);

/**
 * http_cookie_get() - copy the value of cookie @name from the Cookie header @header into @out.
 * Returns 0, ERR_NOT_FOUND, or ERR_TOO_LARGE when the value does not fit @outlen.
 */
int http_cookie_get(const char *header, const char *name, char *out, size_t outlen);

/**
 * http_cookie_session() - format a Set-Cookie value for the session cookie: @token with
 * @max_age seconds, or an expired empty cookie when @token is NULL. HttpOnly, SameSite=Strict,
 * Path=/, and when @secure, Secure and the name HTTP_SESSION_COOKIE_TLS.
 */
void http_cookie_session(char *out, size_t outlen, const char *token, int max_age, bool secure);

#define HTTP_SSO_COOKIE "dissent_sso"
#define HTTP_SSO_COOKIE_TLS "__Secure-dissent_sso"

/** http_sso_cookie_name() - the single sign-on cookie's name, behind TLS (@secure) or not. */
const char *http_sso_cookie_name(bool secure);

/**
 * http_cookie_sso() - a Set-Cookie value for the single sign-on cookie (core/oidc.h): @value
 * (a state, or a ticket, each with its prefix) for @max_age seconds, or an expired empty cookie
 * when @value is NULL. HttpOnly, Path=/api/v1/, and SameSite=Lax: the provider's redirect back
 * is a top-level navigation from its site, which a Strict cookie would not come with.
 */
void http_cookie_sso(char *out, size_t outlen, const char *value, int max_age, bool secure);

#endif
