#include "net/fetch.h"

#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int fetch_init(void)
{
    /* idempotent in libcurl (counted): the mailer may have run it too */
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : ERR_INTERNAL;
}

/* Whether @host (as libcurl's URL parser gives it: IPv6 in brackets) is a loopback address. */
static bool loopback(const char *host)
{
    unsigned char a[16];
    char v6[64];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n > 2 && n < sizeof(v6) + 2 && host[0] == '[' && host[n - 1] == ']') {
        memcpy(v6, host + 1, n - 2);
        v6[n - 2] = '\0';
        return inet_pton(AF_INET6, v6, a) == 1 && memcmp(a, in6addr_loopback.s6_addr, 16) == 0;
    }
    return false;
}

bool fetch_url_allowed(const char *url)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL, *user = NULL, *frag = NULL;
    bool ok = false;

    if (url == NULL || strlen(url) > FETCH_URL_MAX || strpbrk(url, " \t\r\n") != NULL)
        return false;
    if ((u = curl_url()) == NULL)
        return false;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
        curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_NO_FRAGMENT && host[0] != '\0')
        ok = strcmp(scheme, "https") == 0 || (strcmp(scheme, "http") == 0 && loopback(host));
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(frag);
    curl_url_cleanup(u);
    return ok;
}

/* The body being received, refusing more than its cap. */
struct sink {
    char *p;
    size_t len, cap, max;
    bool over;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;

    if (n > s->max - s->len) {
        s->over = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *q;
        while (cap < s->len + n + 1)
            cap *= 2;
        if ((q = mem_realloc(s->p, cap)) == NULL)
            return 0;
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, data, n);
    s->len += n;
    s->p[s->len] = '\0';
    return n;
}

char *fetch_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = mem_alloc(3 * n + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* One request: a GET, or a POST of @body[0..@blen) (of type @ctype; a form when NULL), with
 * Basic @user:@pass when @user is set. */
static int request(const char *url, const char *ca_file, const char *body, size_t blen,
                   const char *ctype, const char *user, const char *pass, size_t max,
                   struct fetch_resp *out, char *err, size_t errlen)
{
    struct sink s = {.max = max};
    struct curl_slist *hdr = NULL, *more;
    char ctline[128];
    char *eu = NULL, *ep = NULL, *ct = NULL;
    CURL *c = NULL;
    CURLcode cc;
    int rc = ERR_IO;

    memset(out, 0, sizeof(*out));
    if (!fetch_url_allowed(url)) {
        err_set(err, errlen, "refused URL (https only, or http to this machine)");
        return ERR_INVALID;
    }
    if ((c = curl_easy_init()) == NULL ||
        (hdr = curl_slist_append(NULL, ctype != NULL ? "Accept: */*"
                                                     : "Accept: application/json")) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if (ctype != NULL) {
        snprintf(ctline, sizeof(ctline), "Content-Type: %s", ctype);
        if ((more = curl_slist_append(hdr, ctline)) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        hdr = more;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)FETCH_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)FETCH_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dissent");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (ca_file != NULL && ca_file[0] != '\0')
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
    }
    if (user != NULL) {
        if ((eu = fetch_escape(user)) == NULL || (ep = fetch_escape(pass ? pass : "")) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, eu);
        curl_easy_setopt(c, CURLOPT_PASSWORD, ep);
    }
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (s.over || cc == CURLE_FILESIZE_EXCEEDED) {
            err_set(err, errlen, "the answer is over %zu bytes", max);
            rc = ERR_TOO_LARGE;
        } else {
            err_set(err, errlen, "%s", curl_easy_strerror(cc));
        }
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL) {
        size_t n = strcspn(ct, "; \t");
        if (n >= sizeof(out->content_type))
            n = sizeof(out->content_type) - 1;
        for (size_t i = 0; i < n; i++)
            out->content_type[i] = (char)tolower((unsigned char)ct[i]);
        out->content_type[n] = '\0';
    }
    if (s.p == NULL && (s.p = mem_calloc(1, 1)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    out->body = s.p;
    out->len = s.len;
    s.p = NULL;
    rc = 0;
out:
    if (s.p != NULL)
        explicit_bzero(s.p, s.len);
    mem_free(s.p);
    if (ep != NULL)
        explicit_bzero(ep, strlen(ep));
    mem_free(eu);
    mem_free(ep);
    curl_slist_free_all(hdr);
    if (c != NULL)
        curl_easy_cleanup(c);
    return rc;
}

int fetch_get(const char *url, const char *ca_file, size_t max, struct fetch_resp *out, char *err,
              size_t errlen)
{
    return request(url, ca_file, NULL, 0, NULL, NULL, NULL, max, out, err, errlen);
}

int fetch_post_form(const char *url, const char *ca_file, const char *form, const char *user,
                    const char *pass, size_t max, struct fetch_resp *out, char *err, size_t errlen)
{
    return request(url, ca_file, form, strlen(form), NULL, user, pass, max, out, err, errlen);
}

int fetch_post(const char *url, const char *ca_file, const char *ctype, const char *body,
               size_t len, size_t max, struct fetch_resp *out, char *err, size_t errlen)
{
    return request(url, ca_file, body, len, ctype, NULL, NULL, max, out, err, errlen);
}

void fetch_release(struct fetch_resp *r)
{
    if (r->body != NULL)
        explicit_bzero(r->body, r->len);
    mem_free(r->body);
    memset(r, 0, sizeof(*r));
}
