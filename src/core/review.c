#include "core/review.h"

#include "core/channels.h"

#include "core/audit.h"
#include "core/channel.h"
#include "core/content.h"
#include "core/memo.h"
#include "core/notify.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>

#define REVIEW_ASK_MAX 20 /* officers asked to clear in one request */
#define USERS_PAGE 100

static const char *const internal_kinds[] = {"note",    "reply_draft", "clearance_requested",
                                             "cleared", "submitted",   "returned"};

bool review_internal(const char *kind)
{
    for (size_t i = 0; i < sizeof(internal_kinds) / sizeof(internal_kinds[0]); i++)
        if (strcmp(kind, internal_kinds[i]) == 0)
            return true;
    return false;
}

void review_release(struct review *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->entries[i].text != NULL)
            wipe(r->entries[i].text, r->entries[i].text_len);
        mem_free(r->entries[i].text);
    }
    mem_free(r->entries);
    mem_free(r->clearers);
    memset(r, 0, sizeof(*r));
}

/* Whether the events from @from on hold one of @kind. */
static bool after(const struct memo_event *ev, size_t n, size_t from, const char *kind)
{
    for (size_t i = from; i < n; i++)
        if (strcmp(ev[i].kind, kind) == 0)
            return true;
    return false;
}

/*
 * Indexes into @ev of the current draft, its pending submission and the return of the last
 * submission (SIZE_MAX: none). A submission is pending when it came after the current version,
 * and neither a return nor a reply came after it.
 */
static void standing(const struct memo_event *ev, size_t n, size_t *draft, size_t *sub, size_t *ret)
{
    size_t last_sub = SIZE_MAX;

    *draft = *sub = *ret = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].kind, "reply_draft") == 0)
            *draft = i;
        else if (strcmp(ev[i].kind, "submitted") == 0)
            last_sub = i;
        else if (strcmp(ev[i].kind, "returned") == 0)
            *ret = i;
    }
    if (last_sub != SIZE_MAX && *draft != SIZE_MAX && last_sub > *draft &&
        !after(ev, n, last_sub + 1, "returned") && !after(ev, n, last_sub + 1, "replied"))
        *sub = last_sub;
    if (*ret != SIZE_MAX && (last_sub == SIZE_MAX || *ret < last_sub))
        *ret = SIZE_MAX; /* returned an earlier submission: not news */
}

int review_keyless(struct store *st, const struct memo *m)
{
    struct memo_event *ev = NULL;
    size_t nev = 0;
    int rc;

    if ((rc = store_event_list(st, m->id, &ev, &nev)) != 0)
        return rc;
    /* every step made or opened the officers' key first: an internal event without that key
     * means its row went outside Dissent (a new key would leave every note and draft unreadable,
     * silently) */
    for (size_t i = 0; i < nev && rc == 0; i++)
        if (review_internal(ev[i].kind)) {
            log_error("integrity: memo %s has internal events but no officers' key: the key's "
                      "row was deleted outside Dissent",
                      m->public_id);
            rc = ERR_INTEGRITY;
        }
    store_event_list_free(ev, nev);
    return rc;
}

/* Whether @e (a clearance or a submission) names @r's current version. */
static bool stamped(const struct review *r, const struct review_entry *e)
{
    return r->stamp[0] != '\0' && e->text != NULL && e->text_len == strlen(r->stamp) &&
           memcmp(e->text, r->stamp, e->text_len) == 0;
}

int review_load(struct store *st, const struct memo *m, const uint8_t *nkey, struct review *out)
{
    struct memo_event *ev = NULL;
    struct memo_member *mem = NULL;
    size_t nev = 0, nmem = 0, draft, sub, ret, k = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_event_list(st, m->id, &ev, &nev)) != 0)
        return rc;
    if ((rc = store_member_list(st, m, STORE_REL_CLEARER | STORE_REL_ASSIGNED, &mem, &nmem)) != 0)
        goto out;
    standing(ev, nev, &draft, &sub, &ret);
    out->entries = mem_calloc(nev ? nev : 1, sizeof(*out->entries));
    out->clearers = mem_calloc(nmem ? nmem : 1, sizeof(*out->clearers));
    if (out->entries == NULL || out->clearers == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nev; i++) {
        struct review_entry *e;
        if (!review_internal(ev[i].kind))
            continue;
        e = &out->entries[k];
        e->id = ev[i].id;
        str_copy(e->kind, sizeof(e->kind), ev[i].kind);
        e->actor_id = ev[i].actor_id;
        str_copy(e->username, sizeof(e->username), ev[i].username);
        e->at = ev[i].at;
        if (ev[i].detail != NULL && nkey != NULL) {
            struct content_place at = {
                .field = "event", .kind = ev[i].kind, .who = ev[i].actor_id, .at = ev[i].at};
            if (content_open_text(nkey, m->public_id, &at, ev[i].detail, &e->text) == 0)
                e->text_len = strlen(e->text);
            else
                log_error("integrity: an internal %s event of memo %s does not open at its place",
                          ev[i].kind, m->public_id);
        }
        if (i == draft) {
            out->draft = e;
            out->sent = after(ev, nev, i + 1, "replied");
        }
        if (i == sub)
            out->submitted = e;
        if (i == ret)
            out->returned = e;
        k++;
    }
    out->n = k;
    if (out->draft != NULL && out->draft->text != NULL) {
        char b64[48];
        hash_sha256(out->digest, out->draft->text, out->draft->text_len);
        b64_encode(b64, sizeof(b64), out->digest, sizeof(out->digest), false);
        snprintf(out->stamp, sizeof(out->stamp), "%lld %s", (long long)out->draft->id, b64);
    }
    for (size_t i = 0; i < nmem; i++) {
        struct review_clearer *cl;
        if (mem[i].relation & STORE_REL_ASSIGNED)
            out->assignee = mem[i].user_id;
        if (!(mem[i].relation & STORE_REL_CLEARER))
            continue;
        cl = &out->clearers[out->nclearers++];
        cl->user_id = mem[i].user_id;
        str_copy(cl->username, sizeof(cl->username), mem[i].username);
        str_copy(cl->display_name, sizeof(cl->display_name), mem[i].display_name);
        for (const struct review_entry *e = out->draft ? out->draft + 1 : out->entries + k;
             e < out->entries + k; e++)
            if (strcmp(e->kind, "cleared") == 0 && e->actor_id == mem[i].user_id && stamped(out, e))
                cl->cleared = true;
    }
    /* a submission is the case officer's, of the current version */
    if (out->submitted != NULL &&
        (out->assignee == 0 || out->submitted->actor_id != out->assignee ||
         !stamped(out, out->submitted)))
        out->submitted = NULL;
out:
    if (rc != 0)
        review_release(out);
    store_event_list_free(ev, nev);
    mem_free(mem);
    return rc;
}

int review_awaiting(struct store *st, const struct memo *m, int64_t user_id, bool *yes)
{
    struct memo_event *ev = NULL;
    size_t nev = 0, draft, sub, ret;
    int rc;

    *yes = false;
    if (m->state != MEMO_ACKNOWLEDGED)
        return 0;
    if ((rc = store_event_list(st, m->id, &ev, &nev)) != 0)
        return rc;
    standing(ev, nev, &draft, &sub, &ret);
    *yes = sub != SIZE_MAX && (user_id == 0 || ev[sub].actor_id != user_id);
    store_event_list_free(ev, nev);
    return 0;
}

static bool approval_on(const struct wf_ctx *c)
{
    return c->ch->cfg != NULL && channel_reply_approval(c->ch->cfg);
}

static bool is_head(const struct user *u)
{
    return (u->roles & ROLE_HEAD) && (u->roles & ROLE_OFFICER);
}

/* A text of 1..@max bytes of UTF-8, not blank. */
static int check_text(struct wf_ctx *c, const char *field, const char *t, size_t len, size_t max)
{
    if (t == NULL || len == 0 || len > max || !str_utf8_valid(t, len) || str_blank(t)) {
        err_set(c->err, c->errlen, "%s: 1 to %zu bytes of UTF-8 text, not only spaces", field, max);
        return ERR_INVALID;
    }
    return 0;
}

/* One step's writes, in the caller's transaction: the event with @detail (may be NULL) sealed
 * under the officers' key, and a neutral read-audit record ("internal": the drafter, who sees
 * their memo's audit, learns that an officer worked on it, never how). */
static int add_event(struct wf_ctx *c, const struct memo *m, const uint8_t *nkey, const char *kind,
                     const char *detail)
{
    struct content_place at = {.field = "event", .kind = kind, .who = c->actor->id, .at = c->now};
    char *ct = NULL;
    int rc = 0;

    if (detail != NULL && (rc = content_seal_text(nkey, m->public_id, &at, detail, &ct)) != 0)
        return rc;
    rc = store_event_add(c->st, m->id, kind, c->actor->id, ct, c->now);
    mem_free(ct);
    return rc != 0 ? rc : audit_append(c->st, m->id, c->actor->id, "internal", c->now);
}

/* Begin a step's transaction and open (or, the first time, make) @m's officers' key. */
static int begin(struct wf_ctx *c, struct keyring *kr, struct memo *m, uint8_t nkey[ACCESS_KEY_LEN])
{
    int rc;

    int state = -1, signers = 0;
    int64_t version = 0;

    if ((rc = store_begin(c->st)) != 0)
        return rc;
    /* the memo as it is now, writes being serialised: a step on a memo withdrawn, replied or
     * declined a moment ago is refused, not recorded */
    if ((rc = store_memo_head(c->st, m->public_id, &state, &version, &signers)) == 0 &&
        state != m->state)
        rc = ERR_CONFLICT;
    if (rc == 0)
        rc = access_notes_key(kr, m, false, nkey, c->err, c->errlen);
    if (rc == ERR_NOT_FOUND && (rc = review_keyless(c->st, m)) == 0) {
        /* the memo row's version makes two officers making it at once conflict */
        m->updated_at = c->now;
        if ((rc = access_notes_key(kr, m, true, nkey, c->err, c->errlen)) == 0)
            rc = store_memo_update(c->st, m);
    }
    if (rc != 0) {
        store_rollback(c->st);
        if (rc == ERR_CONFLICT)
            err_set(c->err, c->errlen, "the memo changed meanwhile; reload it");
        workflow_reload(c, m);
        wipe(nkey, ACCESS_KEY_LEN);
    }
    return rc;
}

/* Commit (or roll back on @rc) a step begun with begin(). */
static int end(struct wf_ctx *c, struct memo *m, uint8_t nkey[ACCESS_KEY_LEN], int rc)
{
    if (rc == 0)
        rc = store_commit(c->st);
    if (rc != 0) {
        store_rollback(c->st);
        workflow_reload(c, m);
    }
    wipe(nkey, ACCESS_KEY_LEN);
    return rc;
}

int review_note(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *body)
{
    uint8_t nkey[ACCESS_KEY_LEN];
    int rc;

    if ((rc = workflow_allowed(c, m, MEMO_NOTE)) != 0 ||
        (rc = check_text(c, "body", body, body ? strlen(body) : 0, REVIEW_NOTE_MAX)) != 0)
        return rc;
    if ((rc = begin(c, kr, m, nkey)) != 0)
        return rc;
    return end(c, m, nkey, add_event(c, m, nkey, "note", body));
}

/* Whether the actor is the case officer of @r, one asked to clear, or (@head) a head. */
static bool may_edit(const struct wf_ctx *c, const struct review *r, bool head)
{
    if (r->assignee == c->actor->id || (head && is_head(c->actor)))
        return true;
    for (size_t i = 0; i < r->nclearers; i++)
        if (r->clearers[i].user_id == c->actor->id)
            return true;
    return false;
}

static int need_assignee(struct wf_ctx *c, const struct review *r)
{
    if (r->assignee == 0) {
        err_set(c->err, c->errlen,
                "no case officer is assigned to this memo: assign it first (to yourself too)");
        return ERR_STATE;
    }
    return 0;
}

int review_save(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *body, size_t len)
{
    uint8_t nkey[ACCESS_KEY_LEN];
    struct review r;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = workflow_allowed(c, m, MEMO_REVIEW)) != 0 ||
        (rc = check_text(c, "body", body, len, MEMO_REPLY_MAX)) != 0)
        return rc;
    if (strlen(body) != len) {
        err_set(c->err, c->errlen, "body: no NUL character");
        return ERR_INVALID;
    }
    if ((rc = begin(c, kr, m, nkey)) != 0)
        return rc;
    if ((rc = review_load(c->st, m, nkey, &r)) == 0 && (rc = need_assignee(c, &r)) == 0 &&
        !may_edit(c, &r, true)) {
        err_set(c->err, c->errlen,
                "the reply's draft is written by the case officer, the officers asked to clear "
                "it, and the head");
        rc = ERR_FORBIDDEN;
    }
    if (rc == 0)
        rc = add_event(c, m, nkey, "reply_draft", body);
    review_release(&r);
    return end(c, m, nkey, rc);
}

int review_ask(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *const *usernames,
               size_t n)
{
    char detail[REVIEW_ASK_MAX * (USERNAME_MAX + 2) + 1];
    uint8_t nkey[ACCESS_KEY_LEN], sealed[STORE_SEALED_LEN];
    struct user *users = NULL;
    struct review r;
    size_t used = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    detail[0] = '\0';
    if ((rc = workflow_allowed(c, m, MEMO_REVIEW)) != 0)
        return rc;
    if (n == 0 || n > REVIEW_ASK_MAX) {
        err_set(c->err, c->errlen, "usernames: 1 to %d officers", REVIEW_ASK_MAX);
        return ERR_INVALID;
    }
    if ((users = mem_calloc(n, sizeof(*users))) == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned rel = 0;
        rc = user_username_valid(usernames[i])
                 ? store_user_get_by_name(c->st, usernames[i], &users[i])
                 : ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND ||
            (rc == 0 && (users[i].disabled || !(users[i].roles & ROLE_OFFICER)))) {
            err_set(c->err, c->errlen, "usernames: \"%.64s\" is not an active officer",
                    usernames[i]);
            rc = ERR_INVALID;
        } else if (rc == 0 && (rc = workflow_relation(c->st, m, &users[i], &rel)) == 0 &&
                   !(rel & WF_OFFICER)) {
            err_set(c->err, c->errlen, "usernames: %.64s is recused from this memo", usernames[i]);
            rc = ERR_INVALID;
        } else if (rc == 0 &&
                   store_channel_grant_get(c->st, m->channel_id, users[i].id, sealed) != 0) {
            err_set(c->err, c->errlen,
                    "usernames: %.64s does not hold the channel key yet, so cannot read the memo",
                    usernames[i]);
            rc = ERR_INVALID;
        }
        for (size_t j = 0; j < i && rc == 0; j++)
            if (users[j].id == users[i].id) {
                err_set(c->err, c->errlen, "usernames: %.64s is named twice", usernames[i]);
                rc = ERR_INVALID;
            }
        if (rc == 0)
            used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s%s", i ? ", " : "",
                                     users[i].username);
    }
    if (rc != 0)
        goto out;
    if ((rc = begin(c, kr, m, nkey)) != 0)
        goto out;
    if ((rc = review_load(c->st, m, nkey, &r)) == 0 && (rc = need_assignee(c, &r)) == 0 &&
        r.assignee != c->actor->id && !is_head(c->actor)) {
        err_set(c->err, c->errlen, "the case officer (or the head) asks for clearance");
        rc = ERR_FORBIDDEN;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (users[i].id == r.assignee) {
            err_set(c->err, c->errlen, "usernames: %.64s is the case officer", users[i].username);
            rc = ERR_INVALID;
        }
        for (size_t j = 0; j < r.nclearers && rc == 0; j++)
            if (r.clearers[j].user_id == users[i].id) {
                err_set(c->err, c->errlen, "usernames: %.64s was already asked", users[i].username);
                rc = ERR_INVALID;
            }
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = store_member_add(c->st, m, users[i].id, STORE_REL_CLEARER, c->now)) == 0)
            rc = notify_review(c->st, c->ch, m, &users[i], c->actor->id, c->now);
    if (rc == 0)
        rc = add_event(c, m, nkey, "clearance_requested", detail);
    rc = end(c, m, nkey, rc);
out:
    review_release(&r);
    for (size_t i = 0; i < n; i++)
        wipe(users[i].pwhash, sizeof(users[i].pwhash));
    mem_free(users);
    wipe(detail, sizeof(detail));
    return rc;
}

int review_clear(struct wf_ctx *c, struct keyring *kr, struct memo *m)
{
    uint8_t nkey[ACCESS_KEY_LEN];
    struct review r;
    bool asked = false;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = workflow_allowed(c, m, MEMO_REVIEW)) != 0 || (rc = begin(c, kr, m, nkey)) != 0)
        return rc;
    if ((rc = review_load(c->st, m, nkey, &r)) != 0)
        goto out;
    for (size_t i = 0; i < r.nclearers; i++)
        if (r.clearers[i].user_id == c->actor->id) {
            asked = true;
            if (r.clearers[i].cleared) {
                err_set(c->err, c->errlen, "you already cleared this version of the reply");
                rc = ERR_EXISTS;
            }
        }
    if (rc == 0 && !asked) {
        err_set(c->err, c->errlen, "you were not asked to clear this reply");
        rc = ERR_FORBIDDEN;
    } else if (rc == 0 && (r.draft == NULL || r.sent)) {
        err_set(c->err, c->errlen, "the reply has no new version to clear");
        rc = ERR_STATE;
    }
    if (rc == 0 && r.stamp[0] == '\0')
        rc = ERR_INTEGRITY; /* the version's text did not open (logged) */
    if (rc == 0)
        rc = add_event(c, m, nkey, "cleared", r.stamp);
out:
    review_release(&r);
    return end(c, m, nkey, rc);
}

/* Tell every head who may approve @m (active, not recused, not the actor). */
static int tell_heads(struct wf_ctx *c, const struct memo *m)
{
    char last[USERNAME_MAX + 1] = "";
    struct user *users = NULL;
    size_t n = 0;
    int rc;

    do {
        if ((rc = store_user_list(c->st, last, USERS_PAGE, &users, &n)) != 0)
            return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
            unsigned rel = 0;
            if (!is_head(&users[i]) || !channels_has(users[i].channels, m->channel_id) ||
                users[i].disabled || users[i].id == c->actor->id)
                continue;
            if ((rc = workflow_relation(c->st, m, &users[i], &rel)) == 0 && (rel & WF_OFFICER))
                rc = notify_review(c->st, c->ch, m, &users[i], c->actor->id, c->now);
        }
        if (n > 0)
            str_copy(last, sizeof(last), users[n - 1].username);
        for (size_t i = 0; i < n; i++)
            wipe(users[i].pwhash, sizeof(users[i].pwhash));
        mem_free(users);
        users = NULL;
    } while (rc == 0 && n == USERS_PAGE);
    return rc;
}

/* ERR_STATE, naming them, while an officer asked has not cleared the current version. */
static int all_cleared(struct wf_ctx *c, const struct review *r)
{
    char missing[256];
    size_t used = 0;

    missing[0] = '\0';
    for (size_t i = 0; i < r->nclearers; i++)
        if (!r->clearers[i].cleared && used < sizeof(missing))
            used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%s",
                                     used ? ", " : "", r->clearers[i].username);
    if (used == 0)
        return 0;
    err_set(c->err, c->errlen, "not yet cleared by %s: they clear this version first", missing);
    return ERR_STATE;
}

int review_submit(struct wf_ctx *c, struct keyring *kr, struct memo *m)
{
    uint8_t nkey[ACCESS_KEY_LEN];
    struct review r;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = workflow_allowed(c, m, MEMO_REVIEW)) != 0)
        return rc;
    if (!approval_on(c)) {
        err_set(c->err, c->errlen,
                "replies need no approval on this channel: the case officer sends the reply");
        return ERR_STATE;
    }
    if ((rc = begin(c, kr, m, nkey)) != 0)
        return rc;
    if ((rc = review_load(c->st, m, nkey, &r)) != 0 || (rc = need_assignee(c, &r)) != 0)
        goto out;
    if (r.assignee != c->actor->id) {
        err_set(c->err, c->errlen, "the case officer submits the reply for approval");
        rc = ERR_FORBIDDEN;
    } else if (r.draft == NULL || r.sent) {
        err_set(c->err, c->errlen, "the reply has no new version: save one first");
        rc = ERR_STATE;
    } else if (r.submitted != NULL) {
        err_set(c->err, c->errlen, "this version already awaits the head's approval");
        rc = ERR_EXISTS;
    }
    if (rc == 0)
        rc = all_cleared(c, &r);
    if (rc == 0 && r.stamp[0] == '\0')
        rc = ERR_INTEGRITY; /* the version's text did not open (logged) */
    if (rc == 0 && (rc = add_event(c, m, nkey, "submitted", r.stamp)) == 0)
        rc = tell_heads(c, m);
out:
    review_release(&r);
    return end(c, m, nkey, rc);
}

/* The pending submission, for a head (ERR_STATE without). */
static int pending(struct wf_ctx *c, const struct review *r)
{
    if (!is_head(c->actor)) {
        err_set(c->err, c->errlen, "only the channel's head approves or returns a reply");
        return ERR_FORBIDDEN;
    }
    if (r->submitted == NULL || r->draft == NULL) {
        err_set(c->err, c->errlen, "no reply awaits approval");
        return ERR_STATE;
    }
    return 0;
}

int review_return(struct wf_ctx *c, struct keyring *kr, struct memo *m, const char *reason)
{
    uint8_t nkey[ACCESS_KEY_LEN];
    struct review r;
    struct user u;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(&u, 0, sizeof(u));
    if ((rc = workflow_allowed(c, m, MEMO_REVIEW)) != 0 ||
        (rc = check_text(c, "reason", reason, reason ? strlen(reason) : 0, MEMO_REASON_MAX)) != 0)
        return rc;
    if ((rc = begin(c, kr, m, nkey)) != 0)
        return rc;
    if ((rc = review_load(c->st, m, nkey, &r)) == 0 && (rc = pending(c, &r)) == 0 &&
        (rc = add_event(c, m, nkey, "returned", reason)) == 0 && r.assignee != 0 &&
        (rc = store_user_get_by_id(c->st, r.assignee, &u)) == 0)
        rc = notify_review(c->st, c->ch, m, &u, c->actor->id, c->now);
    wipe(u.pwhash, sizeof(u.pwhash));
    review_release(&r);
    return end(c, m, nkey, rc);
}

/* What the approval read, checked again in the reply's transaction (still_pending()). */
struct approval_seen {
    int64_t submitted;            /* the pending submission's event id */
    uint8_t nkey[ACCESS_KEY_LEN]; /* the officers' key (wiped by review_approve()) */
};

/* Inside the reply's transaction: the submission approved is still the pending one, every
 * officer asked has cleared it, and nothing was returned or saved since (ERR_CONFLICT). */
static int still_pending(struct wf_ctx *c, struct memo *m, void *arg)
{
    const struct approval_seen *seen = arg;
    struct review r;
    int rc = review_load(c->st, m, seen->nkey, &r);

    if (rc != 0)
        return rc;
    for (size_t i = 0; i < r.nclearers && rc == 0; i++)
        if (!r.clearers[i].cleared)
            rc = ERR_CONFLICT;
    /* the reply was recorded just before, so the submission no longer counts as pending: it must
     * still be the last step of the review (notes aside), its version the current one */
    if (rc == 0) {
        int64_t last = 0;
        for (size_t i = 0; i < r.n; i++)
            if (strcmp(r.entries[i].kind, "note") != 0)
                last = r.entries[i].id;
        if (r.draft == NULL || last != seen->submitted || r.draft->id > seen->submitted)
            rc = ERR_CONFLICT;
    }
    if (rc == ERR_CONFLICT)
        err_set(c->err, c->errlen,
                "the reply's review changed meanwhile (returned, a new version, or a new "
                "clearance request): reload it");
    review_release(&r);
    return rc;
}

int review_approve(struct wf_ctx *c, struct keyring *kr, struct memo *m, const struct user_keys *k,
                   int64_t version, const uint8_t digest[32])
{
    struct approval_seen seen = {0};
    uint8_t nkey[ACCESS_KEY_LEN];
    struct review r;
    char *body = NULL;
    size_t len = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = workflow_allowed(c, m, MEMO_APPROVE)) != 0)
        return rc;
    if (!approval_on(c)) {
        err_set(c->err, c->errlen,
                "replies need no approval on this channel: the case officer sends the reply");
        return ERR_STATE;
    }
    if ((rc = access_notes_key(kr, m, false, nkey, c->err, c->errlen)) != 0) {
        if (rc == ERR_NOT_FOUND && (rc = review_keyless(c->st, m)) == 0) {
            err_set(c->err, c->errlen, "no reply awaits approval");
            rc = ERR_STATE;
        }
        return rc;
    }
    if ((rc = review_load(c->st, m, nkey, &r)) != 0 || (rc = pending(c, &r)) != 0)
        goto out;
    if (r.submitted->actor_id == c->actor->id || r.draft->actor_id == c->actor->id) {
        if (r.submitted->actor_id == c->actor->id)
            err_set(c->err, c->errlen,
                    "you submitted this reply: another head approves it (four eyes)");
        else
            err_set(c->err, c->errlen,
                    "you wrote this version of the reply: another head approves it (four eyes)");
        rc = ERR_STATE;
        goto out;
    }
    if ((rc = all_cleared(c, &r)) != 0)
        goto out;
    if (r.draft->text == NULL) {
        rc = ERR_INTEGRITY;
        goto out;
    }
    if (r.draft->id != version || !hash_equal(r.digest, digest, sizeof(r.digest))) {
        err_set(c->err, c->errlen,
                "the reply's version is not the one you read (a new version, or a change "
                "meanwhile): reload it and read it again");
        rc = ERR_CONFLICT;
        goto out;
    }
    /* the text approved is the version submitted, copied before the review is released */
    len = r.draft->text_len;
    if ((body = mem_alloc(len + 1)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    memcpy(body, r.draft->text, len + 1);
    seen.submitted = r.submitted->id;
    memcpy(seen.nkey, nkey, sizeof(nkey));
    review_release(&r);
    wipe(nkey, sizeof(nkey));
    rc = workflow_reply_approved(c, m, body, len, k, still_pending, &seen);
    wipe(seen.nkey, sizeof(seen.nkey));
out:
    review_release(&r);
    wipe(nkey, sizeof(nkey));
    if (body != NULL)
        wipe(body, len);
    mem_free(body);
    return rc;
}
