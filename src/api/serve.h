/*
 * serve.h - the API as the HTTP server's handler (http/handler.h): every event-loop and pool
 * thread gets its own environment (a database connection under the integrity key, api.h's
 * struct api_env), each request an api_req and api_resp, and a JSON answer is rendered here.
 * src/cmd/serve.c wires it into server_run().
 */
#ifndef DISSENT_API_SERVE_H
#define DISSENT_API_SERVE_H

#include "core/channel.h"
#include "http/handler.h"
#include "util/config.h"

/* What each thread's environment is made from; shared read-only, it outlives the server. */
struct api_serve {
    const struct config *cfg;
    const char *store_uri;    /* the database (store_open()), already migrated */
    const struct channel *ch; /* deadlines, calendar, channel keys, clock */
};

/** api_handler() - the handler that serves the API from @s. */
void api_handler(const struct api_serve *s, struct http_handler *out);

#endif
