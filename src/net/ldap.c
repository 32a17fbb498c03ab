#include "net/ldap.h"

#include "util/err.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <ldap.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ATTRS_MAX 8

struct netldap {
    LDAP *ld;
};

/* Whether @host is a loopback address or "localhost". */
static bool loopback(const char *host)
{
    unsigned char a[16];

    if (host == NULL || strcasecmp(host, "localhost") == 0)
        return host != NULL;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, in6addr_loopback.s6_addr, 16) == 0;
}

bool netldap_url_allowed(const char *url, bool starttls)
{
    LDAPURLDesc *d = NULL;
    bool ok = false;

    if (url == NULL || strlen(url) > 1024 || ldap_url_parse(url, &d) != LDAP_URL_SUCCESS)
        return false;
    /* a server, nothing more: no DN, attributes or filter in it */
    if (d->lud_host != NULL && d->lud_host[0] != '\0' &&
        (d->lud_dn == NULL || d->lud_dn[0] == '\0') && d->lud_attrs == NULL &&
        d->lud_filter == NULL) {
        if (strcasecmp(d->lud_scheme, "ldaps") == 0)
            ok = true;
        else if (strcasecmp(d->lud_scheme, "ldap") == 0)
            ok = starttls || loopback(d->lud_host);
    }
    ldap_free_urldesc(d);
    return ok;
}

static void set_timeouts(LDAP *ld)
{
    struct timeval tv = {.tv_sec = NETLDAP_TIMEOUT, .tv_usec = 0};

    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
}

int netldap_open(const struct netldap_params *p, struct netldap **out, char *err, size_t errlen)
{
    struct netldap *c = NULL;
    struct berval cred;
    int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, lr;

    *out = NULL;
    if (!netldap_url_allowed(p->url, p->starttls)) {
        err_set(err, errlen, "refused URL (ldaps://, or ldap:// with StartTLS)");
        return ERR_INVALID;
    }
    if ((c = mem_calloc(1, sizeof(*c))) == NULL)
        return ERR_NOMEM;
    if ((lr = ldap_initialize(&c->ld, p->url)) != LDAP_SUCCESS) {
        err_set(err, errlen, "%s", ldap_err2string(lr));
        mem_free(c);
        return ERR_INVALID;
    }
    ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF); /* no other server is asked */
    set_timeouts(c->ld);
    /* TLS: the certificate must verify; a context of this connection's own */
    ldap_set_option(c->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    if (p->ca_file != NULL && p->ca_file[0] != '\0')
        ldap_set_option(c->ld, LDAP_OPT_X_TLS_CACERTFILE, p->ca_file);
    ldap_set_option(c->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
    if (strncasecmp(p->url, "ldap:", 5) == 0 && p->starttls &&
        (lr = ldap_start_tls_s(c->ld, NULL, NULL)) != LDAP_SUCCESS) {
        err_set(err, errlen, "StartTLS: %s", ldap_err2string(lr));
        netldap_close(c);
        return ERR_IO;
    }
    cred.bv_val = (char *)(p->password ? p->password : "");
    cred.bv_len = strlen(cred.bv_val);
    lr = ldap_sasl_bind_s(c->ld, p->bind_dn ? p->bind_dn : "", LDAP_SASL_SIMPLE, &cred, NULL, NULL,
                          NULL);
    if (lr != LDAP_SUCCESS) {
        err_set(err, errlen, "bind as %.200s: %s", p->bind_dn ? p->bind_dn : "(anonymous)",
                ldap_err2string(lr));
        netldap_close(c);
        return lr == LDAP_INVALID_CREDENTIALS || lr == LDAP_INAPPROPRIATE_AUTH ||
                       lr == LDAP_INSUFFICIENT_ACCESS
                   ? ERR_UNAUTH
                   : ERR_IO;
    }
    *out = c;
    return 0;
}

/* The usable values of @attr in @e, as a NULL-terminated array (mem_free() each, then it). */
static char **values_of(LDAP *ld, LDAPMessage *e, const char *attr)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    size_t n = v ? (size_t)ldap_count_values_len(v) : 0, k = 0;
    char **out = mem_calloc(n + 1, sizeof(*out));

    for (size_t i = 0; out != NULL && i < n; i++) {
        if (v[i]->bv_len > NETLDAP_VALUE_MAX || memchr(v[i]->bv_val, '\0', v[i]->bv_len) != NULL)
            continue;
        if ((out[k] = mem_alloc(v[i]->bv_len + 1)) == NULL)
            break;
        memcpy(out[k], v[i]->bv_val, v[i]->bv_len);
        out[k][v[i]->bv_len] = '\0';
        k++;
    }
    ldap_value_free_len(v);
    return out;
}

static void values_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        mem_free(v[i]);
    mem_free(v);
}

int netldap_search(struct netldap *c, const char *base, const char *filter,
                   const char *const *attrs, netldap_entry_fn fn, void *arg, char *err,
                   size_t errlen)
{
    struct berval cookie = {0, NULL};
    struct timeval tv = {.tv_sec = NETLDAP_TIMEOUT, .tv_usec = 0};
    size_t nattrs = 0, seen = 0, pages = 0;
    int rc = 0;

    while (attrs[nattrs] != NULL)
        nattrs++;
    if (nattrs > ATTRS_MAX)
        return ERR_INTERNAL;
    do {
        LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL}, **got = NULL, *resp;
        LDAPMessage *res = NULL;
        int lr, code = 0;

        /* critical: a server that cannot page refuses, rather than answering a part */
        if (++pages > NETLDAP_ENTRIES_MAX / 10) { /* (a server may give smaller pages) */
            err_set(err, errlen, "too many pages under %.200s", base);
            rc = ERR_TOO_LARGE;
            break;
        }
        if ((lr = ldap_create_page_control(c->ld, NETLDAP_PAGE, cookie.bv_val ? &cookie : NULL, 1,
                                           &page)) != LDAP_SUCCESS) {
            err_set(err, errlen, "paged search: %s", ldap_err2string(lr));
            rc = ERR_IO;
            break;
        }
        ctrls[0] = page;
        lr = ldap_search_ext_s(c->ld, base, LDAP_SCOPE_SUBTREE, filter, (char **)attrs, 0, ctrls,
                               NULL, &tv, 0, &res);
        ldap_control_free(page);
        if (cookie.bv_val != NULL) {
            ber_memfree(cookie.bv_val);
            cookie.bv_val = NULL;
            cookie.bv_len = 0;
        }
        /* a part of the answer (a size or time limit) is not the directory: refused whole */
        if (lr != LDAP_SUCCESS) {
            err_set(err, errlen, "search under %.200s: %s%s", base, ldap_err2string(lr),
                    lr == LDAP_SIZELIMIT_EXCEEDED || lr == LDAP_TIMELIMIT_EXCEEDED
                        ? " (a partial answer is not used)"
                        : "");
            ldap_msgfree(res);
            rc = ERR_IO;
            break;
        }
        for (LDAPMessage *e = ldap_first_entry(c->ld, res); e != NULL && rc == 0;
             e = ldap_next_entry(c->ld, e)) {
            char *dn = ldap_get_dn(c->ld, e);
            char **vals[ATTRS_MAX + 1] = {NULL};
            if (++seen > NETLDAP_ENTRIES_MAX) {
                err_set(err, errlen, "over %d entries under %.200s", NETLDAP_ENTRIES_MAX, base);
                rc = ERR_TOO_LARGE;
            }
            for (size_t i = 0; i < nattrs && rc == 0; i++)
                if ((vals[i] = values_of(c->ld, e, attrs[i])) == NULL)
                    rc = ERR_NOMEM;
            if (rc == 0 && dn != NULL)
                rc = fn(arg, dn, (char *const *const *)vals);
            for (size_t i = 0; i < nattrs; i++)
                values_free(vals[i]);
            ldap_memfree(dn);
        }
        /* the next page, when the server says there is one; the page's own result code must be
         * success too (a limit met part way is a partial answer) */
        if (rc == 0 &&
            ldap_parse_result(c->ld, res, &code, NULL, NULL, NULL, &got, 0) != LDAP_SUCCESS) {
            err_set(err, errlen, "search under %.200s: an answer that does not parse", base);
            rc = ERR_IO;
        } else if (rc == 0 && code != LDAP_SUCCESS) {
            err_set(err, errlen, "search under %.200s: %s (a partial answer is not used)", base,
                    ldap_err2string(code));
            rc = ERR_IO;
        } else if (rc == 0 &&
                   (resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, got, NULL)) != NULL) {
            ber_int_t count = 0;
            if (ldap_parse_pageresponse_control(c->ld, resp, &count, &cookie) != LDAP_SUCCESS) {
                /* where the next page is cannot be known: not the whole answer */
                cookie.bv_val = NULL;
                cookie.bv_len = 0;
                err_set(err, errlen, "search under %.200s: a paging answer that does not parse",
                        base);
                rc = ERR_IO;
            }
        }
        ldap_controls_free(got);
        ldap_msgfree(res);
    } while (rc == 0 && cookie.bv_val != NULL && cookie.bv_len > 0);
    if (cookie.bv_val != NULL)
        ber_memfree(cookie.bv_val);
    return rc;
}

void netldap_close(struct netldap *c)
{
    if (c == NULL)
        return;
    if (c->ld != NULL)
        ldap_unbind_ext_s(c->ld, NULL, NULL);
    mem_free(c);
}
