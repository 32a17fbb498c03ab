/*
 * cookie.h - reading one cookie from a Cookie header and writing the session cookie.
 */
#ifndef DISSENT_HTTP_COOKIE_H
#define DISSENT_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_SESSION_COOKIE "dissent_session"

/**
 * http_cookie_get() - copy the value of cookie @name from the Cookie header @header into @out.
 * Returns 0, ERR_NOT_FOUND, or ERR_TOO_LARGE when the value does not fit @outlen.
 */
int http_cookie_get(const char *header, const char *name, char *out, size_t outlen);

/**
 * http_cookie_session() - format a Set-Cookie value for the session cookie: @token with
 * @max_age seconds, or an expired empty cookie when @token is NULL. HttpOnly, SameSite=Strict,
 * Path=/, and Secure when @secure.
 */
void http_cookie_session(char *out, size_t outlen, const char *token, int max_age, bool secure);

#endif
