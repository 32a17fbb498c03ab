/*
 * server.h - `dissent serve`: N event-loop threads (libevent), each with its own listening
 * socket on one shared port (SO_REUSEPORT) and its own handler context (http/handler.h: the
 * API's holds a database connection), plus a pool of threads for slow work. Limits on header size,
 * body size and connection time come from the configuration. With [tls] cert and key the
 * connections are HTTPS (http/tls.h). SIGTERM or SIGINT stops accepting, lets in-flight requests
 * finish (up to the grace period), then frees every thread's handler context. SIGHUP reloads:
 * the owner's part (server_hooks), then the TLS certificate, while requests go on being served.
 *
 * Under systemd (Type=notify) the server says READY=1 once it listens, RELOADING=1 and READY=1
 * around a reload, and STOPPING=1 when it begins to stop (sd_notify(3): nothing without
 * $NOTIFY_SOCKET).
 */
#ifndef DISSENT_HTTP_SERVER_H
#define DISSENT_HTTP_SERVER_H

#include "http/handler.h"
#include "util/config.h"

#include <stddef.h>

/* What the server's owner does on SIGHUP, on the signals' thread. */
struct server_hooks {
    /* read the settings again: apply what may change while serving and log what may not; leave
     * in @cert and @key (NUL-terminated, their sizes given) the TLS files to read from now on */
    void (*reload)(void *arg, char *cert, size_t certlen, char *key, size_t keylen);
    void *arg;
};

/**
 * server_run() - serve with @h (http/handler.h) until a signal; @cfg's [server] settings say
 * where and within which limits, its [tls] whether over HTTPS; @hooks (or NULL) what SIGHUP
 * does beyond reading the certificate again. Prints "listening on http://HOST:PORT" (https
 * with TLS) on stdout once ready. Returns 0 after a clean shutdown, or an error code if
 * start-up failed (a certificate refused included: the reason is logged and printed).
 */
int server_run(const struct config *cfg, const struct http_handler *h,
               const struct server_hooks *hooks);

#endif
