#include "http/tls.h"

/* OpenSSL's type ERR_STATE would clash with util/err.h's code of that name: renamed, unused */
#define ERR_STATE openssl_err_state
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#undef ERR_STATE

#include "util/err.h"
#include "util/mem.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* TLS 1.2's suites: forward secret, authenticated encryption (TLS 1.3's are OpenSSL's). */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"     \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls {
    pthread_mutex_t lock; /* guards @ctx */
    SSL_CTX *ctx;         /* what new connections get */
};

/* OpenSSL's first queued error as text after @what, in @err; the queue is emptied. */
static void ssl_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256] = "";

    if (e != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        err_set(err, errlen, "%s (%s)", what, buf);
    } else {
        err_set(err, errlen, "%s", what);
    }
    ERR_clear_error();
}

/* ALPN: HTTP/1.1 when the client offers it; otherwise no ALPN at all (the client decides). */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *sel = NULL;

    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* "2027-03-01T12:00:00Z" for @t, or "?" */
static void when(const ASN1_TIME *t, char *out, size_t len)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
        strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, len, "?");
}

static int make_ctx(const char *cert, const char *key, SSL_CTX **out, char *err, size_t errlen)
{
    SSL_CTX *ctx;
    X509 *x;
    char t[32];

    ERR_clear_error();
    if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
        return ERR_NOMEM;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    /* no session tickets: their key would live as long as the context (until a reload), and
     * whoever later held it could read every recorded TLS 1.2 session it resumed */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
        ssl_error(err, errlen, "tls: the cipher list");
        SSL_CTX_free(ctx);
        return ERR_INTERNAL;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        ssl_error(err, errlen, "tls.cert: cannot read a PEM certificate chain");
        goto bad;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            ssl_error(err, errlen, "tls.key: not the key of tls.cert's certificate");
        else
            ssl_error(err, errlen, "tls.key: cannot read a PEM private key");
        goto bad;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_error(err, errlen, "tls.key: not the key of tls.cert's certificate");
        goto bad;
    }
    x = SSL_CTX_get0_certificate(ctx);
    if (x == NULL) {
        err_set(err, errlen, "tls.cert: no certificate");
        goto bad;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
        when(X509_get0_notAfter(x), t, sizeof(t));
        err_set(err, errlen, "tls.cert: the certificate expired on %s", t);
        goto bad;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0) {
        when(X509_get0_notBefore(x), t, sizeof(t));
        err_set(err, errlen, "tls.cert: the certificate is not valid before %s", t);
        goto bad;
    }
    *out = ctx;
    return 0;
bad:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return ERR_INVALID;
}

int tls_new(const char *cert, const char *key, struct tls **out, char *err, size_t errlen)
{
    struct tls *t;
    int rc;

    if ((t = mem_calloc(1, sizeof(*t))) == NULL)
        return ERR_NOMEM;
    if ((rc = make_ctx(cert, key, &t->ctx, err, errlen)) != 0) {
        mem_free(t);
        return rc;
    }
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return 0;
}

int tls_reload(struct tls *t, const char *cert, const char *key, char *err, size_t errlen)
{
    SSL_CTX *ctx = NULL, *old;
    int rc;

    if ((rc = make_ctx(cert, key, &ctx, err, errlen)) != 0)
        return rc;
    pthread_mutex_lock(&t->lock);
    old = t->ctx;
    t->ctx = ctx;
    pthread_mutex_unlock(&t->lock);
    SSL_CTX_free(old); /* the sessions made from it hold their own references */
    return 0;
}

void tls_describe(struct tls *t, char *out, size_t len)
{
    X509 *x;
    BIO *b;
    char subject[256] = "?", until[32] = "?";
    int n;

    pthread_mutex_lock(&t->lock);
    x = SSL_CTX_get0_certificate(t->ctx);
    if (x != NULL && (b = BIO_new(BIO_s_mem())) != NULL) {
        if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0 &&
            (n = BIO_read(b, subject, (int)sizeof(subject) - 1)) > 0)
            subject[n] = '\0';
        BIO_free(b);
        when(X509_get0_notAfter(x), until, sizeof(until));
    }
    pthread_mutex_unlock(&t->lock);
    snprintf(out, len, "%s, valid until %s", subject, until);
}

struct bufferevent *tls_bufferevent(struct tls *t, struct event_base *base, int fd)
{
    struct bufferevent *bev;
    SSL *ssl;

    pthread_mutex_lock(&t->lock);
    ssl = SSL_new(t->ctx); /* holds its own reference to the context */
    pthread_mutex_unlock(&t->lock);
    if (ssl == NULL) {
        evutil_closesocket(fd);
        return NULL;
    }
    bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) /* libevent freed the session (and, through its socket BIO, may have closed
                        @fd): neither is touched again here (out of memory only) */
        return NULL;
    /* a client that closes without TLS's close_notify ends its connection like any other */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

bool tls_is(struct bufferevent *bev)
{
    return bufferevent_openssl_get_ssl(bev) != NULL;
}

void tls_close_notify(struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);

    if (ssl != NULL)
        (void)SSL_shutdown(ssl);
}

void tls_free(struct tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    pthread_mutex_destroy(&t->lock);
    mem_free(t);
}
