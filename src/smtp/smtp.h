/*
 * smtp.h - the server's SMTP client: one conversation per message over libcurl, protocols smtp
 * and smtps only, with the [mail] settings (util/config.h): STARTTLS when offered (auto),
 * required (always) or TLS from the start (implicit); the server's certificate and name checked
 * ([mail] ca_file for a private CA); credentials never in the clear unless starttls = never.
 *
 * An adapter, like the stores: core never includes it. core/mailer.h composes each message and
 * is given smtp_send() as its transport by src/cmd/serve.c.
 */
#ifndef DISSENT_SMTP_SMTP_H
#define DISSENT_SMTP_SMTP_H

#include "util/config.h"

#include <stddef.h>

/**
 * smtp_global_init() - libcurl's global initialisation (its allocations through util/mem.h).
 * Call once before any other thread starts (it is not thread safe). 0 or ERR_INTERNAL.
 */
int smtp_global_init(void);

/** smtp_global_cleanup() - undo smtp_global_init(), once every sender has stopped. */
void smtp_global_cleanup(void);

/**
 * smtp_send() - one SMTP conversation delivering @msg (@len bytes: headers and body, CRLF lines)
 * from @from to @rcpt (bare addresses), per @cfg's [mail] settings. Returns 0 when the server
 * accepted it, else ERR_IO with a short reason in @err (never content or credentials).
 */
int smtp_send(const struct config *cfg, const char *from, const char *rcpt, const char *msg,
              size_t len, char *err, size_t errlen);

#endif
