/*
 * server.h - `dissent serve`: N event-loop threads (libevent), each with its own listening
 * socket on one shared port (SO_REUSEPORT) and its own handler context (http/handler.h: the
 * API's holds a database connection), plus a pool of threads for slow work. Limits on header size,
 * body size and connection time come from the configuration. SIGTERM or SIGINT stops accepting,
 * lets in-flight requests finish (up to the grace period), then frees every thread's handler
 * context.
 */
#ifndef DISSENT_HTTP_SERVER_H
#define DISSENT_HTTP_SERVER_H

#include "http/handler.h"
#include "util/config.h"

/**
 * server_run() - serve with @h (http/handler.h) until a signal; @cfg's [server] settings say
 * where and within which limits. Prints "listening on http://HOST:PORT" on stdout once ready.
 * Returns 0 after a clean shutdown, or an error code if start-up failed.
 */
int server_run(const struct config *cfg, const struct http_handler *h);

#endif
