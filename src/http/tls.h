/*
 * tls.h - HTTPS in the server itself ([tls] cert, key): an OpenSSL context made from PEM files,
 * handed to each accepted connection (libevent's OpenSSL bufferevents), and replaced on SIGHUP
 * without dropping a connection.
 *
 * The context speaks TLS 1.2 and 1.3 only, with the forward-secret AEAD suites of TLS 1.2
 * (ECDHE with AES-GCM or ChaCha20-Poly1305) and OpenSSL's TLS 1.3 suites; no compression, no
 * renegotiation, no session tickets; ALPN answers "http/1.1" (the only protocol here). A
 * handshake must end within [server] timeout (http/conn.c), however slowly it trickles in. A
 * certificate is refused when its key does not match it, when it has expired, or when it is not
 * valid yet: at start the server then does not start; on a reload the context in use is kept and
 * the reason logged.
 *
 * Connections hold a reference to the context they were accepted with: a reload changes what
 * new connections get, never a handshake or a keep-alive connection already under way. The
 * private key is read by OpenSSL into its own memory and freed with the last context holding it.
 */
#ifndef DISSENT_HTTP_TLS_H
#define DISSENT_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct tls;
struct bufferevent;
struct event_base;

/**
 * tls_new() - a context from the certificate chain @cert and the key @key (PEM files). 0 and
 * *@out, or ERR_INVALID (a file unreadable or wrong, the key not the certificate's, expired or
 * not yet valid; the reason in @err), ERR_NOMEM.
 */
int tls_new(const char *cert, const char *key, struct tls **out, char *err, size_t errlen);

/**
 * tls_reload() - read @cert and @key again into a new context that replaces @t's for the
 * connections accepted from now on. On failure @t is unchanged and @err says why. Any thread.
 */
int tls_reload(struct tls *t, const char *cert, const char *key, char *err, size_t errlen);

/**
 * tls_describe() - the certificate in use, for the log: its subject and the end of its validity
 * ("CN=dissent.example, valid until 2027-03-01T12:00:00Z").
 */
void tls_describe(struct tls *t, char *out, size_t len);

/**
 * tls_bufferevent() - the accepted socket @fd as a TLS server connection on @base (its
 * handshake runs on the loop like any read), closed with it; NULL when out of memory (libevent
 * then owns what is left of @fd: it is not used again).
 */

struct bufferevent *tls_bufferevent(struct tls *t, struct event_base *base, int fd);

/** tls_is() - whether @bev is a TLS connection. */
bool tls_is(struct bufferevent *bev);

/**
 * tls_close_notify() - before a connection's write side is shut: TLS's close_notify, when @bev
 * is a TLS connection (nothing otherwise).
 */
void tls_close_notify(struct bufferevent *bev);

/** tls_free() - release @t (sessions still open keep their context until they end). */
void tls_free(struct tls *t);

#endif
