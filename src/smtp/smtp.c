#include "smtp/smtp.h"

#include "util/err.h"
#include "util/mem.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

/* The message being uploaded by libcurl's read callback. */
struct upload {
    const char *p;
    size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nitems, left = u->len - u->off;

    if (n > left)
        n = left;
    memcpy(buf, u->p + u->off, n);
    u->off += n;
    return n;
}

int smtp_global_init(void)
{
    return curl_global_init_mem(CURL_GLOBAL_ALL, mem_alloc, mem_free, mem_realloc, mem_strdup,
                                mem_calloc) == CURLE_OK
               ? 0
               : ERR_INTERNAL;
}

void smtp_global_cleanup(void)
{
    curl_global_cleanup();
}

int smtp_send(const struct config *cfg, const char *from_addr, const char *rcpt_addr,
              const char *msg, size_t len, char *err, size_t errlen)
{
    struct curl_slist *rcpt = NULL;
    struct upload up = {.p = msg, .len = len};
    char url[300], to[260], from[sizeof(cfg->mail_from) + 2]; /* addresses: at most 254 */
    CURL *c = NULL;
    CURLcode cc;
    long code = 0;
    int rc = ERR_IO;

    snprintf(url, sizeof(url), "%s://%s%s%s:%d",
             cfg->mail_starttls == MAIL_TLS_IMPLICIT ? "smtps" : "smtp",
             strchr(cfg->mail_host, ':') ? "[" : "", cfg->mail_host,
             strchr(cfg->mail_host, ':') ? "]" : "", cfg->mail_port);
    snprintf(to, sizeof(to), "<%s>", rcpt_addr);
    snprintf(from, sizeof(from), "<%s>", from_addr);
    if ((c = curl_easy_init()) == NULL || (rcpt = curl_slist_append(NULL, to)) == NULL) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->mail_timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg->mail_timeout);
    /* auto: STARTTLS when offered, but never credentials in the clear: with a username, auto
     * requires it (a server without STARTTLS, or one whose offer was stripped, gets nothing) */
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     cfg->mail_starttls == MAIL_TLS_NEVER ? (long)CURLUSESSL_NONE
                     : cfg->mail_starttls == MAIL_TLS_AUTO && cfg->mail_username[0] == '\0'
                         ? (long)CURLUSESSL_TRY
                         : (long)CURLUSESSL_ALL);
    if (cfg->mail_ca_file[0] != '\0')
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->mail_ca_file);
    if (cfg->mail_username[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->mail_password);
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE, (long)len);
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OK)
        rc = 0;
    else
        err_set(err, errlen, "%s (SMTP %ld)", curl_easy_strerror(cc), code);
out:
    curl_slist_free_all(rcpt);
    if (c != NULL)
        curl_easy_cleanup(c);
    return rc;
}
