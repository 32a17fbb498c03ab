/*
 * mailer.h - the sender of the email outbox (store.h, core/notify.h) through an SMTP server
 * ([mail] in docs/config.md): the messages are composed here, and leave through the transport
 * the caller gives (smtp/smtp.h, an adapter: core opens no socket).
 *
 * One thread per server with its own database connection. It works only while this server leads
 * the periodic work (core/housekeeping.h renews that with mailer_lead() each second it holds
 * store_leader()), so across servers sharing a database one sends. Every look at the outbox
 * ([mail] poll_interval) it queues the due reminders and escalations (notify_deadlines(), at most
 * every [mail] scan_interval), then claims each due email (store_outbox_claim(), a lease of twice
 * the SMTP timeout), sends it, and marks it sent, or schedules a retry with exponential backoff,
 * or marks it failed after [mail] max_attempts.
 *
 * Delivery is at least once: a crash between the SMTP server's acceptance and the mark sends the
 * email again after the lease, with the same Message-ID (one per outbox row), so duplicates can
 * be recognised. Nothing of an email's content is logged; the SMTP password never is.
 */
#ifndef DISSENT_CORE_MAILER_H
#define DISSENT_CORE_MAILER_H

#include "core/channel.h"
#include "store/store.h"
#include "util/config.h"

#include <stddef.h>
#include <stdint.h>

struct mailer;

/* How a message leaves: smtp/smtp.h's smtp_send(), given by the caller (core knows no socket). */
typedef int (*mailer_transport)(const struct config *cfg, const char *from, const char *rcpt,
                                const char *msg, size_t len, char *err, size_t errlen);

/**
 * mailer_check() - whether the [mail] settings of @cfg make sense together (enabled needs host,
 * from and base_url; backoff_base <= backoff_max). 0, or ERR_INVALID with the reason in @err.
 */
int mailer_check(const struct config *cfg, char *err, size_t errlen);

/**
 * mailer_start() - when [mail] enabled, start the sender thread on a connection of its own to
 * @uri, sending through @send. @cfg and @ch must outlive the mailer. *@out is NULL when mail is
 * off. Returns 0 or ERR_NOMEM / ERR_INTERNAL.
 */
int mailer_start(const struct config *cfg, const char *uri, const struct channel *ch,
                 mailer_transport send, struct mailer **out);

/**
 * mailer_reload() - send with @cfg's [mail] transport settings (server, port, STARTTLS, CA,
 * credentials, sender, timeout, poll, scan, backoff, attempts, batch) from the next batch on
 * (SIGHUP). @cfg is copied; it must have passed mailer_check(). A NULL @m (no mail) does nothing.
 * 0 or ERR_NOMEM.
 */
int mailer_reload(struct mailer *m, const struct config *cfg);

/** mailer_stop() - stop the thread (an SMTP conversation in progress ends first) and free. */
void mailer_stop(struct mailer *m);

/** mailer_lead() - this server leads the periodic work (called by housekeeping_tick());
 *  thread safe. */
void mailer_lead(void);

#endif
