/*
 * fetch.h - the server's own HTTP requests (libcurl): an OpenID provider's discovery document,
 * its key set and its token endpoint (core/oidc.h), and the witnesses' add-checkpoint
 * (core/cosigning.h).
 *
 * Only https URLs, or http to a loopback address (127.0.0.0/8, ::1, localhost: a provider on the
 * same machine, and the tests'); redirects are never followed; the peer's certificate is
 * verified (against @ca_file when given, else the system's store); every request has a
 * deadline and every answer a size limit, so that a slow or hostile endpoint cannot hold a
 * thread or fill memory. No cookie is kept between requests. Thread safe once fetch_init() ran.
 */
#ifndef DISSENT_NET_FETCH_H
#define DISSENT_NET_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#define FETCH_URL_MAX 2048    /* bytes of a URL fetched */
#define FETCH_TIMEOUT_MS 8000 /* a request's whole deadline, connection included */

/* An answer: its status and body (NUL-terminated, for JSON parsers), which the caller frees
 * with fetch_release(). */
struct fetch_resp {
    long status;
    char *body;
    size_t len;
    char content_type[128]; /* the media type, lower case, parameters dropped; "" when none */
};

/** fetch_init() - libcurl's global set-up, once per process before any thread fetches. */
int fetch_init(void);

/**
 * fetch_url_allowed() - whether @url may be fetched: an absolute https URL, or http to a
 * loopback address, with a host, no user information and no fragment, at most FETCH_URL_MAX
 * bytes (libcurl's URL parser decides what the parts are).
 */
bool fetch_url_allowed(const char *url);

/**
 * fetch_get() - GET @url (fetch_url_allowed()), asking for JSON. At most @max bytes of body.
 * Returns 0 with any status (the caller judges it), or ERR_INVALID (URL refused), ERR_TOO_LARGE
 * (answer over @max), ERR_IO (no answer: @err says why), ERR_NOMEM.
 */
int fetch_get(const char *url, const char *ca_file, size_t max, struct fetch_resp *out, char *err,
              size_t errlen);

/**
 * fetch_post_form() - POST the application/x-www-form-urlencoded @form to @url, with HTTP
 * Basic credentials @user and @pass when @user is not NULL (each form-urlencoded first, as
 * OAuth 2.0's client authentication wants: RFC 6749, 2.3.1). As fetch_get() otherwise.
 */
int fetch_post_form(const char *url, const char *ca_file, const char *form, const char *user,
                    const char *pass, size_t max, struct fetch_resp *out, char *err, size_t errlen);

/**
 * fetch_post() - POST @body[0..@len) of media type @ctype to @url. As fetch_get() otherwise.
 */
int fetch_post(const char *url, const char *ca_file, const char *ctype, const char *body,
               size_t len, size_t max, struct fetch_resp *out, char *err, size_t errlen);

/** fetch_release() - wipe and free @r's body. */
void fetch_release(struct fetch_resp *r);

/**
 * fetch_escape() - @s form-urlencoded (RFC 3986 unreserved characters kept, everything else
 * %XX) into a new string (mem_free()), or NULL when out of memory.
 */
char *fetch_escape(const char *s);

#endif
