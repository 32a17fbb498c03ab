#include "core/workflow.h"

#include "core/access.h"
#include "core/attach.h"
#include "core/enrol.h"
#include "core/audit.h"
#include "core/channels.h"
#include "core/clocks.h"
#include "core/content.h"
#include "core/ledger.h"
#include "core/notify.h"
#include "core/trust.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int workflow_relation(struct store *st, const struct memo *m, const struct user *u, unsigned *rel)
{
    unsigned member = 0;
    int rc;

    *rel = 0;
    if (m->drafter_id == u->id)
        *rel |= WF_DRAFTER;
    if ((rc = store_member_get(st, m, u->id, &member)) != 0)
        return rc;
    /* declining (or withdrawing a signature) ends an invitee's access to the memo */
    if ((member & STORE_REL_INVITED) && !(member & STORE_REL_DECLINED) && (u->roles & ROLE_STAFF))
        *rel |= WF_INVITED;
    /* a principal's role is of their channels too: one moved off the memo's channel no longer
     * reads it (core/channels.h) */
    if ((member & STORE_REL_DISTRIBUTED) && (u->roles & ROLE_PRINCIPAL) &&
        (channels_has(u->channels, m->channel_id) || (member & STORE_REL_AGENCY_HEAD)))
        *rel |= WF_PRINCIPAL;
    /* an officer's role is of their channels (core/channels.h): another channel's officer is a
     * stranger to this memo, neither its officer nor recused from it */
    bool officer = (u->roles & ROLE_OFFICER) && channels_has(u->channels, m->channel_id);
    /* an account reset by an administrator, whoever enrolled it again, is not the one that was
     * part of the memos made before: until the officers have confirmed it (core/reset.h) it
     * neither sees nor acts on them, key or no key (signing, withdrawing, the read audit) */
    if ((u->flags & STORE_USER_RESET) && m->id <= u->reset_memo) {
        /* as an officer, recused from every one of them alike: marking only those the user
         * drafted or was asked to sign would tell who dissented */
        *rel = (officer && m->state >= MEMO_FILED) ? WF_RECUSED : 0;
        return 0;
    }
    /* nobody answers their own dissent, nor one they were asked to sign */
    if (officer && m->state >= MEMO_FILED)
        *rel |= (m->drafter_id == u->id || (member & (STORE_REL_INVITED | STORE_REL_DECLINED)))
                    ? WF_RECUSED
                    : WF_OFFICER;
    return 0;
}

/* ERR_STATE with the standard message when @action is illegal now. */
static int check(struct wf_ctx *c, const struct memo *m, enum memo_action action,
                 enum memo_state *to)
{
    if (memo_transition((enum memo_state)m->state, action, to) != 0) {
        err_set(c->err, c->errlen, "cannot %s a memo that is %s", memo_action_name(action),
                memo_state_name((enum memo_state)m->state));
        return ERR_STATE;
    }
    return 0;
}

int workflow_allowed(struct wf_ctx *c, const struct memo *m, enum memo_action action)
{
    enum memo_state to;

    return check(c, m, action, &to);
}

/* The memo key, which the API must have provided for this operation. */
static int need_key(struct wf_ctx *c)
{
    if (c->mkey == NULL) {
        err_set(c->err, c->errlen, "this needs the memo's key");
        return ERR_FORBIDDEN;
    }
    return 0;
}

/* Valid signatures now (inside the transaction). */
/*
 * Whether signature row @s is a co-signature of @m by its account: its note verifies under its
 * vkey, says what a co-signature of this memo's digest by this username says, and the vkey is
 * the key bound to the account (its row checked by store.c, its binding by core/trust.h).
 */
static bool signature_valid(struct wf_ctx *c, const struct memo *m, const struct signature *s)
{
    char text[MEMO_COSIGN_TEXT_MAX];
    struct note_vkey vk;
    struct user u;
    size_t tlen = 0;
    bool ok = false, signed_by = false;

    memset(&u, 0, sizeof(u));
    if (s->note != NULL && s->vkey != NULL && note_vkey_parse(s->vkey, strlen(s->vkey), &vk) == 0 &&
        store_user_get_by_id(c->st, s->user_id, &u) == 0 && u.has_keys &&
        trust_bound(c->st, &u) == 0 && hash_equal(vk.pub, u.sign_pk, sizeof(vk.pub)) &&
        memo_cosign_text(m->public_id, m->digest, u.username, text, sizeof(text)) == 0 &&
        note_open(s->note, strlen(s->note), &vk, 1, &signed_by, &tlen, NULL, 0) == 0 && signed_by &&
        tlen == strlen(text) && memcmp(s->note, text, tlen) == 0)
        ok = true;
    wipe(u.pwhash, sizeof(u.pwhash));
    return ok;
}

/* Valid signatures now (inside the transaction), each verified: the count goes into the log. A
 * row that does not verify (written into the database, or made by keys the account no longer
 * holds) is not counted, and logged. */
static int count_signers(struct wf_ctx *c, const struct memo *m, int *n)
{
    struct signature *sigs = NULL;
    size_t count = 0;
    int rc = store_signature_list(c->st, m, false, &sigs, &count);

    *n = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (signature_valid(c, m, &sigs[i]))
            (*n)++;
        else
            log_error("integrity: the signature of account %lld on memo %s does not verify "
                      "against the account's bound key: it is not counted",
                      (long long)sigs[i].user_id, m->public_id);
    }
    store_signature_list_free(sigs, count);
    if (rc == 0 && *n == 0)
        rc = ERR_INTEGRITY; /* not even the drafter's */
    return rc;
}

/*
 * The transparency-log entry for @event, when it is one the log records: appended in the
 * caller's transaction. A filed entry's index is kept in @m for the receipt.
 */
static int log_event(struct wf_ctx *c, struct memo *m, const char *event)
{
    char text[LEDGER_ENTRY_MAX];
    struct ledger_entry e;
    uint64_t index = 0;
    size_t len = 0;
    int rc;

    memset(&e, 0, sizeof(e));
    /* the drafter's acceptance and the end of their window close the memo */
    if (strcmp(event, "accepted") == 0 || strcmp(event, "window_closed") == 0)
        event = "closed";
    if (ledger_event_parse(event, &e.event) != 0)
        return 0; /* not a logged event */
    if (!m->has_log)
        return ERR_INTERNAL;
    memcpy(e.tag, m->log_tag, sizeof(e.tag));
    e.channel = m->channel_id;
    e.day = channel_day(c->ch, c->now);
    e.ack_due = e.reply_due = e.first = e.last = -1;
    if (e.event == LEDGER_FILED) {
        if ((rc = count_signers(c, m, &e.signers)) != 0)
            return rc;
        ledger_commitment(m->log_salt, m->digest, e.commitment);
        e.ack_due = m->ack_due;
    }
    if (e.event == LEDGER_RESCHEDULED)
        e.ack_due = m->ack_due;
    if (e.event == LEDGER_FILED || e.event == LEDGER_ACKNOWLEDGED || e.event == LEDGER_EXTENDED ||
        e.event == LEDGER_RESCHEDULED || e.event == LEDGER_CLARIFICATION)
        e.reply_due = m->reply_due;
    if ((rc = ledger_entry_format(&e, text, &len)) != 0 ||
        (rc = ledger_append(c->st, text, len, &index)) != 0)
        return rc;
    if (e.event == LEDGER_FILED) {
        m->log_index = (int64_t)index;
        /* every filing anchors the read audit as it stands, its own record included */
        return ledger_audit_head(c->st, c->now);
    }
    return 0;
}

/*
 * The timeline event, its audit record, its log entry and the emails it sends (the outbox),
 * inside the caller's transaction.
 */
static int record(struct wf_ctx *c, struct memo *m, const char *event, const char *detail)
{
    struct content_place at = {.field = "event", .kind = event, .who = c->actor->id, .at = c->now};
    char *ct = NULL;
    int rc = 0;

    /* a detail is sealed to its event (kind, actor, time): never stored in clear */
    if (detail != NULL &&
        (c->mkey == NULL ? (rc = ERR_FORBIDDEN)
                         : (rc = content_seal_text(c->mkey, m->public_id, &at, detail, &ct))) != 0)
        return rc;
    rc = store_event_add(c->st, m->id, event, c->actor->id, ct, c->now);
    mem_free(ct);
    if (rc == 0)
        rc = audit_append(c->st, m->id, c->actor->id, event, c->now);
    if (rc == 0)
        rc = log_event(c, m, event);
    return rc != 0 ? rc : notify_event(c->st, c->ch, m, event, c->actor->id, c->now);
}

void workflow_reload(struct wf_ctx *c, struct memo *m)
{
    char id[STORE_MEMO_ID_LEN + 1];

    memcpy(id, m->public_id, sizeof(id));
    store_memo_release(m);
    if (store_memo_get(c->st, id, m) != 0)
        memcpy(m->public_id, id, sizeof(id));
}

/*
 * Write @m (already changed by the caller), run @extra (may be NULL) and record @event, in one
 * transaction.
 */
static int save_with(struct wf_ctx *c, struct memo *m, const char *event, const char *detail,
                     int (*extra)(struct wf_ctx *c, struct memo *m, void *arg), void *arg)
{
    int rc;

    m->updated_at = c->now;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    /* the record first: a filed entry's log index goes into the memo row */
    if ((rc = record(c, m, event, detail)) != 0 || (rc = store_memo_update(c->st, m)) != 0 ||
        (extra && (rc = extra(c, m, arg)) != 0) || (rc = store_commit(c->st)) != 0)
        goto fail;
    return 0;
fail:
    store_rollback(c->st);
    /* a step of @extra may have said what changed */
    if (rc == ERR_CONFLICT && (c->err == NULL || c->err[0] == '\0'))
        err_set(c->err, c->errlen, "the memo changed meanwhile; reload it");
    workflow_reload(c, m);
    return rc;
}

int workflow_save_with(struct wf_ctx *c, struct memo *m, const char *event, const char *detail,
                       int (*extra)(struct wf_ctx *c, struct memo *m, void *arg), void *arg)
{
    return save_with(c, m, event, detail, extra, arg);
}

static int save(struct wf_ctx *c, struct memo *m, const char *event, const char *detail)
{
    return save_with(c, m, event, detail, NULL, NULL);
}

/* Replace a content field of @m by the encryption of @len bytes of @text, of @version. */
static int set_field(struct wf_ctx *c, const struct memo *m, const char *field, uint64_t version,
                     const char *text, size_t len, uint8_t **dst, size_t *dstlen)
{
    struct content_place at = {.field = field};
    uint8_t *ct = NULL;
    size_t n = 0;
    int rc = content_seal(c->mkey, m->public_id, &at, version, text, len, &ct, &n);

    if (rc != 0)
        return rc;
    mem_free(*dst);
    *dst = ct;
    *dstlen = n;
    return 0;
}

static int check_title(struct wf_ctx *c, const char *t, size_t len)
{
    if (memo_title_check(t, len) != 0) {
        err_set(c->err, c->errlen,
                "title: one line of 1 to %d characters, not only spaces, no control characters",
                MEMO_TITLE_MAX_CHARS);
        return ERR_INVALID;
    }
    return 0;
}

static int check_body(struct wf_ctx *c, const char *b, size_t len)
{
    if (memo_body_check(b, len) != 0) {
        err_set(c->err, c->errlen, "body: valid UTF-8 text of at most %u bytes", MEMO_BODY_MAX);
        return ERR_INVALID;
    }
    return 0;
}

/* Free text such as a reason or a comment: 1..@max bytes of UTF-8 without NUL. */
static int check_text(struct wf_ctx *c, const char *field, const char *t, size_t len, size_t max)
{
    if (t == NULL || len == 0 || len > max || !str_utf8_valid(t, len)) {
        err_set(c->err, c->errlen, "%s: 1 to %zu bytes of UTF-8 text", field, max);
        return ERR_INVALID;
    }
    return 0;
}

static int share_drafter(struct wf_ctx *c, struct memo *m, void *arg)
{
    return access_share_own(c->st, m, c->mkey, c->actor, c->now);
}

/* What a new memo is an addendum to: recorded in its own transaction, an addendum_of event sealed
 * under the new memo's key (the original learns of it at filing: workflow_addendum_link()). */
struct addendum_link {
    const struct memo *orig;
};

static int create_memo(struct wf_ctx *c, int64_t channel, const char *title, size_t title_len,
                       const char *body, size_t body_len, bool show_names, struct memo *out,
                       const struct addendum_link *link);

int workflow_create(struct wf_ctx *c, int64_t channel, const char *title, size_t title_len,
                    const char *body, size_t body_len, bool show_names, struct memo *out)
{
    return create_memo(c, channel, title, title_len, body, body_len, show_names, out, NULL);
}

int workflow_addendum(struct wf_ctx *c, struct memo *orig, const char *title, size_t title_len,
                      const char *body, size_t body_len, struct memo *out)
{
    struct addendum_link link = {orig};
    int rc;

    memset(out, 0, sizeof(*out));
    /* new facts after the channel's answer: a closed memo only */
    if (orig->state != MEMO_CLOSED) {
        err_set(c->err, c->errlen, "an addendum is written to a closed memo");
        return ERR_STATE;
    }
    if ((rc = need_key(c)) != 0)
        return rc;
    if (body_len == 0 || str_blank(body)) {
        err_set(c->err, c->errlen, "body: an addendum states the new facts");
        return ERR_INVALID;
    }
    /* to the same channel as the memo it adds to */
    return create_memo(c, orig->channel_id, title, title_len, body, body_len, orig->show_names, out,
                       &link);
}

static int create_memo(struct wf_ctx *c, int64_t channel, const char *title, size_t title_len,
                       const char *body, size_t body_len, bool show_names, struct memo *out,
                       const struct addendum_link *link)
{
    struct wf_ctx kc = *c;
    uint8_t *key = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = check_title(c, title, title_len)) != 0 || (rc = check_body(c, body, body_len)) != 0)
        return rc;
    if ((c->actor->roles & ROLE_OPERATOR) || !c->actor->has_keys) {
        err_set(c->err, c->errlen,
                "accounts with the admin or auditor role hold no memo keys "
                "and so cannot draft");
        return ERR_FORBIDDEN;
    }
    if ((key = keys_secure_alloc(ACCESS_KEY_LEN)) == NULL)
        return ERR_NOMEM;
    random_bytes(key, ACCESS_KEY_LEN);
    kc.mkey = key;
    out->drafter_id = c->actor->id;
    out->channel_id = channel > 0 ? channel : 1;
    out->state = MEMO_DRAFT;
    out->show_names = show_names;
    out->created_at = c->now;
    out->filed_day = out->ack_day = out->ack_due = out->reply_due = out->reply_max =
        out->replied_day = out->closed_day = STORE_DAY_NONE;
    out->log_index = -1;
    for (int tries = 0; tries < 3; tries++) {
        memo_id_new(out->public_id);
        if ((rc = set_field(&kc, out, "title", 1, title, title_len, &out->title,
                            &out->title_len)) != 0 ||
            (rc = set_field(&kc, out, "body", 1, body, body_len, &out->body, &out->body_len)) !=
                0 ||
            (rc = store_begin(c->st)) != 0)
            break;
        rc = store_memo_create(c->st, out);
        if (rc == 0)
            rc = share_drafter(&kc, out, NULL);
        if (rc == 0)
            rc = record(&kc, out, "created", NULL);
        /* the link on the new memo, sealed under its key; the original learns of it when the
         * addendum is filed (workflow_addendum_link()) */
        if (rc == 0 && link != NULL)
            rc = record(&kc, out, "addendum_of", link->orig->public_id);
        if (rc == 0)
            rc = store_commit(c->st);
        if (rc != 0)
            store_rollback(c->st);
        if (rc != ERR_EXISTS)
            break;
    }
    keys_secure_free(key);
    if (rc != 0)
        store_memo_release(out);
    return rc;
}

/* Wipe and free opened texts (NULL ones too), and clear them. */
static void texts_free(char **title, size_t *tl, char **body, size_t *bl)
{
    if (*title != NULL)
        wipe(*title, *tl);
    if (*body != NULL)
        wipe(*body, *bl);
    mem_free(*title);
    mem_free(*body);
    *title = *body = NULL;
    *tl = *bl = 0;
}

/* The highest content version of @m's title and body that opens (0 when neither does) into
 * *@version. Returns 0 or ERR_NOMEM. */
static int highest_version(const uint8_t *mkey, const struct memo *m, uint64_t *version)
{
    static const char *const fields[] = {"title", "body"};
    const uint8_t *ct[] = {m->title, m->body};
    size_t len[] = {m->title_len, m->body_len};

    *version = 0;
    for (int i = 0; i < 2; i++) {
        struct content_place at = {.field = fields[i]};
        uint64_t v = 0;
        char *pt = NULL;
        size_t n = 0;
        int rc = content_open(mkey, m->public_id, &at, ct[i], len[i], &pt, &n, &v);
        if (rc == ERR_NOMEM)
            return rc;
        if (pt != NULL)
            wipe(pt, n);
        mem_free(pt);
        if (rc == 0 && v > *version)
            *version = v;
    }
    return 0;
}

int workflow_edit(struct wf_ctx *c, struct memo *m, const char *title, size_t title_len,
                  const char *body, size_t body_len, int show_names, int64_t channel)
{
    char *old_title = NULL, *old_body = NULL;
    size_t otl = 0, obl = 0;
    uint64_t version = 0;
    enum memo_state to;
    int rc;

    if (channel == m->channel_id)
        channel = 0;
    if (title == NULL && body == NULL && show_names < 0 && channel == 0)
        return 0;
    if ((rc = check(c, m, MEMO_EDIT, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((title && (rc = check_title(c, title, title_len)) != 0) ||
        (body && (rc = check_body(c, body, body_len)) != 0))
        return rc;
    /* title and body are written together, as the next content version of the pair; a new
     * title and body together need neither old text (so a draft the database mixed up can be
     * written over, past the highest version that opens) */
    if (title && body)
        rc = highest_version(c->mkey, m, &version);
    else
        rc = workflow_texts(c->mkey, m, &old_title, &otl, &old_body, &obl, &version);
    if (rc == 0 && (rc = set_field(c, m, "title", version + 1, title ? title : old_title,
                                   title ? title_len : otl, &m->title, &m->title_len)) == 0)
        rc = set_field(c, m, "body", version + 1, body ? body : old_body, body ? body_len : obl,
                       &m->body, &m->body_len);
    texts_free(&old_title, &otl, &old_body, &obl);
    if (rc != 0) {
        if (rc == ERR_CRYPTO || rc == ERR_INTEGRITY)
            err_set(c->err, c->errlen,
                    "the stored text does not open: it was changed outside "
                    "Dissent");
        workflow_reload(c, m);
        return rc == ERR_CRYPTO ? ERR_INTEGRITY : rc;
    }
    if (show_names >= 0)
        m->show_names = show_names != 0;
    /* its channel (nothing was shared with any channel before filing): under the memo's MAC */
    if (channel != 0)
        m->channel_id = channel;
    return save(c, m, "edited", NULL);
}

int workflow_texts(const uint8_t *mkey, const struct memo *m, char **title, size_t *tl, char **body,
                   size_t *bl, uint64_t *version)
{
    struct content_place t = {.field = "title"}, b = {.field = "body"};
    uint64_t tv = 0, bv = 0;
    int rc;

    *title = *body = NULL;
    *tl = *bl = 0;
    if ((rc = content_open(mkey, m->public_id, &t, m->title, m->title_len, title, tl, &tv)) == 0 &&
        (rc = content_open(mkey, m->public_id, &b, m->body, m->body_len, body, bl, &bv)) == 0 &&
        tv != bv) {
        log_error("integrity: the title and body of memo %s are of two versions (%" PRIu64
                  " and %" PRIu64 "): they were changed outside Dissent; neither is shown",
                  m->public_id, tv, bv);
        rc = ERR_INTEGRITY;
    }
    if (rc != 0) {
        texts_free(title, tl, body, bl);
        return rc;
    }
    if (version != NULL)
        *version = tv;
    return 0;
}

/* The canonical text of @m's opened @title and @body with its files (and how many of those are
 * still incomplete, in *@incomplete, may be NULL). */
static int canonical_of(struct store *st, const uint8_t *mkey, const struct memo *m,
                        const char *title, size_t tl, const char *body, size_t bl, char **out,
                        size_t *len, size_t *incomplete)
{
    struct memo_file *files = NULL;
    size_t n = 0;
    int rc = attach_files(st, mkey, m, &files, &n, incomplete);

    if (rc == 0)
        rc = memo_canonical_files(m->public_id, title, tl, body, bl, files, n, out, len);
    mem_free(files);
    return rc;
}

int workflow_canonical(struct store *st, const uint8_t *mkey, const struct memo *m, char **out,
                       size_t *len, size_t *incomplete)
{
    char *title = NULL, *body = NULL;
    size_t tl = 0, bl = 0;
    int rc;

    *out = NULL;
    *len = 0;
    if ((rc = workflow_texts(mkey, m, &title, &tl, &body, &bl, NULL)) != 0)
        goto out;
    rc = canonical_of(st, mkey, m, title ? title : "", tl, body ? body : "", bl, out, len,
                      incomplete);
out:
    if (title)
        wipe(title, tl);
    if (body)
        wipe(body, bl);
    mem_free(title);
    mem_free(body);
    return rc;
}

/* Whether the opened @title and @body are the text @m's digest covers: 0, ERR_INTEGRITY (a
 * text that is no memo text, or another text) or ERR_NOMEM. */
static int digest_matches(struct store *st, const uint8_t *mkey, const struct memo *m,
                          const char *title, size_t tl, const char *body, size_t bl)
{
    uint8_t digest[HASH_SHA256_LEN];
    char *canon = NULL;
    size_t len = 0, incomplete = 0;
    int rc = canonical_of(st, mkey, m, title, tl, body, bl, &canon, &len, &incomplete);

    if (rc == ERR_INVALID)
        rc = ERR_INTEGRITY;
    if (rc == 0) {
        memo_digest(canon, len, digest);
        if (!hash_equal(digest, m->digest, sizeof(digest)) || incomplete > 0)
            rc = ERR_INTEGRITY;
    }
    if (canon != NULL) {
        wipe(canon, len);
        mem_free(canon);
    }
    return rc;
}

int workflow_shown_texts(struct store *st, const uint8_t *mkey, const struct memo *m, char **title,
                         size_t *tl, char **body, size_t *bl)
{
    int rc;

    *title = *body = NULL;
    *tl = *bl = 0;
    if (m->state != MEMO_DRAFT && !m->has_digest) {
        log_error("integrity: memo %s is past its draft and has no digest: it was changed "
                  "outside Dissent; it is neither shown nor signed",
                  m->public_id);
        return ERR_INTEGRITY;
    }
    rc = workflow_texts(mkey, m, title, tl, body, bl, NULL);
    if (m->state == MEMO_DRAFT) {
        /* a draft's text is still being written (a reopened one keeps its old digest) */
        if (rc == ERR_CRYPTO)
            log_error("integrity: the title or body of memo %s does not open: it was changed "
                      "outside Dissent; it is not shown",
                      m->public_id);
        return rc == ERR_CRYPTO ? 0 : rc;
    }
    if (rc == ERR_CRYPTO)
        rc = ERR_INTEGRITY; /* a field the key does not open */
    if (rc == 0)
        rc = digest_matches(st, mkey, m, *title, *tl, *body, *bl);
    if (rc == ERR_INTEGRITY)
        log_error("integrity: the text of memo %s is not the text its digest covers: it was "
                  "changed outside Dissent; it is neither shown nor signed",
                  m->public_id);
    if (rc != 0)
        texts_free(title, tl, body, bl);
    return rc;
}

int workflow_digest_check(struct store *st, const uint8_t *mkey, const struct memo *m)
{
    char *title = NULL, *body = NULL;
    size_t tl = 0, bl = 0;
    int rc;

    if (m->state == MEMO_DRAFT)
        return 0; /* a draft's text is still being written (a reopened one keeps its old digest) */
    if (mkey == NULL && m->has_digest)
        return ERR_FORBIDDEN;
    rc = workflow_shown_texts(st, mkey, m, &title, &tl, &body, &bl);
    texts_free(&title, &tl, &body, &bl);
    return rc;
}

/*
 * The spillage guard ([records] refuse_markings, core/channel.h): 0, or ERR_INVALID naming the
 * part of the canonical text @canon that carries a refused marking.
 */
static int spillage_check(struct wf_ctx *c, const char *canon, size_t len)
{
    struct memo_file *files = NULL;
    char id[MEMO_ID_LEN + 1], found[64];
    const char *t, *b;
    size_t tl, bl, n = 0;
    int rc;

    if (c->ch == NULL || c->ch->cfg == NULL || channel_refuse_markings(c->ch->cfg)[0] == '\0')
        return 0;
    if ((rc = memo_canonical_split(canon, len, id, &t, &tl, &b, &bl)) != 0 ||
        (rc = memo_canonical_list(canon, len, &files, &n)) != 0)
        return rc;
    if (channel_marking_found(c->ch->cfg, t, tl, found, sizeof(found)))
        err_set(c->err, c->errlen,
                "title: the title carries \"%s\", a classification marking this channel does not "
                "take: classified information has no place here; remove it, then finalize",
                found);
    else if (channel_marking_found(c->ch->cfg, b, bl, found, sizeof(found)))
        err_set(c->err, c->errlen,
                "body: the text carries \"%s\", a classification marking this channel does not "
                "take: classified information has no place here; remove it, then finalize",
                found);
    else
        for (size_t i = 0; i < n; i++)
            if (channel_marking_found(c->ch->cfg, files[i].name, strlen(files[i].name), found,
                                      sizeof(found))) {
                err_set(c->err, c->errlen,
                        "attachments: the file \"%s\" is named with \"%s\", a classification "
                        "marking this channel does not take: remove the file, then finalize",
                        files[i].name, found);
                break;
            }
    rc = found[0] != '\0' ? ERR_INVALID : 0;
    mem_free(files);
    return rc;
}

int workflow_finalize(struct wf_ctx *c, struct memo *m)
{
    enum memo_state to;
    char *canon = NULL;
    size_t len = 0, incomplete = 0;
    int rc;

    if ((rc = check(c, m, MEMO_FINALIZE, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = workflow_canonical(c->st, c->mkey, m, &canon, &len, &incomplete)) != 0) {
        err_set(c->err, c->errlen, "the text cannot be made canonical");
        return rc;
    }
    if (incomplete == 0 && (rc = spillage_check(c, canon, len)) != 0) {
        wipe(canon, len);
        mem_free(canon);
        return rc;
    }
    if (incomplete > 0) {
        wipe(canon, len);
        mem_free(canon);
        err_set(c->err, c->errlen,
                trn(incomplete,
                    "%zu file is still being uploaded: finish it or remove it before finalizing",
                    "%zu files are still being uploaded: finish them or remove them before "
                    "finalizing"),
                incomplete);
        return ERR_STATE;
    }
    memo_digest(canon, len, m->digest);
    wipe(canon, len);
    mem_free(canon);
    m->has_digest = true;
    m->state = to;
    return save(c, m, "finalized", NULL);
}

static int void_signatures(struct wf_ctx *c, struct memo *m, void *why)
{
    return store_signature_void_all(c->st, m->id, why, c->now);
}

int workflow_reopen(struct wf_ctx *c, struct memo *m, const char *reason)
{
    struct content_place at = {.field = "void", .at = c->now};
    char why[MEMO_REASON_MAX + 128], *why_ct = NULL;
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_REOPEN, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if (reason && (rc = check_text(c, "reason", reason, strlen(reason), MEMO_REASON_MAX)) != 0)
        return rc;
    snprintf(why, sizeof(why), "the drafter reopened the memo to edit its text%s%s",
             reason ? ": " : "", reason ? reason : "");
    if ((rc = content_seal_text(c->mkey, m->public_id, &at, why, &why_ct)) != 0)
        goto out;
    m->state = to;
    rc = save_with(c, m, "reopened", reason, void_signatures, why_ct);
out:
    wipe(why, sizeof(why));
    mem_free(why_ct);
    return rc;
}

/* Resolve @n usernames to users having @role (a principal: of the memo @m's channel); ERR_INVALID
 * names the first bad one. */
static int resolve(struct wf_ctx *c, const struct memo *m, const char *const *names, size_t n,
                   unsigned role, struct user **out)
{
    struct user *u;

    *out = NULL;
    if (n == 0 || n > WF_INVITE_MAX) {
        err_set(c->err, c->errlen, "usernames: 1 to %d names", WF_INVITE_MAX);
        return ERR_INVALID;
    }
    u = mem_calloc(n, sizeof(*u));
    if (u == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = user_username_valid(names[i]) ? store_user_get_by_name(c->st, names[i], &u[i])
                                               : ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND || (rc == 0 && (u[i].disabled || !(u[i].roles & role) ||
                                                (role == ROLE_PRINCIPAL &&
                                                 !channels_has(u[i].channels, m->channel_id))))) {
            if (role == ROLE_PRINCIPAL)
                err_set(c->err, c->errlen, "usernames: \"%.64s\" is not an active principal",
                        names[i]);
            else
                err_set(c->err, c->errlen, "usernames: \"%.64s\" is not an active staff member",
                        names[i]);
            rc = ERR_INVALID;
        } else if (rc == 0 && (u[i].roles & ROLE_OPERATOR)) {
            err_set(c->err, c->errlen,
                    "usernames: \"%.64s\" holds the admin or auditor role and may not receive "
                    "memo keys",
                    names[i]);
            rc = ERR_INVALID;
        } else if (rc == 0 && !u[i].has_keys) {
            err_set(c->err, c->errlen,
                    "%.64s has not enrolled yet: nothing can be shared with them until they do",
                    names[i]);
            rc = ERR_NO_KEYS;
        } else if (rc == 0) {
            rc = access_held(&u[i], c->err, c->errlen);
        }
        if (rc != 0) {
            mem_free(u);
            return rc;
        }
    }
    *out = u;
    return 0;
}

/* Add @rel for each of @users, share the memo key with them, and record one event, in one
 * transaction. */
static int add_members(struct wf_ctx *c, struct memo *m, const struct user *users, size_t n,
                       unsigned rel, const char *event)
{
    char detail[32];
    int rc;

    if ((rc = store_begin(c->st)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        /* inviting again someone who declined or withdrew shares the memo with them again */
        if (rel == STORE_REL_INVITED)
            rc = store_member_drop(c->st, m->id, users[i].id, STORE_REL_DECLINED);
        if (rc == 0)
            rc = store_member_add(c->st, m, users[i].id, rel, c->now);
        if (rc == 0)
            rc = access_share(c->st, m, c->mkey, &users[i], c->now);
        if (rc == 0)
            rc = notify_member(c->st, c->ch, m, &users[i],
                               rel == STORE_REL_INVITED ? NOTIFY_INVITED : NOTIFY_DISTRIBUTED,
                               c->now);
    }
    snprintf(detail, sizeof(detail), "%zu", n);
    if (rc == 0)
        rc = record(c, m, event, detail);
    if (rc == 0)
        rc = store_commit(c->st);
    if (rc != 0)
        store_rollback(c->st);
    return rc;
}

int workflow_invite(struct wf_ctx *c, struct memo *m, const char *const *usernames, size_t n)
{
    enum memo_state to;
    struct user *users = NULL;
    int rc;

    if ((rc = check(c, m, MEMO_INVITE, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = resolve(c, m, usernames, n, ROLE_STAFF, &users)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (users[i].id == m->drafter_id) {
            err_set(c->err, c->errlen, "usernames: the drafter cannot be invited");
            mem_free(users);
            return ERR_INVALID;
        }
    }
    rc = add_members(c, m, users, n, STORE_REL_INVITED, "invited");
    mem_free(users);
    return rc;
}

int workflow_decline_invitation(struct wf_ctx *c, struct memo *m)
{
    int rc;

    if (m->state != MEMO_DRAFT && m->state != MEMO_OPEN) {
        err_set(c->err, c->errlen, "the memo is %s: it is too late to decline",
                memo_state_name((enum memo_state)m->state));
        return ERR_STATE;
    }
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    rc = store_signature_withdraw(c->st, m->id, c->actor->id);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc == 0)
        rc = store_member_add(c->st, m, c->actor->id, STORE_REL_DECLINED, c->now);
    /* the decliner keeps nothing: not the key, so not the text, the reply or the names */
    if (rc == 0)
        rc = store_memo_key_delete(c->st, m->id, c->actor->id);
    if (rc == 0)
        rc = record(c, m, "invitation_declined", NULL);
    if (rc == 0)
        rc = store_commit(c->st);
    if (rc != 0)
        store_rollback(c->st);
    return rc;
}

/* The drafter's valid signature exists. */
static int drafter_signed(struct wf_ctx *c, const struct memo *m, bool *yes)
{
    return store_signature_has(c->st, m, m->drafter_id, yes);
}

/*
 * Group commit of signatures. Each signature is one small insert, but its commit waits for a
 * disk sync; with many signers at once the syncs, not the cryptography, bound the rate. So
 * signing threads queue their prepared signature, and whichever finds no batch running becomes
 * the leader: it commits everything queued in one transaction (each signature in a savepoint,
 * re-checking the memo's state and version, with its audit record), then wakes the others.
 * A signer's answer is sent only after the commit that holds its signature.
 */
struct sign_job {
    const struct memo *m;        /* the memo as the signer read it */
    const struct signature *sig; /* the verified signature to store */
    const struct channel *ch;    /* for the drafter's email */
    int64_t actor_id, now;
    int rc;            /* the outcome */
    int count;         /* valid signatures after this one */
    int state;         /* the memo's state when refused */
    bool declined;     /* refused: the signer declined the invitation */
    bool member_known; /* @member was read for the batch (sign_members()) */
    unsigned member;   /* the signer's relation to the memo, STORE_REL_* */
    bool done;
    struct sign_job *next;
};

static pthread_mutex_t sign_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sign_cv = PTHREAD_COND_INITIALIZER;
static struct sign_job *sign_head, **sign_tail = &sign_head;
static bool sign_leading;

/* The head of the memo the batch's last job signed: read once, then kept as its jobs sign
 * (nothing else writes while the batch holds the write lock). */
struct batch_head {
    const char *public_id; /* NULL: none read */
    int state, count;
    int64_t version;
};

/*
 * One job inside the batch's transaction. With @savepoints, in a savepoint of its own, released
 * on success and rolled back otherwise (when even that fails, *@poisoned is set: the transaction
 * may hold part of the job and must not be committed). Without, as the first try of a batch:
 * a refusal decided before any statement failed (the memo's state, a declined invitation)
 * leaves the transaction as it was; any other failure sets *@poisoned, and the batch is done
 * again with savepoints.
 */
static int sign_one(struct store *st, struct sign_job *j, struct batch_head *h, bool savepoints,
                    bool *poisoned)
{
    unsigned member = 0;
    int rc = 0;

    if (savepoints && (rc = store_savepoint(st)) != 0) {
        *poisoned = true;
        return rc;
    }
    if (h->public_id == NULL || strcmp(h->public_id, j->m->public_id) != 0) {
        h->public_id = NULL;
        if ((rc = store_memo_head(st, j->m->public_id, &h->state, &h->version, &h->count)) == 0)
            h->public_id = j->m->public_id;
    }
    j->state = h->state;
    j->count = h->count;
    if (rc == 0 && (h->state != MEMO_OPEN || h->version != j->m->version))
        rc = ERR_STATE;
    /* read here, in the transaction, so that a decline at the same moment is never outrun */
    if (rc == 0 && j->member_known)
        member = j->member;
    else if (rc == 0)
        rc = store_member_get(st, j->m, j->actor_id, &member);
    if (rc == 0 && (member & STORE_REL_DECLINED)) {
        j->declined = true;
        rc = ERR_STATE;
    }
    bool refused = rc == ERR_STATE; /* no statement failed */
    if (rc == 0)
        rc = store_signature_add(st, j->m, j->sig);
    if (rc == 0)
        rc = audit_append(st, j->m->id, j->actor_id, "signed", j->now);
    if (rc == 0 && j->actor_id != j->m->drafter_id)
        rc = notify_signature(st, j->ch, j->m, j->actor_id, j->now);
    if (!savepoints) {
        if (rc == 0)
            j->count = ++h->count;
        else if (!refused)
            *poisoned = true;
        return rc;
    }
    if (rc == 0 && (rc = store_savepoint_release(st)) == 0) {
        j->count = ++h->count;
        return 0;
    }
    if (store_savepoint_rollback(st) != 0)
        *poisoned = true;
    return rc;
}

/*
 * The signers' relations to their memos, read in the batch's transaction before its jobs: one
 * query for up to STORE_MEMBERS_MANY jobs in a row on one memo (on PostgreSQL each query is a
 * round trip under the write lock). A job alone is left to sign_one().
 */
static int sign_members(struct store *st, struct sign_job *jobs)
{
    struct sign_job *run[STORE_MEMBERS_MANY];
    int64_t ids[STORE_MEMBERS_MANY];
    unsigned rel[STORE_MEMBERS_MANY];
    int rc = 0;

    for (struct sign_job *j = jobs; j != NULL && rc == 0;) {
        const struct memo *m = j->m;
        size_t n = 0;
        for (; j != NULL && n < STORE_MEMBERS_MANY && j->m->id == m->id; j = j->next) {
            run[n] = j;
            ids[n++] = j->actor_id;
        }
        if (n > 1 && (rc = store_member_get_many(st, m, ids, n, rel)) == 0)
            for (size_t i = 0; i < n; i++) {
                run[i]->member = rel[i];
                run[i]->member_known = true;
            }
    }
    return rc;
}

/*
 * One try of the batch in one transaction. The first (@careful false) runs the jobs without a
 * savepoint each and defers their inserts (store_defer(): on PostgreSQL every insert of the
 * batch goes in one round trip, under the write lock of every server). It returns SIGN_AGAIN
 * when the batch must be tried again, rolled back: a job failed otherwise than by a refusal
 * (*@failed is that job, which is not tried again: its failure stays its own), or a deferred insert
 * failed, whose job is not known (*@failed NULL). The careful try gives each job a savepoint,
 * so that a failure is that job's alone. Otherwise 0, or the error of the transaction itself
 * (each job's outcome in its rc).
 */
#define SIGN_AGAIN 1 /* sign_try(): not an ERR_* code, all of which are negative */

static int sign_try(struct store *st, struct sign_job *jobs, bool careful, struct sign_job **failed)
{
    struct batch_head h = {.public_id = NULL};
    struct sign_job *skip = *failed;
    bool poisoned = false;
    int rc = store_begin(st);

    *failed = NULL;
    if (rc != 0)
        return rc;
    /* the first try reads the signers' relations together; should that fail, the careful try
     * reads each with its job (a failure then that job's alone) */
    for (struct sign_job *j = jobs; j != NULL; j = j->next)
        j->member_known = false;
    if (!careful && sign_members(st, jobs) != 0) {
        store_rollback(st);
        return SIGN_AGAIN;
    }
    if (!careful)
        store_defer(st);
    for (struct sign_job *j = jobs; j != NULL; j = j->next) {
        if (j == skip)
            continue;
        j->declined = false;
        if (poisoned) {
            j->rc = ERR_DB;
            continue;
        }
        j->rc = sign_one(st, j, &h, careful, &poisoned);
        if (poisoned && !careful) {
            store_rollback(st);
            *failed = store_defer_failed(st) ? NULL : j;
            return SIGN_AGAIN;
        }
    }
    if (poisoned) {
        store_rollback(st);
        return ERR_DB;
    }
    rc = store_commit(st);
    if (rc != 0 && !careful && store_defer_failed(st))
        return SIGN_AGAIN;
    return rc;
}

/*
 * The batch: tried once, and once more with care when the first try says so (sign_try()).
 * Each job's rc is its outcome; the commit's failure is every job's.
 */
static void sign_batch(struct store *st, struct sign_job *jobs)
{
    struct sign_job *failed = NULL;
    size_t n = 0, ok = 0;
    int rc = sign_try(st, jobs, false, &failed);

    /* what the first try read may have changed since it let go of the write lock: all again */
    if (rc == SIGN_AGAIN)
        rc = sign_try(st, jobs, true, &failed);
    for (struct sign_job *j = jobs; j != NULL; j = j->next, n++) {
        if (rc != 0 && j->rc == 0)
            j->rc = rc;
        ok += j->rc == 0;
    }
    metrics_sign_batch(n, ok);
}

static int sign_commit(struct wf_ctx *c, struct memo *m, const struct signature *sig)
{
    struct sign_job job = {
        .m = m, .sig = sig, .ch = c->ch, .actor_id = c->actor->id, .now = c->now};

    pthread_mutex_lock(&sign_mu);
    *sign_tail = &job;
    sign_tail = &job.next;
    while (!job.done) {
        if (!sign_leading) {
            struct sign_job *batch = sign_head;
            sign_head = NULL;
            sign_tail = &sign_head;
            sign_leading = true;
            pthread_mutex_unlock(&sign_mu);
            sign_batch(c->st, batch);
            pthread_mutex_lock(&sign_mu);
            for (struct sign_job *j = batch; j != NULL; j = j->next)
                j->done = true;
            sign_leading = false;
            pthread_cond_broadcast(&sign_cv);
        } else {
            pthread_cond_wait(&sign_cv, &sign_mu);
        }
    }
    pthread_mutex_unlock(&sign_mu);
    if (job.rc == ERR_STATE && job.declined)
        err_set(c->err, c->errlen,
                "you declined the invitation to co-sign this memo: you cannot sign it");
    else if (job.rc == ERR_STATE)
        err_set(c->err, c->errlen, "the memo changed meanwhile (now %s); reload it",
                memo_state_name((enum memo_state)job.state));
    else if (job.rc == ERR_EXISTS)
        err_set(c->err, c->errlen, "you have already signed this memo");
    if (job.rc == 0)
        m->signer_count = job.count;
    return job.rc;
}

int workflow_sign(struct wf_ctx *c, struct memo *m, const struct user_keys *k, char **note_out)
{
    const struct user *u = c->actor;
    char text[MEMO_COSIGN_TEXT_MAX], vkey_text[NOTE_VKEY_MAX], *note = NULL;
    struct note_skey *skey = NULL;
    struct note_vkey vkey;
    struct signature sig;
    enum memo_state to;
    size_t note_len = 0, text_len = 0;
    bool ok = false, first = false;
    int rc;

    if (note_out)
        *note_out = NULL;
    if ((rc = check(c, m, MEMO_SIGN, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    /* a signer signs what they can read: the digest is recomputed from the text they were
     * shown, so a text swapped in the database is never signed under the real one's digest */
    if ((rc = workflow_digest_check(c->st, c->mkey, m)) != 0) {
        err_set(c->err, c->errlen, "the memo's text is not the text its digest covers");
        return rc;
    }
    if (!u->has_keys || memcmp(u->sign_pk, k->sign_pk, sizeof(u->sign_pk)) != 0) {
        err_set(c->err, c->errlen, "your signing key changed since you signed in; sign in again");
        return ERR_STATE;
    }
    if (m->drafter_id != u->id) {
        if ((rc = drafter_signed(c, m, &first)) != 0)
            return rc;
        if (!first) {
            err_set(c->err, c->errlen, "the drafter signs first");
            return ERR_STATE;
        }
    }
    if ((rc = memo_cosign_text(m->public_id, m->digest, u->username, text, sizeof(text))) != 0)
        return rc;
    skey = keys_secure_alloc(sizeof(*skey));
    if (skey == NULL)
        return ERR_NOMEM;
    /* the key pair as unwrapped, not re-derived: the note is verified under the registered
     * key below, which a seed not matching it would fail */
    if ((rc = note_skey_from_keypair(u->username, strlen(u->username), k->sign_sk, u->sign_pk,
                                     skey)) != 0 ||
        (rc = note_sign(text, strlen(text), skey, &note, &note_len)) != 0)
        goto out;
    /* Verify against the registered key, so a bad signature is never stored (nor one a fault
     * made, which could give the key away). */
    if ((rc = note_vkey_init(u->username, strlen(u->username), u->sign_pk, &vkey)) != 0 ||
        (rc = note_vkey_format(&vkey, vkey_text, sizeof(vkey_text))) != 0)
        goto out;
    if (note_open(note, note_len, &vkey, 1, &ok, &text_len, NULL, 0) != 0 || !ok ||
        text_len != strlen(text)) {
        rc = ERR_CRYPTO;
        goto out;
    }
    memset(&sig, 0, sizeof(sig));
    sig.memo_id = m->id;
    sig.user_id = u->id;
    sig.note = note;
    sig.vkey = vkey_text;
    sig.created_at = c->now;
    if ((rc = sign_commit(c, m, &sig)) != 0)
        goto out;
    if (note_out) {
        *note_out = note;
        note = NULL;
    }
out:
    mem_free(note);
    if (skey) {
        note_skey_clear(skey);
        keys_secure_free(skey);
    }
    return rc;
}

int workflow_unsign(struct wf_ctx *c, struct memo *m)
{
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_UNSIGN, &to)) != 0)
        return rc;
    if (m->drafter_id == c->actor->id) {
        err_set(c->err, c->errlen, "the drafter's signature stays; reopen the memo instead");
        return ERR_STATE;
    }
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    rc = store_signature_withdraw(c->st, m->id, c->actor->id);
    if (rc == ERR_NOT_FOUND) {
        err_set(c->err, c->errlen, "you have no signature on this memo");
        rc = ERR_STATE;
    }
    /* whoever withdraws leaves the memo, as a decliner does: their key is deleted, so they keep
     * neither the text nor the names, unless the drafter invites them again */
    if (rc == 0)
        rc = store_member_add(c->st, m, c->actor->id, STORE_REL_DECLINED, c->now);
    if (rc == 0)
        rc = store_memo_key_delete(c->st, m->id, c->actor->id);
    if (rc == 0)
        rc = audit_append(c->st, m->id, c->actor->id, "unsigned", c->now);
    if (rc == 0)
        rc = notify_signature(c->st, c->ch, m, c->actor->id, c->now);
    if (rc == 0)
        rc = store_commit(c->st);
    if (rc != 0)
        store_rollback(c->st);
    return rc;
}

static int share_channel(struct wf_ctx *c, struct memo *m, void *arg)
{
    uint64_t held = 0;
    int rc;

    /* a memo sealed to a key no active officer of its channel holds could never be answered */
    if ((rc = enrol_channel_holders(c->st, 0, &held)) != 0)
        return rc;
    if (!channels_has(held, m->channel_id)) {
        uint8_t pk[32];
        if ((rc = trust_channel_pk(c->st, m->channel_id, pk)) == ERR_NOT_FOUND)
            err_set(c->err, c->errlen,
                    "the channel has no key yet: the first officer's enrolment makes it "
                    "(or `dissent channel init OFFICER` on the server); filing waits until then");
        else if (rc == 0)
            err_set(c->err, c->errlen,
                    "no active officer holds the channel key: filing waits until one does");
        return rc == 0 || rc == ERR_NOT_FOUND ? ERR_STATE : rc;
    }
    rc = access_share_channel(c->st, m, c->mkey, c->now);

    if (rc == ERR_STATE)
        err_set(c->err, c->errlen,
                "the channel has no key yet: the first officer's enrolment makes it "
                "(or `dissent channel init OFFICER` on the server)");
    return rc;
}

int workflow_file(struct wf_ctx *c, struct memo *m)
{
    const struct channel *ch = c->ch;
    enum memo_state to;
    bool signed_ = false;
    int rc;

    if ((rc = check(c, m, MEMO_FILE, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = drafter_signed(c, m, &signed_)) != 0)
        return rc;
    if (!signed_) {
        err_set(c->err, c->errlen, "sign the memo before filing it");
        return ERR_STATE;
    }
    m->filed_day = channel_day(c->ch, c->now);
    random_bytes(m->log_tag, sizeof(m->log_tag));
    random_bytes(m->log_salt, sizeof(m->log_salt));
    m->has_log = true;
    if ((rc = deadline_ack_due(&ch->policy, &ch->calendar, m->filed_day, &m->ack_due)) != 0 ||
        (rc = deadline_reply_due(&ch->policy, &ch->calendar, m->filed_day, DEADLINE_DAY_NONE,
                                 &m->reply_due)) != 0 ||
        (rc = deadline_reply_max(&ch->policy, &ch->calendar, m->filed_day, DEADLINE_DAY_NONE,
                                 &m->reply_max)) != 0)
        return rc;
    m->state = to;
    return save_with(c, m, "filed", NULL, share_channel, NULL);
}

/*
 * An answer (acknowledgement, reply, decline, withdrawal) while a running clock stop pauses a
 * deadline of @m meets it on time: its due day becomes today when it had passed
 * (core/calendar.h; the statistics read the log the same way: core/stats.h).
 */
static void settle_paused(struct wf_ctx *c, struct memo *m, bool ack, bool reply)
{
    const struct workdays_calendar *cal = &c->ch->calendar;
    int64_t today = channel_day(c->ch, c->now);

    if (ack && m->ack_due < today && clocks_paused(cal, m->ack_due, today))
        m->ack_due = today;
    if (reply && m->reply_due < today && clocks_paused(cal, m->reply_due, today)) {
        m->reply_due = today;
        if (m->reply_max < today)
            m->reply_max = today;
    }
}

/*
 * DESIGN's rule for another agency's author (docs/channels.md): with the channel's author_head
 * on, a memo whose drafter is of other channels, not of this one, goes to each of those
 * channels' agency_head too (an active principal of that channel), like the configured
 * principals. The relation says why (STORE_REL_AGENCY_HEAD): a principal of another channel
 * reads this memo for that reason alone. Inside the acknowledgement's transaction.
 */
static int distribute_agency_heads(struct wf_ctx *c, struct memo *m)
{
    struct user d;
    size_t added = 0;
    int rc;

    if (c->ch->cfg == NULL || !c->ch->cfg->author_head)
        return 0;
    if ((rc = store_user_get_by_id(c->st, m->drafter_id, &d)) != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc; /* (an account deleted since: no agency known) */
    uint64_t home = d.channels != 0 ? d.channels : 1;
    wipe(d.pwhash, sizeof(d.pwhash));
    if (channels_has(home, m->channel_id))
        return 0; /* the channel's own staff */
    for (int64_t h = 1; h <= CHANNELS_MAX && rc == 0; h++) {
        const struct channel *hc = NULL;
        struct user p;
        if (!channels_has(home, h))
            continue;
        if ((rc = channel_of(c->ch, c->st, h, &hc)) != 0)
            break;
        if (hc->cfg == NULL || hc->cfg->agency_head[0] == '\0')
            continue;
        memset(&p, 0, sizeof(p));
        rc = store_user_get_by_name(c->st, hc->cfg->agency_head, &p);
        if (rc == ERR_NOT_FOUND ||
            (rc == 0 && (p.disabled || !(p.roles & ROLE_PRINCIPAL) || (p.roles & ROLE_OPERATOR) ||
                         !p.has_keys || !channels_has(p.channels, h)))) {
            log_warn("channel.agency_head: %s is not an active principal of channel %lld; "
                     "skipped",
                     hc->cfg->agency_head, (long long)h);
            rc = 0;
        } else if (rc == 0 &&
                   (rc = store_member_add(c->st, m, p.id,
                                          STORE_REL_DISTRIBUTED | STORE_REL_AGENCY_HEAD, c->now)) ==
                       0 &&
                   /* one re-enrolled after a reset gets the key with the officers' confirmation */
                   (p.flags & STORE_USER_HELD ||
                    ((rc = access_share(c->st, m, c->mkey, &p, c->now)) == 0 &&
                     (rc = notify_member(c->st, c->ch, m, &p, NOTIFY_DISTRIBUTED, c->now)) == 0))) {
            added++;
        }
        wipe(p.pwhash, sizeof(p.pwhash));
    }
    if (rc == 0 && added > 0)
        rc = record(c, m, "distributed", "the author's agency head");
    return rc;
}

/* Distribute to the configured principals (inside the acknowledgement's transaction). */
static int distribute_configured(struct wf_ctx *c, struct memo *m, void *arg)
{
    const struct channel *ch = c->ch;
    size_t added = 0;
    int rc;

    for (size_t i = 0; i < ch->nprincipals; i++) {
        struct user p;
        rc = store_user_get_by_name(c->st, ch->principals[i], &p);
        /* a principal reset and not enrolled again yet: recorded now, the key comes with the
         * officers' confirmation (core/reset.h) */
        /* a principal of another channel is none of this memo's (core/channels.h) */
        if (rc == 0 && !channels_has(p.channels, m->channel_id)) {
            log_warn("channel.principals: %s is not a principal of channel %lld; skipped",
                     ch->principals[i], (long long)m->channel_id);
            continue;
        }
        if (rc == 0 && !p.has_keys && (p.flags & STORE_USER_RESET) && !p.disabled &&
            (p.roles & ROLE_PRINCIPAL) && !(p.roles & ROLE_OPERATOR)) {
            if ((rc = store_member_add(c->st, m, p.id, STORE_REL_DISTRIBUTED, c->now)) != 0)
                return rc;
            added++;
            continue;
        }
        if (rc == ERR_NOT_FOUND || (rc == 0 && (p.disabled || !(p.roles & ROLE_PRINCIPAL) ||
                                                (p.roles & ROLE_OPERATOR) || !p.has_keys))) {
            log_warn("channel.principals: %s is not an active principal; skipped",
                     ch->principals[i]);
            continue;
        }
        if (rc != 0 || (rc = store_member_add(c->st, m, p.id, STORE_REL_DISTRIBUTED, c->now)) != 0)
            return rc;
        /* a principal re-enrolled after a reset gets the key when the officers confirm the
         * account and re-share (core/reset.h); the relation is recorded now */
        if (!(p.flags & STORE_USER_HELD) &&
            ((rc = access_share(c->st, m, c->mkey, &p, c->now)) != 0 ||
             (rc = notify_member(c->st, c->ch, m, &p, NOTIFY_DISTRIBUTED, c->now)) != 0))
            return rc;
        added++;
    }
    if (added > 0 && (rc = record(c, m, "distributed", "configured principals")) != 0)
        return rc;
    return distribute_agency_heads(c, m);
}

int workflow_acknowledge(struct wf_ctx *c, struct memo *m)
{
    const struct channel *ch = c->ch;
    enum memo_state to;
    int64_t due = 0, max = 0, base;
    int rc;

    if ((rc = check(c, m, MEMO_ACKNOWLEDGE, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    settle_paused(c, m, true, false);
    m->ack_day = channel_day(c->ch, c->now);
    /* counted from the filing, or from the acknowledgement: its day when on time, else its due
     * day in force (deadline.h's rule, with the due day a calendar change may have moved) */
    base = m->filed_day;
    if (ch->policy.reply_from == DEADLINE_BASE_ACK)
        base = m->ack_day <= m->ack_due ? m->ack_day : m->ack_due;
    if ((rc = deadline_span_apply(&ch->policy.reply, &ch->calendar, base, &due)) != 0 ||
        (rc = deadline_span_apply(&ch->policy.reply_max, &ch->calendar, base, &max)) != 0)
        return rc;
    m->reply_due = due;
    m->reply_max = max > due ? max : due;
    m->state = to;
    return save_with(c, m, "acknowledged", NULL, distribute_configured, NULL);
}

int workflow_decline(struct wf_ctx *c, struct memo *m, const char *reason, const char *referral,
                     const char *note)
{
    char detail[MEMO_REASON_MAX + MEMO_REFERRAL_MAX + 16];
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_DECLINE, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = check_text(c, "reason", reason, reason ? strlen(reason) : 0, MEMO_REASON_MAX)) != 0)
        return rc;
    if (referral == NULL || !memo_referral_valid(referral)) {
        err_set(c->err, c->errlen, "referral: one of " MEMO_REFERRALS);
        return ERR_INVALID;
    }
    if (note != NULL && str_blank(note))
        note = NULL;
    if (note == NULL && strcmp(referral, "other") == 0) {
        err_set(c->err, c->errlen, "referral_note: say where the memo is referred");
        return ERR_INVALID;
    }
    if (note != NULL &&
        (rc = check_text(c, "referral_note", note, strlen(note), MEMO_REASON_MAX)) != 0)
        return rc;
    if ((rc = set_field(c, m, "reason", 0, reason, strlen(reason), &m->reason, &m->reason_len)) !=
        0)
        return rc;
    snprintf(detail, sizeof(detail), "referral %s%s%s", referral, note ? ": " : "",
             note ? note : "");
    settle_paused(c, m, true, true);
    m->state = to;
    rc = save(c, m, "declined", detail);
    wipe(detail, sizeof(detail));
    return rc;
}

int workflow_assign(struct wf_ctx *c, struct memo *m, const char *username, const char *reason)
{
    char detail[MEMO_REASON_MAX + USERNAME_MAX + 8];
    uint8_t sealed[STORE_SEALED_LEN];
    struct memo_member *cur = NULL;
    size_t ncur = 0;
    enum memo_state to;
    unsigned rel = 0;
    struct user u;
    int rc;

    memset(&u, 0, sizeof(u));
    memset(detail, 0, sizeof(detail));
    memset(sealed, 0, sizeof(sealed));
    if ((rc = check(c, m, MEMO_ASSIGN, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    rc =
        user_username_valid(username) ? store_user_get_by_name(c->st, username, &u) : ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND || (rc == 0 && (u.disabled || !(u.roles & ROLE_OFFICER)))) {
        err_set(c->err, c->errlen, "username: \"%.64s\" is not an active officer", username);
        rc = ERR_INVALID;
        goto out;
    }
    if (rc != 0 || (rc = workflow_relation(c->st, m, &u, &rel)) != 0)
        goto out;
    if (!(rel & WF_OFFICER)) {
        err_set(c->err, c->errlen,
                "username: %.64s is recused from this memo (they drafted it, were asked to sign "
                "it, or their account was reset since)",
                username);
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = store_channel_grant_get(c->st, m->channel_id, u.id, sealed)) != 0) {
        if (rc == ERR_NOT_FOUND) {
            err_set(c->err, c->errlen,
                    "username: %.64s does not hold the channel key yet, so cannot read the memo",
                    username);
            rc = ERR_INVALID;
        }
        goto out;
    }
    if ((rc = store_member_list(c->st, m, STORE_REL_ASSIGNED, &cur, &ncur)) != 0)
        goto out;
    if (ncur > 0 && cur[0].user_id == u.id) {
        err_set(c->err, c->errlen, "username: the memo is already assigned to %.64s", username);
        rc = ERR_INVALID;
        goto out;
    }
    if (reason != NULL && reason[0] == '\0')
        reason = NULL;
    if (ncur > 0 && reason == NULL) {
        err_set(c->err, c->errlen, "reason: a reassignment says why");
        rc = ERR_INVALID;
        goto out;
    }
    if (reason && (rc = check_text(c, "reason", reason, strlen(reason), MEMO_REASON_MAX)) != 0)
        goto out;
    snprintf(detail, sizeof(detail), "%s%s%s", u.username, reason ? ": " : "",
             reason ? reason : "");
    if ((rc = store_begin(c->st)) != 0)
        goto out;
    for (size_t i = 0; i < ncur && rc == 0; i++)
        rc = store_member_drop(c->st, m->id, cur[i].user_id, STORE_REL_ASSIGNED);
    if (rc == 0)
        rc = store_member_add(c->st, m, u.id, STORE_REL_ASSIGNED, c->now);
    if (rc == 0)
        rc = record(c, m, ncur > 0 ? "reassigned" : "assigned", detail);
    if (rc == 0)
        rc = notify_assigned(c->st, c->ch, m, &u, c->actor->id, c->now);
    if (rc == 0)
        rc = store_commit(c->st);
    if (rc != 0)
        store_rollback(c->st);
out:
    wipe(detail, sizeof(detail));
    wipe(sealed, sizeof(sealed));
    wipe(u.pwhash, sizeof(u.pwhash));
    mem_free(cur);
    return rc;
}

int workflow_distribute(struct wf_ctx *c, struct memo *m, const char *const *usernames, size_t n)
{
    enum memo_state to;
    struct user *users = NULL;
    int rc;

    if ((rc = check(c, m, MEMO_DISTRIBUTE, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = resolve(c, m, usernames, n, ROLE_PRINCIPAL, &users)) != 0)
        return rc;
    rc = add_members(c, m, users, n, STORE_REL_DISTRIBUTED, "distributed");
    mem_free(users);
    return rc;
}

int workflow_extend(struct wf_ctx *c, struct memo *m, int64_t until, const char *reason)
{
    const struct channel *ch = c->ch;
    char detail[MEMO_REASON_MAX + 32], day[WORKDAYS_ISO_SIZE];
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_EXTEND, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    /* an extension is granted before the due date passes, never after: a reply already late
     * stays late (one granted afterwards would launder it into an on-time answer) */
    if (channel_day(c->ch, c->now) > m->reply_due) {
        workdays_day_format(m->reply_due, day, sizeof(day));
        err_set(c->err, c->errlen,
                "the reply was due on %s: an extension is granted until its due date, never "
                "after it has passed",
                day);
        return ERR_PASSED;
    }
    if ((rc = check_text(c, "reason", reason, reason ? strlen(reason) : 0, MEMO_REASON_MAX)) != 0)
        return rc;
    /* within the policy's maximum and the memo's own (a clarification's reply has none) */
    if (until > m->reply_max ||
        deadline_extension_check(&ch->policy, &ch->calendar, m->filed_day, m->ack_day, m->reply_due,
                                 until, NULL, 0) != 0) {
        char max[WORKDAYS_ISO_SIZE], cur[WORKDAYS_ISO_SIZE];
        workdays_day_format(m->reply_max, max, sizeof(max));
        workdays_day_format(m->reply_due, cur, sizeof(cur));
        err_set(c->err, c->errlen,
                "until: must be after the current due date %s and no later than the maximum %s",
                cur, max);
        return ERR_INVALID;
    }
    /* past the ordinary reply period, the head's to grant where the head approves replies */
    if (ch->cfg != NULL && channel_reply_approval(ch->cfg) && !(c->actor->roles & ROLE_HEAD)) {
        int64_t ordinary = -1;
        if ((rc = deadline_reply_due(&ch->policy, &ch->calendar, m->filed_day, m->ack_day,
                                     &ordinary)) != 0)
            return rc;
        if (until > ordinary) {
            workdays_day_format(ordinary, day, sizeof(day));
            err_set(c->err, c->errlen,
                    "an extension beyond the ordinary reply period (due %s) is granted by the "
                    "channel's head",
                    day);
            return ERR_FORBIDDEN;
        }
    }
    workdays_day_format(until, day, sizeof(day));
    snprintf(detail, sizeof(detail), "until %s: %s", day, reason);
    m->reply_due = until;
    rc = save(c, m, "extended", detail);
    wipe(detail, sizeof(detail));
    return rc;
}

int workflow_rescheduled(struct wf_ctx *c, struct memo *m)
{
    int rc;

    m->updated_at = c->now;
    if ((rc = store_event_add(c->st, m->id, "rescheduled", 0, NULL, c->now)) != 0 ||
        (rc = log_event(c, m, "rescheduled")) != 0)
        return rc;
    return store_memo_update(c->st, m);
}

int workflow_interim(struct wf_ctx *c, struct memo *m, const char *body)
{
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_INTERIM, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = check_text(c, "body", body, body ? strlen(body) : 0, MEMO_REASON_MAX)) != 0)
        return rc;
    if (str_blank(body)) {
        err_set(c->err, c->errlen, "body: an interim answer says something");
        return ERR_INVALID;
    }
    return save(c, m, "interim", body);
}

/* The head's approval of a reply, checked again and recorded in the reply's transaction. */
struct approval {
    int (*recheck)(struct wf_ctx *c, struct memo *m, void *arg); /* may be NULL */
    void *arg;
    char detail[USERNAME_MAX + NOTE_VKEY_MAX + 2]; /* "USERNAME VKEY": the key the head's
                                                      signature on the note verifies under */
};

static int record_approval(struct wf_ctx *c, struct memo *m, void *arg)
{
    struct approval *a = arg;
    int rc = a->recheck ? a->recheck(c, m, a->arg) : 0;

    return rc != 0 ? rc : record(c, m, "approved", a->detail);
}

/*
 * Send @body as @m's reply: the channel signs the note binding it to the memo's digest and, when
 * the head @k approves it, the head signs the same note too (their key name is their username),
 * verified against their registered key before anything is stored.
 */
static int send_reply(struct wf_ctx *c, struct memo *m, enum memo_action action, const char *body,
                      size_t len, const struct user_keys *k, struct approval *approval)
{
    const struct user *u = c->actor;
    char text[MEMO_REPLY_TEXT_MAX], *note = NULL, *signed2 = NULL, vkey_text[NOTE_VKEY_MAX];
    struct note_skey *skey = NULL;
    struct note_vkey vkey;
    uint8_t reply_digest[32];
    enum memo_state to;
    size_t note_len = 0, text_len = 0;
    bool ok = false;
    int rc;

    if ((rc = check(c, m, action, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = check_text(c, "body", body, len, MEMO_REPLY_MAX)) != 0)
        return rc;
    if (k != NULL && (!u->has_keys || memcmp(u->sign_pk, k->sign_pk, sizeof(u->sign_pk)) != 0)) {
        err_set(c->err, c->errlen, "your signing key changed since you signed in; sign in again");
        return ERR_STATE;
    }
    hash_sha256(reply_digest, body, len);
    if ((rc = memo_reply_text(m->public_id, m->digest, reply_digest, text, sizeof(text))) != 0 ||
        (rc = note_sign(text, strlen(text), c->ch->key, &note, &note_len)) != 0)
        return rc;
    if (k != NULL) {
        if ((skey = keys_secure_alloc(sizeof(*skey))) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        /* verified under the registered key below, as in workflow_sign() */
        if ((rc = note_skey_from_keypair(u->username, strlen(u->username), k->sign_sk, u->sign_pk,
                                         skey)) != 0 ||
            (rc = note_sign_add(note, note_len, skey, &signed2, &note_len)) != 0 ||
            (rc = note_vkey_init(u->username, strlen(u->username), u->sign_pk, &vkey)) != 0 ||
            (rc = note_vkey_format(&vkey, vkey_text, sizeof(vkey_text))) != 0)
            goto out;
        mem_free(note);
        note = signed2;
        signed2 = NULL;
        if (note_open(note, note_len, &vkey, 1, &ok, &text_len, NULL, 0) != 0 || !ok ||
            text_len != strlen(text)) {
            rc = ERR_CRYPTO;
            goto out;
        }
        snprintf(approval->detail, sizeof(approval->detail), "%s %s", u->username, vkey_text);
    }
    if ((rc = set_field(c, m, "reply", 0, body, len, &m->reply, &m->reply_len)) != 0)
        goto out;
    mem_free(m->reply_note);
    m->reply_note = (uint8_t *)note;
    m->reply_note_len = note_len;
    note = NULL;
    settle_paused(c, m, false, true);
    m->replied_day = channel_day(c->ch, c->now);
    m->state = to;
    rc = save_with(c, m, "replied", NULL, k != NULL ? record_approval : NULL, approval);
out:
    mem_free(note);
    mem_free(signed2);
    if (skey) {
        note_skey_clear(skey);
        keys_secure_free(skey);
    }
    return rc;
}

int workflow_reply(struct wf_ctx *c, struct memo *m, const char *body, size_t len)
{
    if (c->ch->cfg != NULL && channel_reply_approval(c->ch->cfg)) {
        err_set(c->err, c->errlen,
                "on this channel the head approves every reply: save it as the reply's draft and "
                "submit it for approval");
        return ERR_STATE;
    }
    return send_reply(c, m, MEMO_REPLY, body, len, NULL, NULL);
}

int workflow_reply_approved(struct wf_ctx *c, struct memo *m, const char *body, size_t len,
                            const struct user_keys *k,
                            int (*recheck)(struct wf_ctx *c, struct memo *m, void *arg), void *arg)
{
    struct approval a = {.recheck = recheck, .arg = arg};

    if (k == NULL)
        return ERR_INVALID;
    return send_reply(c, m, MEMO_APPROVE, body, len, k, &a);
}

/* A transition with nothing to record but its event (and, optionally, its day). */
static int simple(struct wf_ctx *c, struct memo *m, enum memo_action action, const char *event,
                  int64_t *day)
{
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, action, &to)) != 0)
        return rc;
    if (day != NULL)
        *day = channel_day(c->ch, c->now);
    m->state = to;
    return save(c, m, event, NULL);
}

int64_t workflow_accept_until(const struct channel *ch, const struct memo *m)
{
    int64_t until = -1;

    if (ch == NULL || ch->cfg == NULL || ch->cfg->accept_window <= 0 || m->replied_day < 0 ||
        workdays_calendar_add(&ch->calendar, m->replied_day, ch->cfg->accept_window, &until) != 0)
        return -1;
    return until;
}

int workflow_close(struct wf_ctx *c, struct memo *m)
{
    int64_t until = workflow_accept_until(c->ch, m);
    char day[WORKDAYS_ISO_SIZE];

    /* the drafter's turn first: the memo closes when they accept, or when their window ends */
    if (m->state == MEMO_REPLIED && until >= 0 &&
        (channel_day(c->ch, c->now) <= until ||
         clocks_paused(&c->ch->calendar, until, channel_day(c->ch, c->now)))) {
        workdays_day_format(until, day, sizeof(day));
        err_set(c->err, c->errlen,
                "the drafter may accept the reply or ask for clarification until %s: the memo "
                "closes then",
                day);
        return ERR_STATE;
    }
    return simple(c, m, MEMO_CLOSE, "closed", &m->closed_day);
}

int workflow_accept(struct wf_ctx *c, struct memo *m)
{
    return simple(c, m, MEMO_ACCEPT, "accepted", &m->closed_day);
}

/* What a clarification request replaces: the reply's text and when it came against its due day
 * ("done DAY due DAY"), both kept in the timeline (event details). */
struct earlier {
    char *text;
    char when[64];
};

static int keep_earlier_reply(struct wf_ctx *c, struct memo *m, void *arg)
{
    struct earlier *e = arg;
    int rc = 0;

    if (e->text != NULL)
        rc = record(c, m, "earlier_reply", e->text);
    return rc != 0 ? rc : record(c, m, "earlier_reply_due", e->when);
}

int workflow_clarify(struct wf_ctx *c, struct memo *m, const char *question)
{
    struct content_place at = {.field = "reply"};
    int64_t today = channel_day(c->ch, c->now), until = workflow_accept_until(c->ch, m), due = 0;
    char day[WORKDAYS_ISO_SIZE], done[WORKDAYS_ISO_SIZE];
    struct earlier earlier = {NULL, ""};
    enum memo_state to;
    size_t n = 0;
    int rc;

    if ((rc = check(c, m, MEMO_CLARIFY, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if (until >= 0 && today > until && !clocks_paused(&c->ch->calendar, until, today)) {
        workdays_day_format(until, day, sizeof(day));
        err_set(c->err, c->errlen, "the time to ask for clarification ended on %s", day);
        return ERR_PASSED;
    }
    if ((rc = check_text(c, "question", question, question ? strlen(question) : 0,
                         MEMO_REASON_MAX)) != 0)
        return rc;
    if (str_blank(question)) {
        err_set(c->err, c->errlen, "question: say what needs clarifying");
        return ERR_INVALID;
    }
    if ((rc = workdays_calendar_add(&c->ch->calendar, today, c->ch->cfg->clarify_days, &due)) != 0)
        return rc;
    /* the reply it replaces stays in the timeline, and whether it came on time */
    if (m->reply != NULL && (rc = content_open(c->mkey, m->public_id, &at, m->reply, m->reply_len,
                                               &earlier.text, &n, NULL)) != 0)
        return rc;
    workdays_day_format(m->replied_day, done, sizeof(done));
    workdays_day_format(m->reply_due, day, sizeof(day));
    snprintf(earlier.when, sizeof(earlier.when), "done %s due %s", done, day);
    mem_free(m->reply);
    mem_free(m->reply_note);
    m->reply = m->reply_note = NULL;
    m->reply_len = m->reply_note_len = 0;
    m->replied_day = STORE_DAY_NONE;
    m->reply_due = m->reply_max = due;
    m->state = to;
    rc = save_with(c, m, "clarification", question, keep_earlier_reply, &earlier);
    if (earlier.text != NULL) {
        wipe(earlier.text, n);
        mem_free(earlier.text);
    }
    return rc;
}

int workflow_withdraw(struct wf_ctx *c, struct memo *m)
{
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_WITHDRAW, &to)) != 0)
        return rc;
    settle_paused(c, m, m->state == MEMO_FILED, true);
    m->state = to;
    return save(c, m, "withdrawn", NULL);
}

int workflow_delete(struct wf_ctx *c, struct memo *m)
{
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_DELETE, &to)) != 0)
        return rc;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    if ((rc = store_memo_delete(c->st, m)) != 0 || (rc = store_commit(c->st)) != 0) {
        store_rollback(c->st);
        if (rc == ERR_CONFLICT)
            err_set(c->err, c->errlen, "the memo changed meanwhile; reload it");
        return rc;
    }
    store_scrub(c->st); /* the deleted rows and key envelopes leave the disk (SQLite's WAL) */
    return 0;
}

int workflow_comment(struct wf_ctx *c, struct memo *m, const char *body, size_t len,
                     struct memo_comment *out)
{
    struct memo_comment cm;
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_COMMENT, &to)) != 0 || (rc = need_key(c)) != 0)
        return rc;
    if ((rc = check_text(c, "body", body, len, MEMO_COMMENT_MAX)) != 0)
        return rc;
    memset(&cm, 0, sizeof(cm));
    cm.author_id = c->actor->id;
    cm.at = c->now;
    /* sealed to its author and time: the database cannot give it to another author */
    struct content_place at = {.field = "comment", .who = cm.author_id, .at = cm.at};
    if ((rc = content_seal(c->mkey, m->public_id, &at, 0, body, len, &cm.body, &cm.body_len)) != 0)
        return rc;
    if ((rc = store_begin(c->st)) != 0)
        goto out;
    if ((rc = store_comment_add(c->st, m->id, &cm)) != 0 ||
        (rc = audit_append(c->st, m->id, c->actor->id, "commented", c->now)) != 0 ||
        (rc = notify_comment(c->st, c->ch, m, c->actor->id, c->now)) != 0 ||
        (rc = store_commit(c->st)) != 0) {
        store_rollback(c->st);
        goto out;
    }
    if (out != NULL) {
        *out = cm;
        str_copy(out->username, sizeof(out->username), c->actor->username);
        str_copy(out->display_name, sizeof(out->display_name), c->actor->display_name);
        out->body = (uint8_t *)mem_strndup(body, len);
        out->body_len = len;
        if (out->body == NULL)
            rc = ERR_NOMEM;
    }
out:
    mem_free(cm.body);
    return rc;
}

/* One periodic pass: what it needs, and what it did. */
struct pass {
    struct store *st;
    const struct channel *ch;
    int64_t now;
    size_t done;      /* memos closed, entries logged */
    const char *what; /* for the server log: "its window could not be closed" */
    const struct channel *chs[CHANNELS_MAX + 1]; /* each channel's rules, read once a pass */
};

/* The rules of @m's channel (channel_of()), read once in the pass. */
static int pass_channel(struct pass *p, const struct memo *m, const struct channel **out)
{
    int64_t id = m->channel_id >= 1 && m->channel_id <= CHANNELS_MAX ? m->channel_id : 1;
    int rc;

    if (p->chs[id] == NULL && (rc = channel_of(p->ch, p->st, id, &p->chs[id])) != 0)
        return rc;
    *out = p->chs[id];
    return 0;
}

/*
 * Run @fn on every memo in @state (-1: every filed one), page by page (list rows: summaries).
 * One memo that fails (logged) stops no other; the database down, or memory out, stops the pass.
 */
static int each_memo(struct pass *p, int state, int (*fn)(struct pass *p, const struct memo *m))
{
    struct memo_filter f = {.all_from = MEMO_FILED, .state = state, .limit = 100};
    struct memo *ms = NULL;
    size_t got = 0;
    int rc = 0;

    do {
        if ((rc = store_memo_list(p->st, &f, &ms, &got)) != 0)
            break;
        for (size_t i = 0; i < got && rc == 0; i++) {
            if ((rc = fn(p, &ms[i])) != 0 && rc != ERR_CONFLICT)
                log_warn("memo %s: %s (%s)", ms[i].public_id, p->what, err_str(rc));
            rc = rc == ERR_DB || rc == ERR_NOMEM ? rc : 0;
        }
        if (got > 0)
            f.after = ms[got - 1].id;
        store_memo_list_free(ms, got);
        ms = NULL;
    } while (rc == 0 && got == 100);
    return rc;
}

int workflow_each_waiting(struct store *st, int (*fn)(void *arg, const struct memo *m), void *arg)
{
    static const int waiting[] = {MEMO_FILED, MEMO_ACKNOWLEDGED};
    int rc = 0;

    for (size_t s = 0; s < sizeof(waiting) / sizeof(waiting[0]) && rc == 0; s++) {
        struct memo_filter f = {.all_from = MEMO_FILED, .state = waiting[s], .limit = 100};
        size_t got = 0;
        do {
            struct memo *ms = NULL;
            if ((rc = store_memo_list(st, &f, &ms, &got)) != 0)
                break;
            for (size_t i = 0; i < got && rc == 0; i++)
                rc = fn(arg, &ms[i]);
            if (got > 0)
                f.after = ms[got - 1].id;
            store_memo_list_free(ms, got);
        } while (rc == 0 && got == (size_t)f.limit);
    }
    return rc;
}

/* Close @listed if its drafter's window has ended, on its whole row read in the transaction
 * (ERR_CONFLICT: changed meanwhile, the next round sees it). */
static int close_window(struct pass *p, const struct memo *listed)
{
    const struct channel *ch = NULL;
    int rc = pass_channel(p, listed, &ch);

    if (rc != 0)
        return rc;
    struct wf_ctx c = {.st = p->st, .ch = ch, .now = p->now};
    int64_t until = workflow_accept_until(ch, listed), today = channel_day(ch, p->now);
    struct memo m;

    /* a running clock stop holds the drafter's window too: its days extend it once the stop
     * ends */
    if (listed->state != MEMO_REPLIED || until < 0 || today <= until ||
        clocks_paused(&ch->calendar, until, today))
        return 0;
    if ((rc = store_begin(p->st)) != 0)
        return rc;
    if ((rc = store_memo_get(p->st, listed->public_id, &m)) != 0) {
        store_rollback(p->st);
        return rc;
    }
    until = workflow_accept_until(ch, &m);
    if (m.state != MEMO_REPLIED || until < 0 || today <= until) { /* answered meanwhile */
        store_rollback(p->st);
        store_memo_release(&m);
        return 0;
    }
    m.state = MEMO_CLOSED;
    m.closed_day = today;
    m.updated_at = p->now;
    if ((rc = store_event_add(p->st, m.id, "window_closed", 0, NULL, p->now)) != 0 ||
        (rc = log_event(&c, &m, "window_closed")) != 0 ||
        (rc = store_memo_update(p->st, &m)) != 0 ||
        (rc = notify_event(p->st, ch, &m, "closed", 0, p->now)) != 0 ||
        (rc = store_commit(p->st)) != 0)
        store_rollback(p->st);
    else
        p->done++;
    store_memo_release(&m);
    return rc;
}

int workflow_close_windows(struct store *st, const struct channel *ch, int64_t now, size_t *closed)
{
    struct pass p = {.st = st, .ch = ch, .now = now, .what = "its window could not be closed"};
    int rc = each_memo(&p, MEMO_REPLIED, close_window);

    if (closed != NULL)
        *closed = p.done;
    return rc;
}

/* Whether @m's timeline has an event of @kind already. */
static int has_event(struct store *st, const struct memo *m, const char *kind, bool *yes)
{
    struct memo_event *ev = NULL;
    size_t n = 0;
    int rc = store_event_list(st, m->id, &ev, &n);

    *yes = false;
    for (size_t i = 0; rc == 0 && i < n && !*yes; i++)
        *yes = strcmp(ev[i].kind, kind) == 0;
    store_event_list_free(ev, n);
    return rc;
}

/* Record rung @rung of @m's missed deadline due on @due (@which "ack" or "reply"), once: looked
 * for first without the write lock, then again inside the transaction, on the memo as it is
 * there (an answer may have come meanwhile). */
static int escalation_fact(struct store *st, const struct channel *ch, const struct memo *listed,
                           const char *which, int64_t due, int rung, int64_t now, bool *added)
{
    char kind[32], day[WORKDAYS_ISO_SIZE], text[LEDGER_ENTRY_MAX];
    int64_t today = channel_day(ch, now);
    struct ledger_entry e;
    struct memo m;
    uint64_t index;
    size_t len = 0;
    bool seen = false;
    int rc;

    *added = false;
    workdays_day_format(due, day, sizeof(day));
    snprintf(kind, sizeof(kind), "escalated:%s:%s:%d", which, day, rung);
    if ((rc = has_event(st, listed, kind, &seen)) != 0 || seen)
        return rc;
    if ((rc = store_begin(st)) != 0)
        return rc;
    memset(&m, 0, sizeof(m));
    if ((rc = store_memo_get(st, listed->public_id, &m)) != 0)
        goto out;
    /* still waiting on that deadline, still missed, not paused, not logged meanwhile */
    if (m.state != (strcmp(which, "ack") == 0 ? MEMO_FILED : MEMO_ACKNOWLEDGED) ||
        (strcmp(which, "ack") == 0 ? m.ack_due : m.reply_due) != due || today <= due ||
        clocks_paused(&ch->calendar, due, today) || (rc = has_event(st, &m, kind, &seen)) != 0 ||
        seen)
        goto out;
    memset(&e, 0, sizeof(e));
    e.event = LEDGER_ESCALATED;
    memcpy(e.tag, m.log_tag, sizeof(e.tag));
    e.channel = m.channel_id;
    e.day = today;
    e.ack_due = e.reply_due = e.last = -1;
    e.first = due;
    e.rung = rung;
    if ((rc = store_event_add(st, m.id, kind, 0, NULL, now)) == 0 &&
        (rc = ledger_entry_format(&e, text, &len)) == 0 &&
        (rc = ledger_append(st, text, len, &index)) == 0 && (rc = store_commit(st)) == 0) {
        *added = true;
        store_memo_release(&m);
        return 0;
    }
out:
    store_rollback(st);
    store_memo_release(&m);
    return rc;
}

/* Log the escalation rungs @m's missed deadline has reached and not logged yet: the ladder as
 * core/notify.c climbs it, the officers and the head from the day after the due day, the
 * principals [mail] escalate_principals working days later (when the channel has principals). */
static int escalate_memo(struct pass *p, const struct memo *m)
{
    const struct channel *ch = NULL;
    int rc = pass_channel(p, m, &ch);

    if (rc != 0)
        return rc;
    int principals = ch->cfg != NULL ? ch->cfg->mail_escalate_principals : 0;
    bool ack = m->state == MEMO_FILED, added = false;
    int64_t due = ack ? m->ack_due : m->reply_due, late = 0, today = channel_day(ch, p->now);

    /* a memo without a log tag (none filed without one) has nothing to log */
    if ((m->state != MEMO_FILED && m->state != MEMO_ACKNOWLEDGED) || due < 0 || today <= due ||
        !m->has_log || clocks_paused(&ch->calendar, due, today))
        return 0;
    if ((rc = workdays_calendar_count(&ch->calendar, due, today, &late)) != 0)
        return rc;
    for (int rung = 1; rung <= 2 && rc == 0; rung++) {
        if (rung == 2 &&
            (principals <= 0 || ch->nprincipals == 0 || (late > 0 ? late - 1 : 0) < principals))
            break;
        rc = escalation_fact(p->st, ch, m, ack ? "ack" : "reply", due, rung, p->now, &added);
        p->done += added;
    }
    return rc;
}

int workflow_escalations(struct store *st, const struct channel *ch, int64_t now, size_t *count)
{
    struct pass p = {
        .st = st, .ch = ch, .now = now, .what = "its escalation could not be recorded"};
    /* only the memos waiting on the channel, by state (an index): not every memo ever filed,
     * which this pass, every minute, once read whole */
    int rc = each_memo(&p, MEMO_FILED, escalate_memo);

    if (rc == 0)
        rc = each_memo(&p, MEMO_ACKNOWLEDGED, escalate_memo);

    if (count != NULL)
        *count = p.done;
    return rc;
}

int workflow_addendum_link(struct wf_ctx *c, struct keyring *kr, const struct memo *m)
{
    struct memo_event *ev = NULL;
    char *orig_id = NULL, why[256];
    uint8_t *key = NULL;
    struct memo orig;
    size_t n = 0;
    int rc;

    memset(&orig, 0, sizeof(orig));
    if ((rc = store_event_list(c->st, m->id, &ev, &n)) != 0)
        return rc;
    rc = ERR_NOT_FOUND;
    for (size_t i = 0; i < n && rc == ERR_NOT_FOUND; i++) {
        struct content_place at = {
            .field = "event", .kind = ev[i].kind, .who = ev[i].actor_id, .at = ev[i].at};
        if (strcmp(ev[i].kind, "addendum_of") == 0 && ev[i].detail != NULL)
            rc = content_open_text(c->mkey, m->public_id, &at, ev[i].detail, &orig_id);
    }
    store_event_list_free(ev, n);
    if (rc != 0)
        return rc;
    if ((rc = store_memo_get(c->st, orig_id, &orig)) != 0)
        goto out;
    if ((key = keys_secure_alloc(ACCESS_KEY_LEN)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if ((rc = access_memo_key(kr, &orig, key, why, sizeof(why))) == 0) {
        struct wf_ctx oc = *c;
        oc.mkey = key;
        if ((rc = store_begin(c->st)) == 0) {
            if ((rc = record(&oc, &orig, "addendum", m->public_id)) == 0)
                rc = store_commit(c->st);
            if (rc != 0)
                store_rollback(c->st);
        }
    }
out:
    keys_secure_free(key);
    store_memo_release(&orig);
    mem_free(orig_id);
    return rc;
}
