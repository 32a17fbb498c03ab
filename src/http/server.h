/*
 * server.h - `dissent serve`: N event-loop threads (libevent), each with its own listening
 * socket on one shared port (SO_REUSEPORT) and its own database connection, plus a pool of
 * threads for slow work. Limits on header size, body size and connection time come from the
 * configuration. SIGTERM or SIGINT stops accepting, lets in-flight requests finish (up to the
 * grace period), then closes the database connections cleanly.
 */
#ifndef DISSENT_HTTP_SERVER_H
#define DISSENT_HTTP_SERVER_H

#include "core/channel.h"
#include "util/config.h"

/**
 * server_run() - serve until a signal; @store_uri names the database (see store_open()); the
 * schema must already be migrated. @ch is shared read-only by every thread. Prints "listening on
 * http://HOST:PORT" on stdout once ready. Returns 0 after a clean shutdown, or an error code if
 * start-up failed.
 */
int server_run(const struct config *cfg, const char *store_uri, const struct channel *ch);

#endif
