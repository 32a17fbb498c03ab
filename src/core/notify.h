/*
 * notify.h - which emails a memo's life cycle sends, to whom, and what they say.
 *
 * Notifications are rows of the outbox (store.h), written in the transaction of the change they
 * tell of, so a change and its emails are committed together or not at all; core/mailer.h sends
 * them. An officer's email says what happened, the memo's public id, the deadline and a link to
 * the memo ([mail] base_url); every other email (drafter, co-signer, principal) is neutral, the
 * same for every event and memo. Never a title, a text, a reason or a name.
 *
 * Nothing is queued unless [mail] enabled is true, nor for accounts without an email address or
 * disabled, nor to the user whose own action it reports.
 */
#ifndef DISSENT_CORE_NOTIFY_H
#define DISSENT_CORE_NOTIFY_H

#include "core/channel.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Kinds of notification (bits of notify_prefs.off). */
#define NOTIFY_FILED (1u << 0)    /* to officers: a new memo to acknowledge (mandatory) */
#define NOTIFY_REMINDER (1u << 1) /* to officers: a deadline is one working day away */
#define NOTIFY_ESCALATION                                                                          \
    (1u << 2)                         /* to officers and [mail] escalation: a deadline passed      \
                                         (mandatory) */
#define NOTIFY_ACKNOWLEDGED (1u << 3) /* to the drafter */
#define NOTIFY_EXTENDED (1u << 4)     /* to the drafter, with the new date */
#define NOTIFY_REPLIED (1u << 5)      /* to the drafter */
#define NOTIFY_CLOSED (1u << 6)       /* to the drafter */
#define NOTIFY_INVITED (1u << 7)      /* to an invited co-signer */
#define NOTIFY_DISTRIBUTED (1u << 8)  /* to a principal */
#define NOTIFY_COMMENT (1u << 9)      /* to everyone who reads a memo's thread, but its author */
#define NOTIFY_SIGNATURE (1u << 10)   /* to the drafter: a co-signer signed, declined or withdrew */
#define NOTIFY_VOIDED (1u << 11)      /* to a co-signer: a reopening voided their signature */
#define NOTIFY_PROGRESS                                                                            \
    (1u << 12) /* to a co-signer: a memo they signed was filed, declined, withdrawn, answered or   \
                  closed */
#define NOTIFY_DECLINED (1u << 13)  /* to the drafter: the memo was declined */
#define NOTIFY_WITHDRAWN (1u << 14) /* to officers: a memo was withdrawn, nothing more to do */
#define NOTIFY_LATE (1u << 15)      /* to the drafter: the channel is late on their memo */
#define NOTIFY_ASSIGNED (1u << 16)  /* to an officer: a memo was assigned to them */
#define NOTIFY_INTERIM (1u << 17)   /* to the drafter: an interim answer */
#define NOTIFY_RESPONSE                                                                            \
    (1u << 18) /* to officers: the drafter accepted the reply or asked for                         \
                  clarification */
#define NOTIFY_REVIEW                                                                              \
    (1u << 19) /* to an officer: asked to clear a reply's draft, a draft submitted to the head     \
                  for approval, or returned by the head to the case officer */
#define NOTIFY_ALL 0xfffffu
#define NOTIFY_MANDATORY (NOTIFY_FILED | NOTIFY_ESCALATION)
#define NOTIFY_OPTIONAL (NOTIFY_ALL & ~NOTIFY_MANDATORY)

/** notify_kind_name() - "filed", "reminder", ... for one NOTIFY_* bit; NULL for anything else. */
const char *notify_kind_name(unsigned kind);

/** notify_kind_parse() - the NOTIFY_* bit called @name; 0 when none. */
unsigned notify_kind_parse(const char *name);

/** notify_kinds_for() - the kinds a user with @roles (core/user.h) can receive. */
unsigned notify_kinds_for(unsigned roles);

/**
 * notify_event() - queue the emails that memo event @event of @m sends, inside the caller's
 * transaction, before the change's own writes:
 *   filed                officers (NOTIFY_FILED), co-signers (NOTIFY_PROGRESS)
 *   acknowledged, extended, interim  the drafter
 *   replied, closed      the drafter, co-signers (NOTIFY_PROGRESS)
 *   declined             the drafter (NOTIFY_DECLINED), co-signers (NOTIFY_PROGRESS)
 *   withdrawn            officers (NOTIFY_WITHDRAWN), co-signers (NOTIFY_PROGRESS)
 *   accepted, clarification  officers (NOTIFY_RESPONSE), co-signers (NOTIFY_PROGRESS)
 *   addendum             the original memo's co-signers (NOTIFY_PROGRESS); the officers hear of
 *                        the addendum when it is filed, as of any memo
 *   reopened             each co-signer whose signature it voids (NOTIFY_VOIDED)
 *   invitation_declined  the drafter (NOTIFY_SIGNATURE)
 * others queue nothing. Co-signers are those holding a valid signature, the drafter aside.
 * @actor_id: who made the change (not told of it). Returns 0 or a store error.
 */
int notify_event(struct store *st, const struct channel *ch, const struct memo *m,
                 const char *event, int64_t actor_id, int64_t now);

/**
 * notify_member() - queue the email telling @u that they were invited to co-sign @m
 * (NOTIFY_INVITED) or that @m was distributed to them (NOTIFY_DISTRIBUTED), inside the caller's
 * transaction. Returns 0 or a store error.
 */
int notify_member(struct store *st, const struct channel *ch, const struct memo *m,
                  const struct user *u, unsigned kind, int64_t now);

/**
 * notify_signature() - queue the email telling the drafter of @m that a co-signer (@actor_id)
 * signed or withdrew their signature (NOTIFY_SIGNATURE), inside the caller's transaction.
 */
int notify_signature(struct store *st, const struct channel *ch, const struct memo *m,
                     int64_t actor_id, int64_t now);

/**
 * notify_assigned() - queue the email telling officer @u that @m was assigned to them
 * (NOTIFY_ASSIGNED, the officers' template), unless they assigned it to themselves.
 */
int notify_assigned(struct store *st, const struct channel *ch, const struct memo *m,
                    const struct user *u, int64_t actor_id, int64_t now);

/**
 * notify_review() - queue the email telling officer @u that a reply's draft of @m needs them
 * (NOTIFY_REVIEW, the officers' template): to clear it, to approve it, or returned to them.
 */
int notify_review(struct store *st, const struct channel *ch, const struct memo *m,
                  const struct user *u, int64_t actor_id, int64_t now);

/**
 * notify_comment() - queue the emails telling everyone who reads @m's thread but its author
 * (@actor_id) that a comment was posted (NOTIFY_COMMENT): the drafter, invited co-signers who
 * have not declined, and once it is filed the officers and the principals it was distributed
 * to. Inside the caller's transaction.
 */
int notify_comment(struct store *st, const struct channel *ch, const struct memo *m,
                   int64_t actor_id, int64_t now);

/**
 * notify_reset() - queue the email telling @u that an administrator reset their account at @now
 * (core/enrol.h), inside the reset's transaction: mandatory, and naming no memo. Whoever did not
 * ask for it learns that someone may enrol in their place, and tells the officers.
 */
int notify_reset(struct store *st, const struct channel *ch, const struct user *u, int64_t now);

/**
 * notify_deadlines() - queue what memos awaiting acknowledgement or a reply call for at @now,
 * the escalation ladder:
 *   1. from one working day before a deadline to the deadline itself: a reminder to the officer
 *      assigned to the memo, or to every officer while none is (NOTIFY_REMINDER);
 *   2. from the day after it: an escalation to every officer and to [mail] escalation (the head
 *      of the channel), and the drafter is told the channel is late (NOTIFY_LATE);
 *   3. [mail] escalate_principals working days after the first escalation: an escalation to the
 *      [channel] principals as well;
 * each rung sent again every [mail] escalation_repeat working days until the memo moves on.
 * Each email is queued once per memo, deadline, rung, round and recipient whatever the number of
 * calls or servers (the outbox's dedupe key). Run by the leading server. Returns 0 or a store
 * error.
 */
int notify_deadlines(struct store *st, const struct channel *ch, int64_t now);

#endif
