/*
 * workflow.h - the memo life cycle over the store: every operation checks the transition with
 * memo_transition(), applies it in one transaction with its timeline event, and computes
 * deadlines with the channel's calendar. Who may call what is decided before (the API's route
 * table with workflow_relation()); these functions re-check only what depends on the data
 * (drafter signs first, invitees must be staff, ...).
 *
 * Content (title, body, reasons, comments, the reply) is encrypted under the memo key before it
 * reaches the store (core/access.h); operations that need the key take it in wf_ctx.mkey. Every
 * change appends a read-audit record (core/audit.h) in the same transaction.
 *
 * Errors: ERR_STATE (illegal in the memo's state, or a rule of the state such as "drafter signs
 * first"; the message says which), ERR_FORBIDDEN (no content key may go to that account),
 * ERR_INVALID (a field; the message names it), ERR_CONFLICT (the memo changed meanwhile),
 * ERR_EXISTS (already signed), ERR_NOT_FOUND, store errors. A message for the caller goes to @err.
 */
#ifndef DISSENT_CORE_WORKFLOW_H
#define DISSENT_CORE_WORKFLOW_H

#include "core/channel.h"
#include "core/memo.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a user is to a memo (bits). A memo is visible to a user with any bit set. */
#define WF_DRAFTER 1u   /* wrote it */
#define WF_INVITED 2u   /* invited to co-sign it */
#define WF_PRINCIPAL 4u /* a principal it was distributed to */
#define WF_OFFICER 8u   /* an officer, and the memo is filed or later, and not recused */
#define WF_RECUSED                                                                                 \
    16u /* an officer who drafted the memo or was invited to co-sign it (and so                    \
           may have signed): no officer action on it (403 recused) */

#define WF_INVITE_MAX 1000 /* usernames in one invitation or distribution request */

/* One caller's context for an operation. */
struct wf_ctx {
    struct store *st;         /* this thread's connection */
    const struct channel *ch; /* deadlines, calendar, channel key */
    const struct user *actor; /* the signed-in user */
    int64_t now;              /* unix seconds on the channel's clock */
    const uint8_t *mkey;      /* the memo's content key, for operations that read or write
                                 content or share the key (NULL otherwise) */
    char *err;                /* message for the caller, may be NULL */
    size_t errlen;
};

struct user_keys;

/** workflow_relation() - @u's relation bits to @m (0: not visible). */
int workflow_relation(struct store *st, const struct memo *m, const struct user *u, unsigned *rel);

/**
 * workflow_create() - a new draft by the actor in channel @channel (core/channels.h; the caller
 * checked that it exists); *@out receives it (store_memo_release()).
 */
int workflow_create(struct wf_ctx *c, int64_t channel, const char *title, size_t title_len,
                    const char *body, size_t body_len, bool show_names, struct memo *out);

/**
 * workflow_addendum() - a new draft by @orig's drafter (the actor), an addendum to the closed memo
 * @orig (new facts after the answer): its own memo, signed and filed as any other with its own
 * clocks; the link is an addendum_of event on the new memo (its detail sealed under its key), and
 * an addendum event on @orig once it is filed (workflow_addendum_link()), so only their readers
 * see it, and officers only once it is filed. @c->mkey is @orig's key.
 * ERR_STATE unless @orig is closed; ERR_INVALID for a blank body; as workflow_create().
 */
int workflow_addendum(struct wf_ctx *c, struct memo *orig, const char *title, size_t title_len,
                      const char *body, size_t body_len, struct memo *out);

/**
 * workflow_addendum_link() - once @m is filed, if it is an addendum (its addendum_of event, opened
 * with @c->mkey), record the link on the original too (an "addendum" event sealed under the
 * original's key, opened through @kr, the drafter's keyring), which tells its co-signers; before
 * filing nobody but the drafter knows of it. ERR_NOT_FOUND when @m is no addendum.
 */
struct keyring;
int workflow_addendum_link(struct wf_ctx *c, struct keyring *kr, const struct memo *m);

/**
 * workflow_edit() - change title, body, the names setting and/or the channel (NULL, negative,
 * 0: unchanged) of a draft: a channel the caller checked the drafter may file to
 * (core/channels.h); nothing was shared with a channel before filing.
 */
int workflow_edit(struct wf_ctx *c, struct memo *m, const char *title, size_t title_len,
                  const char *body, size_t body_len, int show_names, int64_t channel);

/**
 * workflow_texts() - @m's title and body opened with @mkey: malloc'd, NUL-terminated (caller
 * wipes and frees), with their content version in *@version (may be NULL). Returns 0,
 * ERR_CRYPTO (a field the key does not open at its place, core/content.h), ERR_INTEGRITY (the
 * two are of different versions: the database mixed two edits; logged) or ERR_NOMEM; both NULL
 * then.
 */
int workflow_texts(const uint8_t *mkey, const struct memo *m, char **title, size_t *tl, char **body,
                   size_t *bl, uint64_t *version);

/**
 * workflow_shown_texts() - @m's title and body as a reader is shown them, opened once: for a
 * memo past its draft, the text its digest covers, or ERR_INTEGRITY (logged; a field that does
 * not open counts as another text); for a draft, NULL texts (logged) when they do not open.
 * Other errors as workflow_texts(). Both NULL on failure.
 */
int workflow_shown_texts(struct store *st, const uint8_t *mkey, const struct memo *m, char **title,
                         size_t *tl, char **body, size_t *bl);

/**
 * workflow_canonical() - decrypt @m's title, body and files (core/attach.h) with @mkey and build
 * the canonical text: malloc'd in *@out (caller wipes and frees), *@len bytes; how many files
 * are still being uploaded in *@incomplete (may be NULL).
 */
int workflow_canonical(struct store *st, const uint8_t *mkey, const struct memo *m, char **out,
                       size_t *len, size_t *incomplete);

/**
 * workflow_digest_check() - for a memo with a frozen text: 0 when the text decrypted with @mkey
 * is the text its stored digest covers; ERR_INTEGRITY (logged) when not, ERR_FORBIDDEN without
 * a key. Every read that shows the text and every signature calls it first.
 */
int workflow_digest_check(struct store *st, const uint8_t *mkey, const struct memo *m);

/**
 * workflow_save_with() - write @m, run @extra(@c, @m, @arg) (may be NULL) and record @event
 * with @detail (sealed; may be NULL) in one transaction; the memo's version moves on, so a
 * change that raced it fails with ERR_CONFLICT. For the draft's other parts (core/attach.h).
 */
int workflow_save_with(struct wf_ctx *c, struct memo *m, const char *event, const char *detail,
                       int (*extra)(struct wf_ctx *c, struct memo *m, void *arg), void *arg);

/** workflow_finalize() - draft -> open: freeze the text and compute its digest. */
int workflow_finalize(struct wf_ctx *c, struct memo *m);

/** workflow_reopen() - open -> draft, voiding every signature with @reason (may be NULL). */
int workflow_reopen(struct wf_ctx *c, struct memo *m, const char *reason);

/** workflow_invite() - invite staff members by username; ERR_INVALID names a bad one. */
int workflow_invite(struct wf_ctx *c, struct memo *m, const char *const *usernames, size_t n);

/**
 * workflow_decline_invitation() - the actor declines; withdraws their signature if any. Final for
 * this memo: the actor keeps the invitation (and so still reads the memo and its thread) but can
 * no longer sign it, even when invited again.
 */
int workflow_decline_invitation(struct wf_ctx *c, struct memo *m);

/**
 * workflow_sign() - sign the frozen digest with the actor's key @k: a C2SP signed note over
 * memo_cosign_text(), verified against the actor's registered public key, stored durably.
 * On success @m->signer_count is the count including this signature. ERR_STATE also when the
 * actor declined the invitation (checked in the signature's transaction).
 * @note_out (may be NULL) receives a malloc'd copy of the note.
 */
int workflow_sign(struct wf_ctx *c, struct memo *m, const struct user_keys *k, char **note_out);

/**
 * workflow_unsign() - withdraw the actor's signature (not the drafter's: reopen instead). The
 * actor leaves the memo as a decliner does (workflow_decline_invitation()): their memo key is
 * deleted and the memo is 404 to them, until the drafter invites them again.
 */
int workflow_unsign(struct wf_ctx *c, struct memo *m);

/** workflow_file() - open -> filed, starting the clocks. The drafter must have signed. */
int workflow_file(struct wf_ctx *c, struct memo *m);

/** workflow_acknowledge() - filed -> acknowledged; distributes to the configured principals. */
int workflow_acknowledge(struct wf_ctx *c, struct memo *m);

/**
 * workflow_decline() - filed -> declined as out of scope, with @reason, referred to @referral
 * (memo_referral_valid()) with an optional @note (required for "other"). The referral is the
 * declined event's detail, sealed like the reason: "referral KIND" or "referral KIND: NOTE".
 * The day of the decline is the event's (and the log entry's); a decline after the
 * acknowledgement's due date is a late one (core/clocks.h).
 */
int workflow_decline(struct wf_ctx *c, struct memo *m, const char *reason, const char *referral,
                     const char *note);

/**
 * workflow_assign() - filed, acknowledged or replied: @username, an officer who is not recused
 * from @m and holds the channel key, handles it from now on (self-assignment too). Replacing
 * another assignee needs a @reason (optional otherwise). The timeline says who assigned whom
 * ("assigned" or "reassigned", the detail "USERNAME" or "USERNAME: REASON", sealed); the
 * assignee is told (NOTIFY_ASSIGNED). Nothing of it is in the public log.
 */
int workflow_assign(struct wf_ctx *c, struct memo *m, const char *username, const char *reason);

/** workflow_distribute() - distribute to more principals (users with the principal role). */
int workflow_distribute(struct wf_ctx *c, struct memo *m, const char *const *usernames, size_t n);

/**
 * workflow_extend() - move the reply deadline to @until (a day) with @reason, within the
 * policy's maximum, before the current due date has passed (ERR_PASSED after). Where the head
 * approves replies (channel_reply_approval()), a date beyond the ordinary reply period (the
 * policy's reply due date) is the head's to grant: ERR_FORBIDDEN for another officer.
 */
int workflow_extend(struct wf_ctx *c, struct memo *m, int64_t until, const char *reason);

/**
 * workflow_accept_until() - the last day of the drafter's window after @m's reply: [channel]
 * accept_window working days after the reply day; -1 when there is no window (0 configured, or
 * no reply yet).
 */
int64_t workflow_accept_until(const struct channel *ch, const struct memo *m);

/**
 * workflow_accept() - replied -> closed: the drafter accepts the reply (a "closed" log entry).
 */
int workflow_accept(struct wf_ctx *c, struct memo *m);

/**
 * workflow_clarify() - replied -> acknowledged: the drafter asks for clarification within their
 * window (ERR_PASSED after it). The question (<= MEMO_REASON_MAX bytes) is sealed as the event's
 * detail; the reply it replaces stays in the timeline (an "earlier_reply" event); the reply is
 * due again [channel] clarify_days working days from today, with no extension beyond; a
 * "clarification" log entry carries that date.
 */
int workflow_clarify(struct wf_ctx *c, struct memo *m, const char *question);

/**
 * workflow_escalations() - the escalation ladder as public facts: for every memo whose deadline
 * it waits on has passed (not paused by a clock stop), an "escalated" log entry (the missed due
 * day, the rung) and a timeline event by the channel the first time each rung is reached: rung 1
 * the working day after the due day (the officers and the channel's head are told), rung 2
 * [mail] escalate_principals working days after that (the principals too; none when 0). Emails
 * or not ([mail] enabled), the log says the channel was late. *@count counts the new entries.
 * The leading server runs it from housekeeping.
 */
int workflow_escalations(struct store *st, const struct channel *ch, int64_t now, size_t *count);

/**
 * workflow_each_waiting() - @fn(@arg, m) for every memo waiting on the channel: the filed ones,
 * then the acknowledged, each newest first, a page at a time from the index on state (never a
 * walk of every memo filed). Stops at @fn's first non-zero return, which it returns; else 0 or
 * the store's error.
 */
int workflow_each_waiting(struct store *st, int (*fn)(void *arg, const struct memo *m), void *arg);

/**
 * workflow_close_windows() - close every replied memo whose drafter's window has ended: a
 * "window_closed" timeline event by the channel and a "closed" log entry each (the leading
 * server, from housekeeping). A running clock stop holds a window whose last day is on or after
 * its first day (core/clocks.h), as it holds a deadline. *@closed counts them (may be NULL).
 */
int workflow_close_windows(struct store *st, const struct channel *ch, int64_t now, size_t *closed);

/**
 * workflow_rescheduled() - inside the caller's transaction, store @m's deadlines (ack_due,
 * reply_due, reply_max, already changed by core/calendar.c) with a "rescheduled" timeline event by
 * the channel (actor 0) and its log entry (both due dates from then on).
 */
int workflow_rescheduled(struct wf_ctx *c, struct memo *m);

/**
 * workflow_interim() - acknowledged: a holding answer (@body, 1..MEMO_REASON_MAX bytes) to the
 * memo's readers, in its timeline (the "interim" event, its text sealed as the detail). It is
 * no reply: the reply's deadline runs on, and nothing of it is in the public log.
 */
int workflow_interim(struct wf_ctx *c, struct memo *m, const char *body);

/**
 * workflow_reply() - acknowledged -> replied: store the reply and the channel's signed note
 * binding it to the memo's digest. ERR_STATE where the head approves replies
 * (channel_reply_approval(): core/review.h).
 */
int workflow_reply(struct wf_ctx *c, struct memo *m, const char *body, size_t len);

/**
 * workflow_reply_approved() - acknowledged -> replied by the head's approval (core/review.h): as
 * workflow_reply(), and the head (the actor) signs the same note with @k (key name: their
 * username), checked against their registered key; an "approved" event, sealed under the memo
 * key, says "USERNAME VKEY". @recheck (may be NULL) runs inside the reply's transaction, after
 * the reply is recorded: a non-zero return rolls everything back and is returned.
 */
int workflow_reply_approved(struct wf_ctx *c, struct memo *m, const char *body, size_t len,
                            const struct user_keys *k,
                            int (*recheck)(struct wf_ctx *c, struct memo *m, void *arg), void *arg);

/** workflow_close() - replied -> closed, by an officer: only once the drafter's window has ended
 *  (ERR_STATE before; workflow_accept_until()). */
int workflow_close(struct wf_ctx *c, struct memo *m);

/** workflow_withdraw() - filed or acknowledged -> withdrawn, by the drafter. */
int workflow_withdraw(struct wf_ctx *c, struct memo *m);

/**
 * workflow_delete() - a draft or an open memo (never filed) is deleted by its drafter: every
 * sealed copy of its key goes (the drafter's, each invitee's), and with them its signatures,
 * comments and timeline; an invitee no longer finds it. The log never held it. What remains
 * is the read audit's records under its internal id, which no later memo is given. @m is the
 * memo as read (ERR_CONFLICT when it changed since); ERR_STATE once filed.
 */
int workflow_delete(struct wf_ctx *c, struct memo *m);

/** workflow_allowed() - 0 when @action is legal in @m's state, else ERR_STATE with the standard
 *  message ("cannot ACTION a memo that is STATE") in @c->err. */
int workflow_allowed(struct wf_ctx *c, const struct memo *m, enum memo_action action);

/** workflow_reload() - after a failed change, make @m what the store holds again (the caller
 *  changed it first). */
void workflow_reload(struct wf_ctx *c, struct memo *m);

/** workflow_comment() - add a comment; @out (may be NULL) receives it (free body). */
int workflow_comment(struct wf_ctx *c, struct memo *m, const char *body, size_t len,
                     struct memo_comment *out);

#endif
