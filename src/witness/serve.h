/*
 * serve.h - `dissent witness serve`: the witness (witness/witness.h) as the HTTP server's handler
 * (http/handler.h), answering c2sp.org/tlog-witness's add-checkpoint and its monitoring call.
 */
#ifndef DISSENT_WITNESS_SERVE_H
#define DISSENT_WITNESS_SERVE_H

#include "http/handler.h"
#include "witness/witness.h"

/* What the handler serves; it outlives the server. */
struct witness_serve {
    struct witness *w;
};

/** witness_handler() - the handler that serves @s. */
void witness_handler(struct witness_serve *s, struct http_handler *out);

#endif
