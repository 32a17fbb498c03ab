/*
 * review.h - the officers' side of a reply: internal notes, the reply's drafts, their clearance,
 * and the channel head's approval.
 *
 * Everything here is the officers' alone. Its texts are sealed under the memo's officers' key
 * (core/access.h access_notes_key()), which only the channel key opens: the drafter, co-signers
 * and principals hold the memo key and can open none of it, whatever the database gives them.
 * Each step is a timeline event of an internal kind (review_internal()), which the API never
 * shows in a memo's timeline; officers see them in the memo's "internal" section. Nothing of it
 * is in the public log: the log knows the reply when it is sent.
 *
 * The steps, on an acknowledged memo assigned to a case officer:
 *   - review_save(): the assigned officer, an officer asked to clear the draft, or a head saves
 *     a new version of the reply's draft ("reply_draft", the text as its detail);
 *   - review_ask(): the assigned officer (or a head) asks officers to clear it (memo members
 *     with STORE_REL_CLEARER, a "clearance_requested" event naming them, each told);
 *   - review_clear(): an officer asked clears the current version ("cleared");
 *   - review_submit(): the assigned officer submits the current version to the channel's head,
 *     once every officer asked has cleared that version ("submitted"; the heads are told);
 *   - review_return(): a head sends it back with a reason ("returned"; the case officer is told);
 *   - review_approve(): a head other than the one who submitted it approves it, which sends it
 *     as the reply: the channel's signed note over the reply carries the head's signature too
 *     (core/workflow.h workflow_reply_approved()), and an "approved" event (readable by the
 *     memo's readers) names the head and the key they signed with.
 * A new version after a submission withdraws the submission. review_note() adds an internal note
 * on a filed, acknowledged or replied memo.
 *
 * With [channel] reply_approval off (channel_reply_approval()), the case officer sends the reply
 * themselves (workflow_reply()); drafts, clearance and notes still work, submission does not.
 *
 * Errors as core/workflow.h; ERR_FORBIDDEN (with a message) for an officer the step is not for.
 */
#ifndef DISSENT_CORE_REVIEW_H
#define DISSENT_CORE_REVIEW_H

#include "core/access.h"
#include "core/user.h"
#include "core/workflow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REVIEW_NOTE_MAX 8192 /* bytes of an internal note */
#define REVIEW_STAMP_MAX 80  /* a version's stamp, NUL included (struct review) */

/** review_internal() - whether timeline event @kind is an officers' one (never shown to others). */
bool review_internal(const char *kind);

/* One internal event, its text opened. */
struct review_entry {
    int64_t id;
    char kind[32];
    int64_t actor_id;
    char username[USERNAME_MAX + 1];
    char *text; /* the opened detail (malloc'd, wiped at release), or NULL */
    size_t text_len;
    int64_t at;
};

/* An officer asked to clear the reply. */
struct review_clearer {
    int64_t user_id;
    char username[USERNAME_MAX + 1];
    char display_name[DISPLAY_NAME_MAX + 1];
    bool cleared; /* cleared the current version */
};

/* Where a memo's reply stands among the officers. */
struct review {
    struct review_entry *entries; /* the internal events, oldest first */
    size_t n;
    const struct review_entry *draft;     /* the current version, or NULL */
    bool sent;                            /* ... already sent: a reply came after it */
    const struct review_entry *submitted; /* its pending submission to the head, or NULL */
    const struct review_entry *returned;  /* the head's return of the last submission, or NULL */
    struct review_clearer *clearers;
    size_t nclearers;
    int64_t assignee; /* the case officer's account, 0 when none */
    /* the current version's stamp, "ID DIGEST" (its event id, and the base64 SHA-256 of its
     * text): a clearance or submission names the version it is for, and counts for that one
     * alone; "" when there is no version or its text was not opened */
    char stamp[REVIEW_STAMP_MAX];
    uint8_t digest[32]; /* with a stamp: the SHA-256 of the current version's text */
};

/**
 * review_load() - @m's internal events opened with @nkey (NULL: the texts are not opened; where
 * no officers' key exists, review_keyless() says whether that is right), the officers asked to
 * clear, and what stands. A clearance or submission counts only when its opened text is the
 * current version's stamp, and a submission only when the case officer made it: one copied
 * forward, or left from an earlier version, by a database writer counts for nothing (nor does
 * any without @nkey). A text that does not open at its place is
 * an integrity error (logged; its entry has no text). Release with review_release().
 */
int review_load(struct store *st, const struct memo *m, const uint8_t *nkey, struct review *out);

/**
 * review_keyless() - 0 when @m has no internal event, else ERR_INTEGRITY (logged): for a memo
 * whose officers' key is not found, which every step makes or opens before it writes.
 */
int review_keyless(struct store *st, const struct memo *m);

/** review_release() - wipe and free. */
void review_release(struct review *r);

/** review_note() - an internal note (1..REVIEW_NOTE_MAX bytes, not blank) on @m. */
int review_note(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *body);

/** review_save() - a new version of the reply's draft (1..MEMO_REPLY_MAX bytes, not blank). */
int review_save(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *body, size_t len);

/**
 * review_ask() - ask @n officers (usernames) to clear the reply: active officers, not recused
 * from @m, holding the channel key, not the case officer, not already asked.
 */
int review_ask(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *const *usernames,
               size_t n);

/** review_clear() - the actor, asked to clear, clears the current version (ERR_EXISTS twice). */
int review_clear(struct wf_ctx *c, struct keyring *kr, struct memo *m);

/** review_submit() - submit the current version to the head (ERR_STATE names who has not yet
 *  cleared it, or says that replies need no approval on this channel). */
int review_submit(struct wf_ctx *c, struct keyring *kr, struct memo *m);

/** review_return() - a head returns the pending submission with @reason (required). */
int review_return(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *reason);

/**
 * review_approve() - a head approves the pending submission, which sends it as the reply signed
 * by the channel and by them with @k (their keys, as for a co-signature). @version and
 * @digest are the version the head read (its event id and the SHA-256 of its text, as the
 * memo view gave them): another one is ERR_CONFLICT, so that the head's signature goes on no
 * text they did not see. ERR_STATE without a
 * pending submission, while an officer asked has not cleared it, or when they submitted it or
 * wrote its version themselves (four eyes). The review is read again inside the reply's
 * transaction: a return, a new version or a new clearance request committed meanwhile makes it
 * ERR_CONFLICT, never a reply of what was withdrawn.
 */
int review_approve(struct wf_ctx *c, struct keyring *kr, struct memo *m, const struct user_keys *k,
                   int64_t version, const uint8_t digest[32]);

/**
 * review_awaiting() - whether @m waits on a head's approval of a submission not made by
 * @user_id (0: by anyone): read from the events' kinds and actors alone, no key needed (the
 * officers' lists).
 */
int review_awaiting(struct store *st, const struct memo *m, int64_t user_id, bool *yes);

#endif
