#include "core/workflow.h"

#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"

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
    if ((rc = store_member_get(st, m->id, u->id, &member)) != 0)
        return rc;
    if ((member & STORE_REL_INVITED) && (u->roles & ROLE_STAFF))
        *rel |= WF_INVITED;
    if ((member & STORE_REL_DISTRIBUTED) && (u->roles & ROLE_PRINCIPAL))
        *rel |= WF_PRINCIPAL;
    if ((u->roles & ROLE_OFFICER) && m->state >= MEMO_FILED)
        *rel |= WF_OFFICER;
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

/* Write @m (already changed by the caller) and one timeline event, in one transaction. */
static int save(struct wf_ctx *c, struct memo *m, const char *event, const char *detail)
{
    int rc;

    m->updated_at = c->now;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    if ((rc = store_memo_update(c->st, m)) != 0 ||
        (event && (rc = store_event_add(c->st, m->id, event, c->actor->id, detail, c->now)) != 0))
        goto fail;
    if ((rc = store_commit(c->st)) != 0)
        goto fail;
    return 0;
fail:
    store_rollback(c->st);
    if (rc == ERR_CONFLICT)
        err_set(c->err, c->errlen, "the memo changed meanwhile; reload it");
    return rc;
}

/* A malloc'd copy of @len bytes (NUL-terminated), or NULL. */
static uint8_t *dup_bytes(const char *p, size_t len)
{
    uint8_t *out = malloc(len + 1);

    if (out != NULL) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
    return out;
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

int workflow_create(struct wf_ctx *c, const char *title, size_t title_len, const char *body,
                    size_t body_len, bool show_names, struct memo *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = check_title(c, title, title_len)) != 0 || (rc = check_body(c, body, body_len)) != 0)
        return rc;
    out->drafter_id = c->actor->id;
    out->state = MEMO_DRAFT;
    out->show_names = show_names;
    out->created_at = c->now;
    out->filed_day = out->ack_day = out->ack_due = out->reply_due = out->reply_max =
        out->replied_day = out->closed_day = STORE_DAY_NONE;
    out->title = dup_bytes(title, title_len);
    out->body = dup_bytes(body, body_len);
    if (out->title == NULL || out->body == NULL) {
        store_memo_release(out);
        return ERR_NOMEM;
    }
    out->title_len = title_len;
    out->body_len = body_len;
    for (int tries = 0; tries < 3; tries++) {
        memo_id_new(out->public_id);
        if ((rc = store_begin(c->st)) != 0)
            break;
        rc = store_memo_create(c->st, out);
        if (rc == 0)
            rc = store_event_add(c->st, out->id, "created", c->actor->id, NULL, c->now);
        if (rc == 0)
            rc = store_commit(c->st);
        if (rc != 0)
            store_rollback(c->st);
        if (rc != ERR_EXISTS)
            break;
    }
    if (rc != 0)
        store_memo_release(out);
    return rc;
}

int workflow_edit(struct wf_ctx *c, struct memo *m, const char *title, size_t title_len,
                  const char *body, size_t body_len, int show_names)
{
    enum memo_state to;
    uint8_t *t = NULL, *b = NULL;
    int rc;

    if (title == NULL && body == NULL && show_names < 0)
        return 0;
    if ((rc = check(c, m, MEMO_EDIT, &to)) != 0)
        return rc;
    if ((title && (rc = check_title(c, title, title_len)) != 0) ||
        (body && (rc = check_body(c, body, body_len)) != 0))
        return rc;
    if ((title && (t = dup_bytes(title, title_len)) == NULL) ||
        (body && (b = dup_bytes(body, body_len)) == NULL)) {
        free(t);
        return ERR_NOMEM;
    }
    if (t) {
        free(m->title);
        m->title = t;
        m->title_len = title_len;
    }
    if (b) {
        free(m->body);
        m->body = b;
        m->body_len = body_len;
    }
    if (show_names >= 0)
        m->show_names = show_names != 0;
    return save(c, m, NULL, NULL);
}

int workflow_finalize(struct wf_ctx *c, struct memo *m)
{
    enum memo_state to;
    char *canon = NULL;
    size_t len = 0;
    int rc;

    if ((rc = check(c, m, MEMO_FINALIZE, &to)) != 0)
        return rc;
    rc = memo_canonical_text(m->public_id, (const char *)m->title, m->title_len,
                             (const char *)m->body, m->body_len, &canon, &len);
    if (rc != 0) {
        err_set(c->err, c->errlen, "the text cannot be made canonical");
        return rc;
    }
    memo_digest(canon, len, m->digest);
    free(canon);
    m->has_digest = true;
    m->state = to;
    return save(c, m, "finalized", NULL);
}

int workflow_reopen(struct wf_ctx *c, struct memo *m, const char *reason)
{
    char why[MEMO_REASON_MAX + 128];
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_REOPEN, &to)) != 0)
        return rc;
    if (reason && (rc = check_text(c, "reason", reason, strlen(reason), MEMO_REASON_MAX)) != 0)
        return rc;
    snprintf(why, sizeof(why), "the drafter reopened the memo to edit its text%s%s",
             reason ? ": " : "", reason ? reason : "");
    m->state = to;
    m->updated_at = c->now;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    if ((rc = store_memo_update(c->st, m)) != 0 ||
        (rc = store_signature_void_all(c->st, m->id, why, c->now)) != 0 ||
        (rc = store_event_add(c->st, m->id, "reopened", c->actor->id, reason, c->now)) != 0 ||
        (rc = store_commit(c->st)) != 0) {
        store_rollback(c->st);
        return rc;
    }
    return 0;
}

/* Resolve @n usernames to users having @role; ERR_INVALID names the first bad one. */
static int resolve(struct wf_ctx *c, const char *const *names, size_t n, unsigned role,
                   const char *what, struct user **out)
{
    struct user *u;

    *out = NULL;
    if (n == 0 || n > WF_INVITE_MAX) {
        err_set(c->err, c->errlen, "usernames: 1 to %d names", WF_INVITE_MAX);
        return ERR_INVALID;
    }
    u = calloc(n, sizeof(*u));
    if (u == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = user_username_valid(names[i]) ? store_user_get_by_name(c->st, names[i], &u[i])
                                               : ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND || (rc == 0 && (u[i].disabled || !(u[i].roles & role)))) {
            err_set(c->err, c->errlen, "usernames: \"%.64s\" is not an active %s", names[i], what);
            rc = ERR_INVALID;
        }
        if (rc != 0) {
            free(u);
            return rc;
        }
    }
    *out = u;
    return 0;
}

/* Add @rel for each of @users and one event, in one transaction. */
static int add_members(struct wf_ctx *c, struct memo *m, const struct user *users, size_t n,
                       unsigned rel, const char *event)
{
    char detail[32];
    int rc;

    if ((rc = store_begin(c->st)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_member_add(c->st, m->id, users[i].id, rel, c->now);
    snprintf(detail, sizeof(detail), "%zu", n);
    if (rc == 0)
        rc = store_event_add(c->st, m->id, event, c->actor->id, detail, c->now);
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

    if ((rc = check(c, m, MEMO_INVITE, &to)) != 0)
        return rc;
    if ((rc = resolve(c, usernames, n, ROLE_STAFF, "staff member", &users)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (users[i].id == m->drafter_id) {
            err_set(c->err, c->errlen, "usernames: the drafter cannot be invited");
            free(users);
            return ERR_INVALID;
        }
    }
    rc = add_members(c, m, users, n, STORE_REL_INVITED, "invited");
    free(users);
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
        rc = store_member_add(c->st, m->id, c->actor->id, STORE_REL_DECLINED, c->now);
    if (rc == 0)
        rc = store_event_add(c->st, m->id, "invitation_declined", c->actor->id, NULL, c->now);
    if (rc == 0)
        rc = store_commit(c->st);
    if (rc != 0)
        store_rollback(c->st);
    return rc;
}

/* The drafter's valid signature exists. */
static int drafter_signed(struct wf_ctx *c, const struct memo *m, bool *yes)
{
    return store_signature_has(c->st, m->id, m->drafter_id, yes);
}

int workflow_sign(struct wf_ctx *c, struct memo *m, const struct user_keys *k, char **note_out)
{
    const struct user *u = c->actor;
    char text[MEMO_COSIGN_TEXT_MAX], vkey_text[NOTE_VKEY_MAX], *note = NULL;
    struct note_skey *skey = NULL;
    struct note_vkey vkey;
    struct signature sig;
    struct memo now;
    enum memo_state to;
    size_t note_len = 0, text_len = 0;
    bool ok = false, first = false;
    int rc;

    if (note_out)
        *note_out = NULL;
    memset(&now, 0, sizeof(now));
    if ((rc = check(c, m, MEMO_SIGN, &to)) != 0)
        return rc;
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
    if ((rc = note_skey_from_secret(u->username, strlen(u->username), k->sign_sk, skey)) != 0 ||
        (rc = note_sign(text, strlen(text), skey, &note, &note_len)) != 0)
        goto out;
    /* Verify against the registered key, so a bad signature is never stored. */
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
    if ((rc = store_begin(c->st)) != 0)
        goto out;
    /* The state may have changed since @m was read: check it under the write lock. */
    if ((rc = store_memo_get(c->st, m->public_id, &now)) != 0)
        goto rollback;
    if (now.state != MEMO_OPEN || now.version != m->version) {
        err_set(c->err, c->errlen, "the memo changed meanwhile (now %s); reload it",
                memo_state_name((enum memo_state)now.state));
        rc = ERR_STATE;
        goto rollback;
    }
    if ((rc = store_signature_add(c->st, &sig)) != 0) {
        if (rc == ERR_EXISTS)
            err_set(c->err, c->errlen, "you have already signed this memo");
        goto rollback;
    }
    if ((rc = store_commit(c->st)) != 0)
        goto rollback;
    /* counted under the write lock: exact even with signers racing */
    m->signer_count = now.signer_count + 1;
    if (note_out) {
        *note_out = note;
        note = NULL;
    }
    goto out;
rollback:
    store_rollback(c->st);
out:
    store_memo_release(&now);
    free(note);
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
    rc = store_signature_withdraw(c->st, m->id, c->actor->id);
    if (rc == ERR_NOT_FOUND) {
        err_set(c->err, c->errlen, "you have no signature on this memo");
        return ERR_STATE;
    }
    return rc;
}

int workflow_file(struct wf_ctx *c, struct memo *m)
{
    const struct channel *ch = c->ch;
    enum memo_state to;
    bool signed_ = false;
    int rc;

    if ((rc = check(c, m, MEMO_FILE, &to)) != 0)
        return rc;
    if ((rc = drafter_signed(c, m, &signed_)) != 0)
        return rc;
    if (!signed_) {
        err_set(c->err, c->errlen, "sign the memo before filing it");
        return ERR_STATE;
    }
    m->filed_day = channel_today(c->now);
    if ((rc = deadline_ack_due(&ch->policy, &ch->calendar, m->filed_day, &m->ack_due)) != 0 ||
        (rc = deadline_reply_due(&ch->policy, &ch->calendar, m->filed_day, DEADLINE_DAY_NONE,
                                 &m->reply_due)) != 0 ||
        (rc = deadline_reply_max(&ch->policy, &ch->calendar, m->filed_day, DEADLINE_DAY_NONE,
                                 &m->reply_max)) != 0)
        return rc;
    m->state = to;
    return save(c, m, "filed", NULL);
}

int workflow_acknowledge(struct wf_ctx *c, struct memo *m)
{
    const struct channel *ch = c->ch;
    enum memo_state to;
    int64_t due = 0, max = 0;
    int rc;

    if ((rc = check(c, m, MEMO_ACKNOWLEDGE, &to)) != 0)
        return rc;
    m->ack_day = channel_today(c->now);
    if ((rc = deadline_reply_due(&ch->policy, &ch->calendar, m->filed_day, m->ack_day, &due)) !=
            0 ||
        (rc = deadline_reply_max(&ch->policy, &ch->calendar, m->filed_day, m->ack_day, &max)) != 0)
        return rc;
    m->reply_due = due;
    m->reply_max = max;
    m->state = to;
    m->updated_at = c->now;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    if ((rc = store_memo_update(c->st, m)) != 0 ||
        (rc = store_event_add(c->st, m->id, "acknowledged", c->actor->id, NULL, c->now)) != 0)
        goto fail;
    for (size_t i = 0; i < ch->nprincipals; i++) {
        struct user p;
        int r = store_user_get_by_name(c->st, ch->principals[i], &p);
        if (r == ERR_NOT_FOUND || (r == 0 && (p.disabled || !(p.roles & ROLE_PRINCIPAL)))) {
            log_warn("channel.principals: %s is not an active principal; skipped",
                     ch->principals[i]);
            continue;
        }
        if (r != 0 ||
            (r = store_member_add(c->st, m->id, p.id, STORE_REL_DISTRIBUTED, c->now)) != 0) {
            rc = r;
            goto fail;
        }
    }
    if (ch->nprincipals > 0 && (rc = store_event_add(c->st, m->id, "distributed", 0,
                                                     "configured principals", c->now)) != 0)
        goto fail;
    if ((rc = store_commit(c->st)) != 0)
        goto fail;
    return 0;
fail:
    store_rollback(c->st);
    return rc;
}

int workflow_decline(struct wf_ctx *c, struct memo *m, const char *reason)
{
    enum memo_state to;
    uint8_t *r;
    int rc;

    if ((rc = check(c, m, MEMO_DECLINE, &to)) != 0)
        return rc;
    if ((rc = check_text(c, "reason", reason, reason ? strlen(reason) : 0, MEMO_REASON_MAX)) != 0)
        return rc;
    if ((r = dup_bytes(reason, strlen(reason))) == NULL)
        return ERR_NOMEM;
    free(m->reason);
    m->reason = r;
    m->reason_len = strlen(reason);
    m->state = to;
    return save(c, m, "declined", NULL);
}

int workflow_distribute(struct wf_ctx *c, struct memo *m, const char *const *usernames, size_t n)
{
    enum memo_state to;
    struct user *users = NULL;
    int rc;

    if ((rc = check(c, m, MEMO_DISTRIBUTE, &to)) != 0)
        return rc;
    if ((rc = resolve(c, usernames, n, ROLE_PRINCIPAL, "principal", &users)) != 0)
        return rc;
    rc = add_members(c, m, users, n, STORE_REL_DISTRIBUTED, "distributed");
    free(users);
    return rc;
}

int workflow_extend(struct wf_ctx *c, struct memo *m, int64_t until, const char *reason)
{
    const struct channel *ch = c->ch;
    char detail[MEMO_REASON_MAX + 32], day[WORKDAYS_ISO_SIZE];
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_EXTEND, &to)) != 0)
        return rc;
    if ((rc = check_text(c, "reason", reason, reason ? strlen(reason) : 0, MEMO_REASON_MAX)) != 0)
        return rc;
    if (deadline_extension_check(&ch->policy, &ch->calendar, m->filed_day, m->ack_day, m->reply_due,
                                 until, NULL, 0) != 0) {
        char max[WORKDAYS_ISO_SIZE], cur[WORKDAYS_ISO_SIZE];
        workdays_day_format(m->reply_max, max, sizeof(max));
        workdays_day_format(m->reply_due, cur, sizeof(cur));
        err_set(c->err, c->errlen,
                "until: must be after the current due date %s and no later "
                "than the maximum %s",
                cur, max);
        return ERR_INVALID;
    }
    workdays_day_format(until, day, sizeof(day));
    snprintf(detail, sizeof(detail), "until %s: %s", day, reason);
    m->reply_due = until;
    return save(c, m, "extended", detail);
}

int workflow_reply(struct wf_ctx *c, struct memo *m, const char *body, size_t len)
{
    char text[MEMO_REPLY_TEXT_MAX], *note = NULL;
    uint8_t reply_digest[32];
    enum memo_state to;
    size_t note_len = 0;
    uint8_t *b;
    int rc;

    if ((rc = check(c, m, MEMO_REPLY, &to)) != 0)
        return rc;
    if ((rc = check_text(c, "body", body, len, MEMO_REPLY_MAX)) != 0)
        return rc;
    hash_sha256(reply_digest, body, len);
    if ((rc = memo_reply_text(m->public_id, m->digest, reply_digest, text, sizeof(text))) != 0 ||
        (rc = note_sign(text, strlen(text), c->ch->key, &note, &note_len)) != 0)
        return rc;
    if ((b = dup_bytes(body, len)) == NULL) {
        free(note);
        return ERR_NOMEM;
    }
    free(m->reply);
    free(m->reply_note);
    m->reply = b;
    m->reply_len = len;
    m->reply_note = (uint8_t *)note;
    m->reply_note_len = note_len;
    m->replied_day = channel_today(c->now);
    m->state = to;
    return save(c, m, "replied", NULL);
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
        *day = channel_today(c->now);
    m->state = to;
    return save(c, m, event, NULL);
}

int workflow_close(struct wf_ctx *c, struct memo *m)
{
    return simple(c, m, MEMO_CLOSE, "closed", &m->closed_day);
}

int workflow_withdraw(struct wf_ctx *c, struct memo *m)
{
    return simple(c, m, MEMO_WITHDRAW, "withdrawn", NULL);
}

int workflow_comment(struct wf_ctx *c, struct memo *m, const char *body, size_t len,
                     struct memo_comment *out)
{
    struct memo_comment cm;
    enum memo_state to;
    int rc;

    if ((rc = check(c, m, MEMO_COMMENT, &to)) != 0)
        return rc;
    if ((rc = check_text(c, "body", body, len, MEMO_COMMENT_MAX)) != 0)
        return rc;
    memset(&cm, 0, sizeof(cm));
    cm.author_id = c->actor->id;
    cm.body = (uint8_t *)body;
    cm.body_len = len;
    cm.at = c->now;
    if ((rc = store_comment_add(c->st, m->id, &cm)) != 0)
        return rc;
    if (out != NULL) {
        *out = cm;
        str_copy(out->username, sizeof(out->username), c->actor->username);
        str_copy(out->display_name, sizeof(out->display_name), c->actor->display_name);
        out->body = dup_bytes(body, len);
        if (out->body == NULL)
            return ERR_NOMEM;
    }
    return 0;
}
