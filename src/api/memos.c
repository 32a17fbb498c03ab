/*
 * memos.c - the memo life cycle over HTTP: GET|POST /api/v1/memos, GET|PATCH /api/v1/memos/{id},
 * the action routes (finalize, reopen, file, withdraw, invitations, signatures, acknowledge,
 * decline, distribution, extend, reply, close), the bundle, and GET /api/v1/deadlines.
 *
 * The route table (api.c) has already checked roles and the caller's relation to the memo;
 * handlers parse and validate their input, call core/workflow.c and render what the caller may
 * see: principals see signer names only when the drafter allowed it.
 */
#include "api/api.h"

#include "core/access.h"
#include "core/audit.h"
#include "core/channels.h"
#include "core/clocks.h"
#include "core/content.h"
#include "core/deadline.h"
#include "core/workdays.h"
#include "core/reset.h"
#include "core/review.h"
#include "core/workflow.h"
#include "crypto/random.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMOS_PAGE_DEFAULT 50
#define MEMOS_PAGE_MAX 200
#define MEMOS_QUERY_MAX 200 /* bytes of a title search (q=) */
/* memos a search (q=, assigned=none) examines per request at most: it answers with fewer
 * matches and the cursor of the last one examined, so that no request opens every title */
#define MEMOS_SEARCH_MAX 1000

void api_wf_init(struct wf_ctx *c, struct api_env *env, struct api_req *req, char *err,
                 size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->st = env->st;
    c->ch = req->ch != NULL ? req->ch : env->ch;
    c->actor = &req->user;
    c->now = req->now;
    c->mkey = req->mkey;
    c->err = err;
    c->errlen = errlen;
    err[0] = '\0';
}

/* A day number as "YYYY-MM-DD", or JSON null when unset. */
static json_t *day_json(int64_t day)
{
    char buf[WORKDAYS_ISO_SIZE];

    if (day < 0 || workdays_day_format(day, buf, sizeof(buf)) != 0)
        return json_null();
    return json_string(buf);
}

static json_t *bytes_json(const uint8_t *p, size_t len)
{
    return p ? json_stringn((const char *)p, len) : json_null();
}

/*
 * One deadline (core/clocks.h): its due date, when it was met and whether on time, or while it
 * runs the working days left and whether it is overdue; `stopped` says why it no longer applies.
 * The reply carries its `max` only while it runs; a running one says whether a clock stop pauses
 * it (`paused`: then `working_days_left` is what it had left when the clock stopped).
 */
static json_t *clock_json(const struct clock *k, bool reply)
{
    const char *stop = clocks_stop_name(k->status);
    json_t *o;

    o = json_pack("{s:o, s:o, s:o, s:o}", "due", day_json(k->due), "done_on", day_json(k->done),
                  "working_days_left",
                  k->status == CLOCK_RUNNING ? json_integer(k->left) : json_null(), "stopped",
                  stop ? json_string(stop) : json_null());
    if (k->status == CLOCK_MET)
        json_object_set_new(o, "on_time", json_boolean(k->on_time));
    else
        json_object_set_new(o, "overdue", json_boolean(k->overdue));
    if (k->status == CLOCK_RUNNING)
        json_object_set_new(o, "paused", json_boolean(k->paused));
    if (stop)
        json_object_set_new(o, "missed", json_boolean(k->missed));
    if (reply && k->status == CLOCK_RUNNING)
        json_object_set_new(o, "max", day_json(k->max));
    return o;
}

/* {"acknowledge","reply"} of a filed memo at unix time @now (its channel's day), or null before
 * filing. */
static json_t *deadlines_json(const struct channel *ch, const struct memo *m, int64_t now)
{
    struct memo_clocks c;

    if (clocks_of_memo(&ch->calendar, m, channel_day(ch, now), &c) != 0 || !c.started)
        return json_null();
    return json_pack("{s:o, s:o}", "acknowledge", clock_json(&c.ack, false), "reply",
                     clock_json(&c.reply, true));
}

/* Whether the caller may see who signed: drafter, co-signers and officers always. */
static bool names_visible(const struct memo *m, unsigned rel)
{
    return (rel & (WF_DRAFTER | WF_INVITED | WF_OFFICER)) != 0 || m->show_names;
}

/* The summary every list and every memo response carries, by the rules of @m's channel @ch;
 * @title is the decrypted title (a reference is stolen), or JSON null when the caller cannot
 * decrypt it. */
static json_t *memo_summary(const struct channel *ch, const struct memo *m, int64_t now,
                            json_t *title)
{
    char digest[MEMO_DIGEST_B64_LEN + 1];

    if (m->has_digest)
        memo_digest_b64(m->digest, digest);
    /* accept_until: while replied, the last day of the drafter's window (null: none) */
    return json_pack("{s:s, s:I, s:s, s:o, s:I, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}",
                     "id", m->public_id, "channel", (json_int_t)m->channel_id, "state",
                     memo_state_name((enum memo_state)m->state), "title", title, "version",
                     (json_int_t)m->version, "signer_count", m->signer_count, "digest",
                     m->has_digest ? json_string(digest) : json_null(), "filed_on",
                     day_json(m->filed_day), "acknowledged_on", day_json(m->ack_day), "replied_on",
                     day_json(m->replied_day), "closed_on", day_json(m->closed_day), "accept_until",
                     day_json(m->state == MEMO_REPLIED ? workflow_accept_until(ch, m) : -1),
                     "deadlines", deadlines_json(ch, m, now), "created_at",
                     (json_int_t)m->created_at, "updated_at", (json_int_t)m->updated_at);
}

/* A plaintext as a JSON string, wiped and freed; null for NULL. */
static json_t *plain_json(char *pt, size_t n)
{
    json_t *j;

    if (pt == NULL)
        return json_null();
    j = json_stringn(pt, n);
    wipe(pt, n);
    mem_free(pt);
    return j ? j : json_null();
}

/* A content field at @place opened (core/content.h) as a JSON string, or null when absent or
 * when it does not open there (logged: the database moved or changed it). */
static json_t *field_json(const uint8_t *mkey, const struct memo *m,
                          const struct content_place *place, const uint8_t *ct, size_t len)
{
    char *pt = NULL;
    size_t n = 0;

    if (ct == NULL || mkey == NULL)
        return json_null();
    if (content_open(mkey, m->public_id, place, ct, len, &pt, &n, NULL) != 0) {
        log_error("integrity: a %s of memo %s does not open where it is stored: it was changed "
                  "or moved outside Dissent; it is not shown",
                  place->field, m->public_id);
        return json_null();
    }
    return plain_json(pt, n);
}

/* A text column ("enc:...", or an older clear text the store vouched for: @clear), as JSON. */
static json_t *text_json(const uint8_t *mkey, const struct memo *m,
                         const struct content_place *place, const char *text, bool clear)
{
    char *pt = NULL;

    if (text == NULL)
        return json_null();
    if (clear)
        return json_string(text);
    if (mkey == NULL)
        return json_null();
    if (content_open_text(mkey, m->public_id, place, text, &pt) != 0) {
        log_error("integrity: a %s of memo %s does not open where it is stored: it was changed "
                  "or moved outside Dissent; it is not shown",
                  place->field, m->public_id);
        return json_null();
    }
    return plain_json(pt, strlen(pt));
}

/*
 * The participants of a memo not yet filed who hold no key for it, cut off by an administrator's
 * reset: a current reader shares it with them again (POST .../reshare, core/reset.h). The
 * drafter is told of their co-signers; a co-signer only of the drafter (co-signers do not see
 * who else was invited). NULL when none.
 */
static int reshare_needed(struct api_env *env, const struct memo *m, const struct user *drafter,
                          bool is_drafter, json_t **out)
{
    uint8_t sealed[STORE_SEALED_LEN];
    struct memo_member *mem = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    if (m->state > MEMO_OPEN)
        return 0;
    if (is_drafter && (rc = store_member_list(env->st, m, STORE_REL_INVITED, &mem, &n)) != 0)
        return rc;
    rc = 0;
    for (size_t i = 0; i <= n && rc == 0; i++) {
        int64_t id = i < n ? mem[i].user_id : drafter->id;
        const char *name = i < n ? mem[i].username : drafter->username;
        if (i < n && (mem[i].relation & STORE_REL_DECLINED))
            continue;
        rc = store_memo_key_get(env->st, m->id, m->public_id, id, sealed);
        if (rc == ERR_NOT_FOUND) {
            rc = 0;
            if (*out == NULL)
                *out = json_array();
            json_array_append_new(*out, json_string(name));
        }
    }
    mem_free(mem);
    return rc;
}

/* What memo_actions() needs to know of the caller besides the route table's roles and relation. */
struct memo_caller {
    bool signed_;               /* holds a valid signature on it */
    bool declined;              /* declined the invitation, or withdrew (and so left the memo) */
    bool reshare;               /* a participant needs the memo shared again (reshare_needed) */
    struct api_review_flags rv; /* an officer's part in the reply's review */
};

/*
 * The actions the caller may take on @m now, by name: what the route table lets their roles and
 * relation do (the check every request meets), in a state where the memo's state machine allows
 * it, and what the action itself needs (a signature to withdraw, a later day to extend to). The
 * web interface draws its buttons from this list (docs/api.md, "actions").
 */
static json_t *memo_actions(struct api_env *env, const struct api_req *req, const struct memo *m,
                            const struct channel *ch, const struct memo_caller *me)
{
#define MEMO_ROUTE "/api/v1/memos/{id}"
    static const struct {
        const char *name;
        unsigned method;
        const char *pattern;
        int action; /* enum memo_action, or -1 for none */
    } acts[] = {
        {"edit", API_PATCH, MEMO_ROUTE, MEMO_EDIT},
        {"delete", API_DELETE, MEMO_ROUTE, MEMO_DELETE},
        {"finalize", API_POST, MEMO_ROUTE "/finalize", MEMO_FINALIZE},
        {"invite", API_POST, MEMO_ROUTE "/invitations", MEMO_INVITE},
        {"sign", API_POST, MEMO_ROUTE "/signatures", MEMO_SIGN},
        {"unsign", API_DELETE, MEMO_ROUTE "/signatures/me", MEMO_UNSIGN},
        {"decline-invitation", API_DELETE, MEMO_ROUTE "/invitations/me", -1},
        {"reshare", API_POST, MEMO_ROUTE "/reshare", -1},
        {"file", API_POST, MEMO_ROUTE "/file", MEMO_FILE},
        {"reopen", API_POST, MEMO_ROUTE "/reopen", MEMO_REOPEN},
        {"withdraw", API_POST, MEMO_ROUTE "/withdraw", MEMO_WITHDRAW},
        {"acknowledge", API_POST, MEMO_ROUTE "/acknowledge", MEMO_ACKNOWLEDGE},
        {"decline", API_POST, MEMO_ROUTE "/decline", MEMO_DECLINE},
        {"distribute", API_POST, MEMO_ROUTE "/distribution", MEMO_DISTRIBUTE},
        {"assign", API_POST, MEMO_ROUTE "/assignment", MEMO_ASSIGN},
        {"extend", API_POST, MEMO_ROUTE "/extend", MEMO_EXTEND},
        {"reply", API_POST, MEMO_ROUTE "/reply", MEMO_REPLY},
        {"reply-draft", API_PUT, MEMO_ROUTE "/reply-draft", MEMO_REVIEW},
        {"ask-clearance", API_POST, MEMO_ROUTE "/reply-draft/clearance", MEMO_REVIEW},
        {"clear", API_POST, MEMO_ROUTE "/reply-draft/clear", MEMO_REVIEW},
        {"submit", API_POST, MEMO_ROUTE "/reply-draft/submit", MEMO_REVIEW},
        {"return", API_POST, MEMO_ROUTE "/reply-draft/return", MEMO_REVIEW},
        {"approve", API_POST, MEMO_ROUTE "/reply-draft/approve", MEMO_APPROVE},
        {"note", API_POST, MEMO_ROUTE "/notes", MEMO_NOTE},
        {"interim", API_POST, MEMO_ROUTE "/interim", MEMO_INTERIM},
        {"close", API_POST, MEMO_ROUTE "/close", MEMO_CLOSE},
        {"accept", API_POST, MEMO_ROUTE "/accept", MEMO_ACCEPT},
        {"clarify", API_POST, MEMO_ROUTE "/clarify", MEMO_CLARIFY},
        {"comment", API_POST, MEMO_ROUTE "/comments", MEMO_COMMENT},
        {"addendum", API_POST, MEMO_ROUTE "/addendum", -1},
        {"receipt", API_GET, MEMO_ROUTE "/receipt", -1},
    };
#undef MEMO_ROUTE
    bool approval = channel_reply_approval(ch->cfg), head = (req->user.roles & ROLE_HEAD) != 0;
    json_t *arr = json_array();
    enum memo_state to;
    int64_t max = 0, ordinary = 0;

    for (size_t i = 0; arr != NULL && i < sizeof(acts) / sizeof(acts[0]); i++) {
        const char *name = acts[i].name;
        bool ok = api_route_allows(acts[i].method, acts[i].pattern, req->user.roles, req->rel);
        if (ok && acts[i].action >= 0)
            ok = memo_transition((enum memo_state)m->state, (enum memo_action)acts[i].action,
                                 &to) == 0;
        if (strcmp(name, "sign") == 0)
            ok = ok && !me->signed_ && !me->declined;
        else if (strcmp(name, "unsign") == 0) /* the drafter's signature stays */
            ok = ok && me->signed_ && !(req->rel & WF_DRAFTER);
        else if (strcmp(name, "decline-invitation") == 0)
            ok = ok && !me->declined && (m->state == MEMO_DRAFT || m->state == MEMO_OPEN);
        else if (strcmp(name, "reshare") == 0)
            ok = ok && me->reshare;
        else if (strcmp(name, "receipt") == 0)
            ok = ok && m->filed_day >= 0;
        else if (strcmp(name, "addendum") == 0)
            ok = ok && m->state == MEMO_CLOSED;
        else if (strcmp(name, "reply") == 0) /* where the head approves, only through approval */
            ok = ok && !approval;
        else if (strcmp(name, "reply-draft") == 0)
            ok = ok && me->rv.edit;
        else if (strcmp(name, "ask-clearance") == 0)
            ok = ok && me->rv.ask;
        else if (strcmp(name, "clear") == 0)
            ok = ok && me->rv.clear;
        else if (strcmp(name, "submit") == 0)
            ok = ok && approval && me->rv.submit;
        else if (strcmp(name, "return") == 0)
            ok = ok && approval && me->rv.decide;
        else if (strcmp(name, "approve") == 0)
            ok = ok && approval && me->rv.decide && !me->rv.own;
        else if (strcmp(name, "close") == 0 || strcmp(name, "clarify") == 0) {
            /* the drafter's window: the officers close after it, the drafter asks within it */
            int64_t until = workflow_accept_until(ch, m);
            int64_t today = channel_day(ch, req->now);
            bool open = until >= 0 && (today <= until ||
                                       (ch != NULL && clocks_paused(&ch->calendar, until, today)));
            ok = ok && (strcmp(name, "close") == 0 ? !open : until < 0 || open);
        } else if (strcmp(name, "extend") == 0) /* the due date has not passed, and a later day is
                                                 within the maximum, as workflow_extend() has it */
            ok = ok && ch != NULL && channel_day(ch, req->now) <= m->reply_due &&
                 m->reply_max > m->reply_due &&
                 deadline_reply_max(&ch->policy, &ch->calendar, m->filed_day, m->ack_day, &max) ==
                     0 &&
                 deadline_extension_check(&ch->policy, &ch->calendar, m->filed_day, m->ack_day,
                                          m->reply_due, max < m->reply_max ? max : m->reply_max,
                                          NULL, 0) == 0 &&
                 /* past the ordinary period, the head's (workflow_extend()) */
                 (!approval || head ||
                  (deadline_reply_due(&ch->policy, &ch->calendar, m->filed_day, m->ack_day,
                                      &ordinary) == 0 &&
                   ordinary > m->reply_due));
        if (ok && json_array_append_new(arr, json_string(name)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

/* {"done_on", "due", "on_time"} from an earlier_reply_due event's opened detail ("done DAY due
 * DAY", core/workflow.c); null for anything else. */
static json_t *first_reply_json(json_t *detail)
{
    const char *s = json_string_value(detail);
    char done[WORKDAYS_ISO_SIZE], due[WORKDAYS_ISO_SIZE];
    int64_t a, b;

    if (s == NULL || strlen(s) != 30 || strncmp(s, "done ", 5) != 0 ||
        strncmp(s + 15, " due ", 5) != 0)
        return json_null();
    memcpy(done, s + 5, 10);
    done[10] = '\0';
    memcpy(due, s + 20, 10);
    due[10] = '\0';
    if (workdays_day_parse(done, &a) != 0 || workdays_day_parse(due, &b) != 0)
        return json_null();
    return json_pack("{s:s, s:s, s:b}", "done_on", done, "due", due, "on_time", a <= b);
}

/* A decline's referral, {"to", "note"}, from its event's opened detail ("referral KIND" or
 * "referral KIND: NOTE"); null for a decline made before referrals (no such detail). */
static json_t *referral_json(const json_t *detail)
{
    const char *d = json_string_value(detail), *colon;
    char kind[MEMO_REFERRAL_MAX];
    size_t klen;

    if (d == NULL || strncmp(d, "referral ", 9) != 0)
        return json_null();
    d += 9;
    colon = strstr(d, ": ");
    klen = colon ? (size_t)(colon - d) : strlen(d);
    if (klen == 0 || klen >= sizeof(kind))
        return json_null();
    memcpy(kind, d, klen);
    kind[klen] = '\0';
    if (!memo_referral_valid(kind))
        return json_null();
    return json_pack("{s:s, s:o}", "to", kind, "note",
                     colon ? json_string(colon + 2) : json_null());
}

/* {"username", "vkey"} from an approved event's opened detail ("USERNAME VKEY",
 * core/workflow.h); null for anything else. */
static json_t *approval_json(const struct memo *m, const json_t *detail)
{
    const char *s = json_string_value(detail), *sp = s ? strchr(s, ' ') : NULL;
    struct note_vkey key;
    struct note n;
    bool signed_it = false;

    if (sp == NULL || sp == s || (size_t)(sp - s) > USERNAME_MAX || sp[1] == '\0')
        return json_null();
    /* named only when that key's signature is on the reply's note, under the key name the
     * event gives: an event moved or edited outside Dissent names nobody */
    if (m->reply_note != NULL && note_vkey_parse(sp + 1, strlen(sp + 1), &key) == 0 &&
        key.name_len == (size_t)(sp - s) && memcmp(key.name, s, key.name_len) == 0 &&
        note_parse((const char *)m->reply_note, m->reply_note_len, &n, NULL, 0) == 0) {
        bool ok[1] = {false};
        signed_it = note_verify(&n, &key, 1, ok, NULL, 0) == 0 && ok[0];
        note_release(&n);
    }
    if (!signed_it) {
        log_error("integrity: memo %s's approval names a key that did not sign its reply",
                  m->public_id);
        return json_null();
    }
    return json_pack("{s:s%, s:s}", "username", s, (size_t)(sp - s), "vkey", sp + 1);
}

/* Everything the caller may see of one memo. */
int api_memo_view(struct api_env *env, struct api_req *req, const struct memo *m, json_t **out)
{
    unsigned rel = req->rel;
    bool names = names_visible(m, rel);
    struct signature *sigs = NULL, *all = NULL;
    struct memo_member *inv = NULL, *dist = NULL;
    struct memo_event *ev = NULL;
    size_t nsigs = 0, nall = 0, ninv = 0, ndist = 0, nev = 0, tl = 0, bl = 0;
    char *title = NULL, *body = NULL;
    struct memo_caller me = {0};
    struct user drafter;
    const struct channel *ch = NULL;
    json_t *o = NULL, *arr, *addenda = NULL, *approved = NULL;
    int rc;

    *out = NULL;
    /* the text shown is the text its digest covers, or nothing is shown (opened once) */
    if (req->mkey != NULL &&
        (rc = workflow_shown_texts(env->st, req->mkey, m, &title, &tl, &body, &bl)) != 0)
        return rc;
    if ((rc = api_channel_of(env, req, m->channel_id, &ch)) != 0 ||
        (rc = store_signature_list(env->st, m, true, &all, &nall)) != 0 ||
        (rc = store_signature_list(env->st, m, false, &sigs, &nsigs)) != 0 ||
        (rc = store_event_list(env->st, m->id, &ev, &nev)) != 0 ||
        (rc = store_user_get_by_id(env->st, m->drafter_id, &drafter)) != 0)
        goto out;
    o = memo_summary(ch, m, req->now, plain_json(title, tl));
    json_object_set_new(o, "body", plain_json(body, bl));
    title = body = NULL;
    if ((arr = api_attachments_json(env, req, m, &rc)) == NULL)
        goto out;
    json_object_set_new(o, "attachments", arr);
    json_object_set_new(o, "show_signer_names", json_boolean(m->show_names));
    json_object_set_new(o, "relation",
                        json_pack("{s:b, s:b, s:b, s:b, s:b}", "drafter", (rel & WF_DRAFTER) != 0,
                                  "invited", (rel & WF_INVITED) != 0, "principal",
                                  (rel & WF_PRINCIPAL) != 0, "officer", (rel & WF_OFFICER) != 0,
                                  "recused", (rel & WF_RECUSED) != 0));
    json_object_set_new(o, "drafter",
                        names ? json_pack("{s:s, s:s}", "username", drafter.username,
                                          "display_name", drafter.display_name)
                              : json_null());
    if (names) {
        arr = json_array();
        for (size_t i = 0; i < nsigs; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "username", sigs[i].username,
                                                 "display_name", sigs[i].display_name, "signed_at",
                                                 (json_int_t)sigs[i].created_at));
        json_object_set_new(o, "signers", arr);
    } else {
        json_object_set_new(o, "signers", json_null());
    }
    if (rel & (WF_DRAFTER | WF_INVITED)) {
        json_t *mine = json_pack("{s:s, s:n}", "status", "none", "reason");
        unsigned member = 0;
        if ((rc = store_member_get(env->st, m, req->user.id, &member)) != 0) {
            json_decref(mine);
            goto out;
        }
        for (size_t i = 0; i < nall; i++) {
            if (all[i].user_id != req->user.id)
                continue;
            me.signed_ = all[i].voided_at == 0;
            json_object_set_new(mine, "status",
                                json_string(all[i].voided_at ? "voided" : "signed"));
            json_object_set_new(
                mine, "reason",
                text_json(req->mkey, m,
                          &(struct content_place){.field = "void", .at = all[i].voided_at},
                          all[i].void_reason, false));
        }
        /* declining is final (it withdrew any signature): the interface stops offering "Sign" */
        if (member & STORE_REL_DECLINED) {
            me.declined = true;
            json_object_set_new(mine, "status", json_string("declined"));
            json_object_set_new(mine, "reason", json_null());
        }
        json_object_set_new(o, "my_signature", mine);
        if ((rc = reshare_needed(env, m, &drafter, (rel & WF_DRAFTER) != 0, &arr)) != 0)
            goto out;
        me.reshare = arr != NULL && json_array_size(arr) > 0;
        json_object_set_new(o, "reshare_needed", arr ? arr : json_array());
    }
    if (rel & (WF_DRAFTER | WF_OFFICER)) {
        if ((rc = store_member_list(env->st, m, STORE_REL_INVITED, &inv, &ninv)) != 0)
            goto out;
        arr = json_array();
        for (size_t i = 0; i < ninv; i++) {
            const char *status = (inv[i].relation & STORE_REL_DECLINED) ? "declined" : "invited";
            for (size_t k = 0; k < nsigs; k++)
                if (sigs[k].user_id == inv[i].user_id)
                    status = "signed";
            json_array_append_new(arr,
                                  json_pack("{s:s, s:s, s:s}", "username", inv[i].username,
                                            "display_name", inv[i].display_name, "status", status));
        }
        json_object_set_new(o, "invitations", arr);
    }
    if (rel & WF_OFFICER) {
        if ((rc = store_member_list(env->st, m, STORE_REL_DISTRIBUTED | STORE_REL_ASSIGNED, &dist,
                                    &ndist)) != 0)
            goto out;
        arr = json_array();
        json_object_set_new(o, "assigned_to", json_null());
        for (size_t i = 0; i < ndist; i++) {
            if (dist[i].relation & STORE_REL_DISTRIBUTED)
                json_array_append_new(arr, json_string(dist[i].username));
            if (dist[i].relation & STORE_REL_ASSIGNED)
                json_object_set_new(o, "assigned_to",
                                    json_pack("{s:s, s:s}", "username", dist[i].username,
                                              "display_name", dist[i].display_name));
        }
        json_object_set_new(o, "distributed_to", arr);
    }
    json_object_set_new(o, "decline_reason",
                        field_json(req->mkey, m, &(struct content_place){.field = "reason"},
                                   m->reason, m->reason_len));
    json_object_set_new(
        o, "reply",
        m->reply ? json_pack("{s:o, s:o}", "body",
                             field_json(req->mkey, m, &(struct content_place){.field = "reply"},
                                        m->reply, m->reply_len),
                             "note", bytes_json(m->reply_note, m->reply_note_len))
                 : json_null());
    addenda = json_array();
    arr = json_array();
    for (size_t i = 0; i < nev; i++) {
        json_t *e;
        /* the officers' own events are in their "internal" section, opened with their key */
        if (review_internal(ev[i].kind))
            continue;
        e = json_pack("{s:s, s:I}", "event", ev[i].kind, "at", (json_int_t)ev[i].at);
        if (ev[i].detail)
            json_object_set_new(e, "detail",
                                text_json(req->mkey, m,
                                          &(struct content_place){.field = "event",
                                                                  .kind = ev[i].kind,
                                                                  .who = ev[i].actor_id,
                                                                  .at = ev[i].at},
                                          ev[i].detail, ev[i].detail_clear));
        if (names && ev[i].username[0])
            json_object_set_new(e, "by", json_string(ev[i].username));
        if (strcmp(ev[i].kind, "declined") == 0)
            json_object_set_new(o, "referral", referral_json(json_object_get(e, "detail")));
        /* the head who approved the reply, and the key their signature on its note verifies
         * under: the last approval is the reply's (a clarification asks for another) */
        if (strcmp(ev[i].kind, "replied") == 0)
            approved = NULL;
        if (strcmp(ev[i].kind, "approved") == 0 && json_is_string(json_object_get(e, "detail")))
            approved = json_object_get(e, "detail");
        /* the addendum links, for those who open the events (core/workflow.h) */
        if (strcmp(ev[i].kind, "addendum_of") == 0 && json_is_string(json_object_get(e, "detail")))
            json_object_set(o, "addendum_of", json_object_get(e, "detail"));
        if (strcmp(ev[i].kind, "addendum") == 0 && json_is_string(json_object_get(e, "detail")))
            json_array_append(addenda, json_object_get(e, "detail"));
        /* the first reply, when a clarification replaced it: when it came against its due day */
        if (strcmp(ev[i].kind, "earlier_reply_due") == 0 &&
            json_object_get(o, "first_reply") == NULL)
            json_object_set_new(o, "first_reply", first_reply_json(json_object_get(e, "detail")));
        json_array_append_new(arr, e);
    }
    if (json_object_get(o, "referral") == NULL)
        json_object_set_new(o, "referral", json_null());
    if (json_object_get(o, "first_reply") == NULL)
        json_object_set_new(o, "first_reply", json_null());
    if (json_object_get(o, "addendum_of") == NULL)
        json_object_set_new(o, "addendum_of", json_null());
    json_object_set_new(o, "addenda", addenda);
    addenda = NULL;
    json_object_set_new(o, "timeline", arr);
    if (json_is_object(json_object_get(o, "reply")))
        json_object_set_new(json_object_get(o, "reply"), "approved_by", approval_json(m, approved));
    if (rel & WF_OFFICER) {
        json_t *internal = api_review_json(env, req, m, &me.rv, &rc);
        if (internal == NULL)
            goto out;
        json_object_set_new(o, "internal", internal);
    }
    if ((arr = memo_actions(env, req, m, ch, &me)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    json_object_set_new(o, "actions", arr);
    *out = o;
    o = NULL;
out:
    if (title != NULL)
        wipe(title, tl);
    if (body != NULL)
        wipe(body, bl);
    mem_free(title);
    mem_free(body);
    json_decref(o);
    json_decref(addenda);
    store_signature_list_free(sigs, nsigs);
    store_signature_list_free(all, nall);
    store_event_list_free(ev, nev);
    mem_free(inv);
    mem_free(dist);
    return rc;
}

/* Answer with the memo as the caller now sees it. */
static void reply_memo(struct api_env *env, struct api_req *req, struct api_resp *resp,
                       const struct memo *m, int status)
{
    json_t *o = NULL;
    int rc = api_memo_view(env, req, m, &o);

    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", (long long)m->version);
    api_ok(resp, status, o);
}

/*
 * The title of a listed memo: the text when the caller can open the memo's key (*@read set
 * then), JSON null when they cannot; NULL on any other failure, in *@rc.
 */
static json_t *listed_title(struct api_req *req, const struct memo *m, bool *read, int *rc)
{
    char why[256];

    *read = false;
    if (req->mkey == NULL && (req->mkey = keys_secure_alloc(ACCESS_KEY_LEN)) == NULL) {
        *rc = ERR_NOMEM;
        return NULL;
    }
    *rc = access_memo_key(&req->kr, m, req->mkey, why, sizeof(why));
    if (*rc == ERR_FORBIDDEN) {
        *rc = 0;
        return json_null();
    }
    if (*rc != 0)
        return NULL;
    *read = true;
    return field_json(req->mkey, m, &(struct content_place){.field = "title"}, m->title,
                      m->title_len);
}

/* The memos whose titles a list read, for the audit. */
struct title_reads {
    int64_t *ids;
    size_t n, cap;
};

static int title_read(struct title_reads *t, int64_t id)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        int64_t *grown = mem_realloc(t->ids, cap * sizeof(*grown));
        if (grown == NULL)
            return ERR_NOMEM;
        t->ids = grown;
        t->cap = cap;
    }
    t->ids[t->n++] = id;
    return 0;
}

/*
 * One audit record per title read, in one transaction, once the whole answer is built: a list
 * that fails before then records nothing, and one whose audit fails is not answered.
 */
static int audit_titles(struct api_env *env, struct api_req *req, const struct title_reads *t)
{
    int rc;

    if (t->n == 0)
        return 0;
    if ((rc = store_begin(env->st)) != 0)
        return rc;
    for (size_t i = 0; i < t->n && rc == 0; i++)
        rc = audit_append(env->st, t->ids[i], req->user.id, "read_title", req->now);
    if (rc == 0)
        rc = store_commit(env->st);
    if (rc != 0)
        store_rollback(env->st);
    return rc;
}

/*
 * One page of a memo list into @list: the memos @f lets the caller see, newest first, that pass
 * @want, until @limit of them are found or the store runs out. The store is read in batches,
 * the first of the page's size (unfiltered, every memo passes: that is all), each next one
 * twice as large, up to MEMOS_PAGE_MAX. Only the memos that pass have their titles read, into
 * @reads for the audit. @next receives the public id of the last memo examined, the cursor of
 * the next page (it may not pass @want, but the caller sees it), or "" when the store ran out
 * and every memo of it was examined.
 */
/* An officer's listed memo they are recused from (core/workflow.h) says so: "recused": true. */
static int mark_recused(struct api_env *env, struct api_req *req, const struct memo *m,
                        json_t *item)
{
    unsigned rel = 0;
    int rc;

    if (!(req->user.roles & ROLE_OFFICER) || m->state < MEMO_FILED)
        return 0;
    if ((rc = workflow_relation(env->st, m, &req->user, &rel)) != 0)
        return rc;
    if (rel & WF_RECUSED)
        json_object_set_new(item, "recused", json_true());
    return 0;
}

/* What a list asks of each memo beyond the store's filter: its deadlines, its day, its title. */
struct list_want {
    enum clocks_filter clocks;
    int64_t from, to; /* the memo's day (filed, else created) within, both included */
    char q[MEMOS_QUERY_MAX + 1];
    size_t qlen;     /* 0: any title; else q, folded (str_fold()), occurs in the folded title */
    bool unassigned; /* only memos no officer is assigned to */
    bool approval;   /* only memos whose reply awaits the caller's approval (a head's) */
};

/* Whether an officer is assigned to @m. */
static int has_assignee(struct api_env *env, const struct memo *m, bool *yes)
{
    struct memo_member *a = NULL;
    size_t n = 0;
    int rc = store_member_list(env->st, m, STORE_REL_ASSIGNED, &a, &n);

    *yes = n > 0;
    mem_free(a);
    return rc;
}

/*
 * Whether @title (the caller's, opened) contains @w's words, as str_fold() compares them. A
 * title the caller cannot open matches nothing. 0, or ERR_NOMEM.
 */
static int title_matches(const json_t *title, const struct list_want *w, bool *yes)
{
    size_t n;
    char *t;

    *yes = w->qlen == 0;
    if (*yes || !json_is_string(title))
        return 0;
    n = json_string_length(title);
    if ((t = mem_alloc(n + 1)) == NULL)
        return ERR_NOMEM;
    memcpy(t, json_string_value(title), n);
    str_fold(t, n);
    *yes = str_contains(t, n, w->q, w->qlen);
    wipe(t, n);
    mem_free(t);
    return 0;
}

static int list_page(struct api_env *env, struct api_req *req, struct memo_filter *f,
                     const struct list_want *w, int64_t limit, json_t *list,
                     struct title_reads *reads, char next[STORE_MEMO_ID_LEN + 1])
{
    enum clocks_filter want = w->clocks;
    size_t found = 0, examined = 0;
    size_t cap = w->qlen > 0 || w->unassigned || w->approval ? MEMOS_SEARCH_MAX : SIZE_MAX;
    int rc = 0;

    next[0] = '\0';
    /* only filed and acknowledged memos wait on the channel */
    if (want != CLOCKS_ANY && f->state >= 0 && f->state != MEMO_FILED &&
        f->state != MEMO_ACKNOWLEDGED)
        return 0;
    f->limit = (int)limit;
    for (;; f->limit = f->limit * 2 < MEMOS_PAGE_MAX ? f->limit * 2 : MEMOS_PAGE_MAX) {
        struct memo *arr = NULL;
        size_t n = 0, i;
        bool ran_out;

        if ((rc = store_memo_list(env->st, f, &arr, &n)) != 0)
            return rc;
        for (i = 0; i < n && found < (size_t)limit && examined < cap; i++) {
            struct memo_clocks c;
            json_t *title;
            bool read, match = false;
            int64_t day =
                arr[i].filed_day >= 0 ? arr[i].filed_day : channel_today(arr[i].created_at);

            memcpy(next, arr[i].public_id, STORE_MEMO_ID_LEN + 1);
            examined++;
            if (day < w->from || day > w->to)
                continue;
            /* a case assigned before its officer's account left the memo's channel is theirs
             * no longer (docs/channels.md): the list shows what the memo page would */
            if ((f->relations & STORE_REL_ASSIGNED) &&
                !channels_has(req->user.channels ? req->user.channels : 1, arr[i].channel_id))
                continue;
            if (w->unassigned) {
                bool taken = false;
                if ((rc = has_assignee(env, &arr[i], &taken)) != 0)
                    break;
                if (taken)
                    continue;
            }
            if (w->approval) {
                /* submitted by another officer, and the caller not recused from it */
                bool waits = false;
                unsigned rel = 0;
                if ((rc = review_awaiting(env->st, &arr[i], req->user.id, &waits)) != 0 ||
                    (waits && (rc = workflow_relation(env->st, &arr[i], &req->user, &rel)) != 0))
                    break;
                if (!waits || !(rel & WF_OFFICER))
                    continue;
            }
            const struct channel *ch = NULL;
            if ((rc = api_channel_of(env, req, arr[i].channel_id, &ch)) != 0)
                break;
            if (want != CLOCKS_ANY) {
                if ((rc = clocks_of_memo(&ch->calendar, &arr[i], channel_day(ch, req->now), &c)) !=
                    0)
                    break;
                if (!clocks_filter_match(&c, want))
                    continue;
            }
            title = listed_title(req, &arr[i], &read, &rc);
            /* a title opened only to be compared, and not shown, is no read */
            if (rc == 0 && (rc = title_matches(title, w, &match)) == 0 && !match) {
                json_decref(title);
                continue;
            }
            if (rc == 0 && read)
                rc = title_read(reads, arr[i].id);
            if (rc != 0) {
                json_decref(title);
                break;
            }
            {
                json_t *item = memo_summary(ch, &arr[i], req->now, title);
                if ((rc = mark_recused(env, req, &arr[i], item)) != 0) {
                    json_decref(item);
                    break;
                }
                json_array_append_new(list, item);
            }
            found++;
        }
        ran_out = n < (size_t)f->limit && i == n;
        if (n > 0)
            f->after = arr[n - 1].id;
        store_memo_list_free(arr, n);
        if (rc != 0)
            return rc;
        if (ran_out) {
            next[0] = '\0';
            return 0;
        }
        if (found == (size_t)limit || examined >= cap)
            return 0;
    }
}

void api_memos_list(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char state[16], after[MEMO_ID_LEN + 8], lim[16], role[16], due[16], day[16];
    char next[STORE_MEMO_ID_LEN + 1];
    struct list_want want = {.clocks = CLOCKS_ANY, .from = INT64_MIN, .to = INT64_MAX};
    struct memo_filter f;
    int64_t limit = MEMOS_PAGE_DEFAULT;
    unsigned long refused = mem_failures();
    struct title_reads reads = {0};
    json_t *list;
    int rc;

    memset(&f, 0, sizeof(f));
    f.user_id = req->user.id;
    f.state = -1;
    if (req->user.roles & ROLE_STAFF) {
        f.drafted = true;
        f.relations |= STORE_REL_INVITED;
        f.excluded = STORE_REL_DECLINED; /* a declined invitation hides the memo */
    }
    if (req->user.roles & ROLE_PRINCIPAL)
        f.relations |= STORE_REL_DISTRIBUTED;
    /* until the officers have dealt with an administrator's reset, what the account was part of
     * before it is not the account's (core/reset.h) */
    if (req->user.flags & STORE_USER_RESET)
        f.since_id = req->user.reset_memo;
    f.all_from = (req->user.roles & ROLE_OFFICER) ? MEMO_FILED : 0;
    /* an officer's "every filed memo" is of their own channels (core/channels.h) */
    f.channels = req->user.channels ? req->user.channels : 1;
    if ((rc = api_query(req, resp, "state", state, sizeof(state))) == ERR_INVALID)
        return;
    if (rc == 0) {
        enum memo_state s;
        if (memo_state_parse(state, &s) != 0) {
            api_error_field(resp, "state",
                            "state must be one of draft, open, filed, "
                            "acknowledged, replied, closed, declined, withdrawn");
            return;
        }
        f.state = (int)s;
    }
    if ((rc = api_query(req, resp, "role", role, sizeof(role))) == ERR_INVALID)
        return;
    if (rc == 0) {
        /* narrow to one relation */
        bool drafted = f.drafted;
        int officer = f.all_from;
        unsigned rels = f.relations;
        f.drafted = false;
        f.all_from = 0;
        f.relations = 0;
        if (strcmp(role, "drafter") == 0)
            f.drafted = drafted;
        else if (strcmp(role, "invited") == 0)
            f.relations = rels & STORE_REL_INVITED;
        else if (strcmp(role, "principal") == 0)
            f.relations = rels & STORE_REL_DISTRIBUTED;
        else if (strcmp(role, "officer") == 0)
            f.all_from = officer;
        else {
            api_error_field(resp, "role", "role must be drafter, invited, principal or officer");
            return;
        }
    }
    rc = http_query_get(req->query, "deadline", due, sizeof(due));
    if ((rc == 0 && clocks_filter_parse(due, &want.clocks) != 0) ||
        (rc != 0 && rc != ERR_NOT_FOUND)) {
        api_error_field(resp, "deadline", "deadline must be overdue, soon or waiting");
        return;
    }
    for (int k = 0; k < 2; k++) {
        const char *name = k == 0 ? "from" : "to";
        rc = http_query_get(req->query, name, day, sizeof(day));
        if ((rc == 0 && workdays_day_parse(day, k == 0 ? &want.from : &want.to) != 0) ||
            (rc != 0 && rc != ERR_NOT_FOUND)) {
            api_error_field(resp, name, "%s must be a date, YYYY-MM-DD", name);
            return;
        }
    }
    if (want.from > want.to) {
        api_error_field(resp, "to", "to must not be before from");
        return;
    }
    if ((rc = api_query(req, resp, "assigned", due, sizeof(due))) == ERR_INVALID)
        return;
    if (rc == 0) {
        /* an officer's own cases, or those nobody handles yet */
        if (!(req->user.roles & ROLE_OFFICER) ||
            (strcmp(due, "me") != 0 && strcmp(due, "none") != 0)) {
            api_error_field(resp, "assigned", "assigned must be me or none, for officers");
            return;
        }
        f.drafted = false;
        if (strcmp(due, "me") == 0) {
            f.relations = STORE_REL_ASSIGNED;
            f.excluded = 0;
            f.all_from = 0;
        } else {
            f.relations = 0;
            f.all_from = MEMO_FILED;
            want.unassigned = true;
        }
    }
    if ((rc = api_query(req, resp, "approval", due, sizeof(due))) == ERR_INVALID)
        return;
    if (rc == 0) {
        /* the replies a head is asked to approve (core/review.h) */
        if (!(req->user.roles & ROLE_HEAD) || strcmp(due, "me") != 0) {
            api_error_field(resp, "approval", "approval must be me, for the channel's head");
            return;
        }
        f.drafted = false;
        f.relations = 0;
        f.excluded = 0;
        f.all_from = MEMO_FILED;
        f.state = MEMO_ACKNOWLEDGED;
        want.approval = true;
    }
    rc = http_query_get(req->query, "q", want.q, sizeof(want.q));
    if (rc == 0) {
        /* empty: no search (a search box left empty); else words a title could hold */
        want.qlen = strlen(want.q);
        if (want.qlen > 0 && memo_title_check(want.q, want.qlen) != 0) {
            api_error_field(resp, "q", "q must be one line of text, not only spaces");
            return;
        }
        str_fold(want.q, want.qlen);
    } else if (rc != ERR_NOT_FOUND) {
        api_error_field(resp, "q", "q must be at most %d bytes", MEMOS_QUERY_MAX);
        return;
    }
    rc = http_query_get(req->query, "limit", lim, sizeof(lim));
    if ((rc == 0 && str_parse_i64(lim, 1, MEMOS_PAGE_MAX, &limit) != 0) ||
        (rc != 0 && rc != ERR_NOT_FOUND)) {
        api_error_field(resp, "limit", "limit must be 1 to %d", MEMOS_PAGE_MAX);
        return;
    }
    f.limit = (int)limit;
    if ((rc = api_query(req, resp, "after", after, sizeof(after))) == ERR_INVALID)
        return;
    if (rc == 0) {
        /* a memo the caller cannot see is no cursor either, with the answer of a missing one:
         * else the list would confirm that the id exists and order it among the caller's */
        struct memo cursor;
        unsigned rel = 0;
        if (!memo_id_valid(after) || store_memo_get(env->st, after, &cursor) != 0) {
            api_error_field(resp, "after", "after must be a memo id from the previous page");
            return;
        }
        rc = workflow_relation(env->st, &cursor, &req->user, &rel);
        f.after = cursor.id;
        store_memo_release(&cursor);
        if (rc != 0) {
            api_error_rc(resp, rc, NULL);
            return;
        }
        if (rel == 0) {
            api_error_field(resp, "after", "after must be a memo id from the previous page");
            return;
        }
    }
    list = json_array();
    rc = list == NULL ? ERR_NOMEM : list_page(env, req, &f, &want, limit, list, &reads, next);
    /* jansson drops what it cannot allocate without a word: check before the audit */
    if (rc == 0 && mem_failures() != refused)
        rc = ERR_NOMEM;
    if (rc == 0)
        rc = audit_titles(env, req, &reads);
    mem_free(reads.ids);
    if (rc != 0) {
        json_decref(list);
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(
        resp, 200,
        json_pack("{s:o, s:o}", "memos", list, "next", next[0] ? json_string(next) : json_null()));
}

/* Title and body fields of a create or edit; 422 already set on failure. */
static int text_fields(struct api_resp *resp, json_t *body, bool required, const char **title,
                       const char **text, int *show)
{
    json_t *v;

    *show = -1;
    if (api_get_string(resp, body, "title", required, MEMO_TITLE_MAX_BYTES, title) != 0 ||
        api_get_string(resp, body, "body", required, MEMO_BODY_MAX, text) != 0)
        return ERR_INVALID;
    if ((v = json_object_get(body, "show_signer_names")) != NULL) {
        if (!json_is_boolean(v)) {
            api_error_field(resp, "show_signer_names", "show_signer_names must be a boolean");
            return ERR_INVALID;
        }
        *show = json_is_true(v);
    }
    return 0;
}

/* The number of the channel @slug names (NULL: channel 1) into *@number, one @u may file to;
 * 0, or ERR_INVALID answered (422 naming "channel" for none such, 403 for one whose filers are
 * its members and @u is not one: docs/channels.md). */
static int channel_number(struct api_env *env, struct api_resp *resp, const struct user *u,
                          const char *slug, int64_t *number)
{
    struct channel_row r;
    bool may = false;
    int rc = channels_get(env->st, slug, 1, &r);

    if (rc == ERR_NOT_FOUND)
        api_error_field(resp, "channel", "channel: no channel %.32s", slug ? slug : "");
    else if (rc != 0 || (rc = channels_may_file(env->cfg, &r, u, &may)) != 0)
        api_error_rc(resp, rc, NULL);
    else if (!may)
        api_error(resp, 403, "forbidden", "channel: you may not file to channel %.32s", r.slug);
    else
        *number = r.id;
    mem_free(r.settings);
    return rc == 0 && may ? 0 : ERR_INVALID;
}

void api_memos_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"title", "body", "show_signer_names", "channel", NULL};
    const char *title, *text, *slug;
    char err[256];
    struct wf_ctx c;
    struct memo m;
    int64_t channel = 1;
    int show, rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        text_fields(resp, req->json, true, &title, &text, &show) != 0 ||
        api_get_string(resp, req->json, "channel", false, STORE_CHANNEL_SLUG_MAX, &slug) != 0 ||
        channel_number(env, resp, &req->user, slug, &channel) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    /* names stay hidden from principals unless the drafter shows them */
    rc = workflow_create(&c, channel, title, strlen(title), text, strlen(text), show == 1, &m);
    if (rc != 0) {
        api_error_wf(resp, rc, err, &m);
        return;
    }
    /* answer as a GET would, with the key the new memo was sealed with */
    req->memo = m;
    req->has_memo = true;
    req->rel = WF_DRAFTER;
    if (api_memo_key(env, req, resp) != 0)
        return;
    snprintf(resp->location, sizeof(resp->location), "/api/v1/memos/%s", m.public_id);
    reply_memo(env, req, resp, &req->memo, 201);
}

void api_memos_addendum(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"title", "body", NULL};
    char err[256], dflt[64];
    const char *title, *text;
    struct wf_ctx c;
    struct memo m;
    int show, rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        text_fields(resp, req->json, false, &title, &text, &show) != 0)
        return;
    if (text == NULL) {
        api_error_field(resp, "body", "body is required");
        return;
    }
    if (title == NULL) { /* the drafter may retitle the draft */
        snprintf(dflt, sizeof(dflt), "Addendum to memo %s", req->memo.public_id);
        title = dflt;
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_addendum(&c, &req->memo, title, strlen(title), text, strlen(text), &m);
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    /* answer as the new draft's GET would, with its own key */
    store_memo_release(&req->memo);
    req->memo = m;
    req->rel = WF_DRAFTER;
    if (api_memo_key(env, req, resp) != 0)
        return;
    snprintf(resp->location, sizeof(resp->location), "/api/v1/memos/%s", m.public_id);
    reply_memo(env, req, resp, &req->memo, 201);
}

void api_memos_get(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    int rc = audit_read(env->st, req->memo.id, req->user.id, "read", req->now);

    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    reply_memo(env, req, resp, &req->memo, 200);
}

/* The If-Match a change of the whole memo needs: the version the caller @did something to, and
 * the memo's now. 0, or ERR_INVALID with 400, 428 or 412 set. */
static int version_seen(struct api_req *req, struct api_resp *resp, bool edited)
{
    int64_t want = 0;
    int m = api_if_match(req->if_match, &want);

    if (m == ERR_INVALID) {
        api_error(resp, 400, "bad_if_match", "If-Match must be the memo's version number");
        return ERR_INVALID;
    }
    if (m == ERR_NOT_FOUND) {
        if (edited)
            api_error(resp, 428, "precondition_required",
                      "send If-Match with the version you edited (current: %lld)",
                      (long long)req->memo.version);
        else
            api_error(resp, 428, "precondition_required",
                      "send If-Match with the version you read (current: %lld)",
                      (long long)req->memo.version);
        return ERR_INVALID;
    }
    if (want != req->memo.version) {
        api_error(resp, 412, "version_mismatch", "the memo changed: current version is %lld",
                  (long long)req->memo.version);
        return ERR_INVALID;
    }
    return 0;
}

void api_memos_patch(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"title", "body", "show_signer_names", "channel", NULL};
    const char *title, *text, *slug = NULL;
    char err[256];
    struct wf_ctx c;
    int64_t channel = 0;
    int show, rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        text_fields(resp, req->json, false, &title, &text, &show) != 0 ||
        api_get_string(resp, req->json, "channel", false, STORE_CHANNEL_SLUG_MAX, &slug) != 0)
        return;
    /* a draft's channel changes until it is filed: to one the drafter may file to */
    if (slug != NULL && channel_number(env, resp, &req->user, slug, &channel) != 0)
        return;
    if (version_seen(req, resp, true) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_edit(&c, &req->memo, title, title ? strlen(title) : 0, text,
                       text ? strlen(text) : 0, show, channel);
    if (rc == ERR_CONFLICT) {
        api_error(resp, 412, "version_mismatch", "the memo changed meanwhile; reload it");
        return;
    }
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    reply_memo(env, req, resp, &req->memo, 200);
}

/* The last segment of the request path: "finalize", "file", ... */
static const char *action_of(const struct api_req *req)
{
    const char *slash = strrchr(req->path, '/');
    return slash ? slash + 1 : "";
}

/* Finish an action: on success the memo as it is now (relations may have changed). */
void api_after_action(struct api_env *env, struct api_req *req, struct api_resp *resp, int rc,
                      const char *err, int status)
{
    char id[STORE_MEMO_ID_LEN + 1];

    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    /* reload: counts and relations may have changed with the action */
    memcpy(id, req->memo.public_id, sizeof(id));
    store_memo_release(&req->memo);
    req->has_memo = false;
    if ((rc = store_memo_get(env->st, id, &req->memo)) == 0) {
        req->has_memo = true;
        rc = workflow_relation(env->st, &req->memo, &req->user, &req->rel);
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    reply_memo(env, req, resp, &req->memo, status);
}

void api_memos_action(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *a = action_of(req);
    char err[256];
    struct wf_ctx c;
    int rc;

    api_wf_init(&c, env, req, err, sizeof(err));
    /* filing is to the memo's channel: the drafter must still be one who may file to it (its
     * filers changed, or the drafter's channels, since the draft was made; an addendum too) */
    if (strcmp(a, "file") == 0) {
        struct channel_row r;
        bool may = false;
        if ((rc = channels_get(env->st, NULL, req->memo.channel_id, &r)) == 0)
            rc = channels_may_file(env->cfg, &r, &req->user, &may);
        mem_free(r.settings);
        if (rc != 0 && rc != ERR_NOT_FOUND) {
            api_error_rc(resp, rc, NULL);
            return;
        }
        if (!may) {
            api_error(resp, 403, "forbidden", "channel: you may not file to this memo's channel");
            return;
        }
    }
    if (strcmp(a, "finalize") == 0)
        rc = workflow_finalize(&c, &req->memo);
    else if (strcmp(a, "file") == 0)
        rc = workflow_file(&c, &req->memo);
    else if (strcmp(a, "withdraw") == 0)
        rc = workflow_withdraw(&c, &req->memo);
    else if (strcmp(a, "acknowledge") == 0)
        rc = workflow_acknowledge(&c, &req->memo);
    else if (strcmp(a, "close") == 0)
        rc = workflow_close(&c, &req->memo);
    else if (strcmp(a, "accept") == 0)
        rc = workflow_accept(&c, &req->memo);
    else
        rc = ERR_INTERNAL;
    api_after_action(env, req, resp, rc, err, 200);
    /* an addendum filed: the original learns of it now (core/workflow.h) */
    if (rc == 0 && strcmp(a, "file") == 0 && resp->status == 200) {
        int lr = workflow_addendum_link(&c, &req->kr, &req->memo);
        if (lr != 0 && lr != ERR_NOT_FOUND)
            log_warn("memo %s: its link to the memo it adds to was not recorded (%s)",
                     req->memo.public_id, err_str(lr));
    }
    if (rc == 0 && strcmp(a, "file") == 0 && resp->status == 200 && json_is_object(resp->body)) {
        /* the drafter's receipt, once the next scheduled checkpoint covers the filing: until
         * then null, and GET .../receipt says when to ask again */
        int r;
        json_t *receipt = api_receipt_json(env, &req->memo, req->now, &r);
        json_object_set_new(resp->body, "receipt", receipt ? receipt : json_null());
        if (receipt == NULL && r == ERR_BUSY)
            json_object_set_new(resp->body, "receipt_after", json_integer(env->cfg->log_interval));
    }
}

void api_memos_delete(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char err[256];
    struct wf_ctx c;
    int rc;

    if (version_seen(req, resp, false) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_delete(&c, &req->memo);
    if (rc == ERR_CONFLICT) {
        api_error(resp, 412, "version_mismatch", "the memo changed meanwhile; reload it");
        return;
    }
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 204, NULL);
}

void api_memos_assign(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "reason", NULL};
    const char *username, *reason = NULL;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &username) != 0 ||
        api_get_string(resp, req->json, "reason", false, MEMO_REASON_MAX, &reason) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_assign(&c, &req->memo, username, reason), err, 200);
}

void api_memos_reopen(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"reason", NULL};
    const char *reason = NULL;
    char err[256];
    struct wf_ctx c;

    if (req->json != NULL &&
        (api_fields_allowed(resp, req->json, fields) != 0 ||
         api_get_string(resp, req->json, "reason", false, MEMO_REASON_MAX, &reason) != 0))
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_reopen(&c, &req->memo, reason), err, 200);
}

/* {"usernames": [...]} into a NULL-free array of borrowed strings; 422 on anything else. */
static int usernames(struct api_resp *resp, json_t *body, const char ***out, size_t *n)
{
    static const char *const fields[] = {"usernames", NULL};
    json_t *arr = json_object_get(body, "usernames"), *v;
    const char **names;
    size_t i;

    *out = NULL;
    *n = 0;
    if (api_fields_allowed(resp, body, fields) != 0)
        return ERR_INVALID;
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > WF_INVITE_MAX) {
        api_error_field(resp, "usernames", "usernames must be an array of 1 to %d usernames",
                        WF_INVITE_MAX);
        return ERR_INVALID;
    }
    names = mem_calloc(json_array_size(arr), sizeof(*names));
    if (names == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return ERR_NOMEM;
    }
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            mem_free(names);
            api_error_field(resp, "usernames", "usernames must be strings");
            return ERR_INVALID;
        }
        names[i] = json_string_value(v);
    }
    *out = names;
    *n = json_array_size(arr);
    return 0;
}

/* Invitations (drafter) and distribution (officer) take the same list of usernames. */
static void members(struct api_env *env, struct api_req *req, struct api_resp *resp,
                    int (*op)(struct wf_ctx *, struct memo *, const char *const *, size_t))
{
    const char **names = NULL;
    char err[256];
    struct wf_ctx c;
    size_t n = 0;
    int rc;

    if (usernames(resp, req->json, &names, &n) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = op(&c, &req->memo, names, n);
    mem_free(names);
    api_after_action(env, req, resp, rc, err, 200);
}

void api_memos_invite(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    members(env, req, resp, workflow_invite);
}

void api_memos_distribute(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    members(env, req, resp, workflow_distribute);
}

/* A current reader shares a draft again with a participant an administrator's reset cut off
 * (core/reset.h). */
void api_memos_reshare(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char err[256] = "";
    struct user to;
    int rc = api_body_user(env, req, resp, &to);

    if (rc != 0)
        return;
    rc = reset_reshare_draft(&req->kr, &req->memo, &to, req->now, err, sizeof(err));
    wipe(to.pwhash, sizeof(to.pwhash));
    api_after_action(env, req, resp, rc, err, 200);
}

void api_memos_decline_invitation(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char err[256];
    struct wf_ctx c;

    int rc;

    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_decline_invitation(&c, &req->memo);
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    /* the decliner leaves the memo: no copy of it in the answer */
    api_ok(resp, 204, NULL);
}

void api_memos_sign(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct user_keys *k = NULL;
    char err[256], *note = NULL;
    struct wf_ctx c;
    int rc;

    rc = session_keys_open(&req->session, req->token, &req->user, &k);
    if (rc == ERR_NOMEM) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    if (rc != 0) {
        api_error(resp, 403, "keys_unavailable",
                  "this session holds no signing key; sign out and in again");
        return;
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_sign(&c, &req->memo, k, &note);
    keys_free(k);
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 201,
           json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "memo_id", req->memo.public_id, "state",
                     memo_state_name((enum memo_state)req->memo.state), "signer",
                     req->user.username, "note", note, "signer_count", req->memo.signer_count,
                     "deadlines", deadlines_json(req->ch, &req->memo, req->now)));
    mem_free(note);
}

void api_memos_unsign(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char err[256];
    struct wf_ctx c;
    int rc;

    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_unsign(&c, &req->memo);
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 204, NULL);
}

/* A required reason field alone in the body. */
static int reason_field(struct api_resp *resp, json_t *body, const char *const *fields,
                        const char **reason)
{
    return api_fields_allowed(resp, body, fields) != 0 ||
                   api_get_string(resp, body, "reason", true, MEMO_REASON_MAX, reason) != 0
               ? ERR_INVALID
               : 0;
}

void api_memos_decline(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"reason", "referral", "referral_note", NULL};
    const char *reason, *referral, *note = NULL;
    char err[256];
    struct wf_ctx c;

    if (reason_field(resp, req->json, fields, &reason) != 0 ||
        api_get_string(resp, req->json, "referral", true, MEMO_REFERRAL_MAX - 1, &referral) != 0 ||
        api_get_string(resp, req->json, "referral_note", false, MEMO_REASON_MAX, &note) != 0)
        return;
    if (!memo_referral_valid(referral)) {
        api_error_field(resp, "referral", "referral must be one of " MEMO_REFERRALS);
        return;
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_decline(&c, &req->memo, reason, referral, note), err,
                     200);
}

void api_memos_extend(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"until", "reason", NULL};
    const char *until, *reason;
    char err[256];
    struct wf_ctx c;
    int64_t day;

    if (reason_field(resp, req->json, fields, &reason) != 0 ||
        api_get_string(resp, req->json, "until", true, 10, &until) != 0)
        return;
    if (workdays_day_parse(until, &day) != 0) {
        api_error_field(resp, "until", "until must be a date YYYY-MM-DD");
        return;
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_extend(&c, &req->memo, day, reason), err, 200);
}

void api_memos_reply(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"body", NULL};
    const char *body;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "body", true, MEMO_REPLY_MAX, &body) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_reply(&c, &req->memo, body, strlen(body)), err, 200);
}

void api_memos_clarify(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"question", NULL};
    const char *question;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "question", true, MEMO_REASON_MAX, &question) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_clarify(&c, &req->memo, question), err, 200);
}

void api_memos_interim(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"body", NULL};
    const char *body;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "body", true, MEMO_REASON_MAX, &body) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, workflow_interim(&c, &req->memo, body), err, 200);
}

void api_comments_list(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    bool names = names_visible(&req->memo, req->rel);
    struct memo_comment *cs = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;

    if ((rc = store_comment_list(env->st, req->memo.id, &cs, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *body = field_json(
            req->mkey, &req->memo,
            &(struct content_place){.field = "comment", .who = cs[i].author_id, .at = cs[i].at},
            cs[i].body, cs[i].body_len);
        /* a body sealed to another author does not open: its author is not named either */
        bool opened = !json_is_null(body);
        json_t *o = json_pack("{s:I, s:o, s:I}", "id", (json_int_t)cs[i].id, "body", body, "at",
                              (json_int_t)cs[i].at);
        /* the drafter and co-signers stay anonymous to principals when names are hidden */
        unsigned member = 0;
        bool hide =
            !names && (cs[i].author_id == req->memo.drafter_id ||
                       (store_member_get(env->st, &req->memo, cs[i].author_id, &member) == 0 &&
                        (member & STORE_REL_INVITED)));
        json_object_set_new(o, "author",
                            hide || !opened ? json_null() : json_string(cs[i].username));
        json_array_append_new(arr, o);
    }
    store_comment_list_free(cs, n);
    if ((rc = audit_read(env->st, req->memo.id, req->user.id, "read_comments", req->now)) != 0) {
        json_decref(arr);
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200, json_pack("{s:o}", "comments", arr));
}

void api_comments_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"body", NULL};
    struct memo_comment cm;
    const char *body;
    char err[256];
    struct wf_ctx c;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "body", true, MEMO_COMMENT_MAX, &body) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = workflow_comment(&c, &req->memo, body, strlen(body), &cm);
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 201,
           json_pack("{s:I, s:s, s:o, s:I}", "id", (json_int_t)cm.id, "author", cm.username, "body",
                     bytes_json(cm.body, cm.body_len), "at", (json_int_t)cm.at));
    mem_free(cm.body);
}

void api_memos_bundle(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const struct memo *m = &req->memo;
    struct signature *sigs = NULL;
    char digest[MEMO_DIGEST_B64_LEN + 1], *canon = NULL;
    size_t n = 0, len = 0;
    json_t *signers, *notes, *vkeys;
    int rc;

    if (!m->has_digest || m->state == MEMO_DRAFT) {
        api_error_state(resp, "the memo has no frozen text yet: finalize it first", m->state);
        return;
    }
    if ((rc = workflow_digest_check(env->st, req->mkey, m)) != 0 ||
        (rc = workflow_canonical(env->st, req->mkey, m, &canon, &len, NULL)) != 0 ||
        (rc = store_signature_list(env->st, m, false, &sigs, &n)) != 0 ||
        (rc = audit_read(env->st, m->id, req->user.id, "read_bundle", req->now)) != 0) {
        if (canon)
            wipe(canon, len);
        mem_free(canon);
        store_signature_list_free(sigs, n);
        api_error_rc(resp, rc, NULL);
        return;
    }
    memo_digest_b64(m->digest, digest);
    signers = json_array();
    notes = json_array();
    vkeys = json_array();
    /* the drafter first, then the others in signing order */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            if ((sigs[i].user_id == m->drafter_id) != (pass == 0))
                continue;
            json_array_append_new(signers, json_string(sigs[i].username));
            json_array_append_new(notes, json_string(sigs[i].note));
            json_array_append_new(vkeys, json_string(sigs[i].vkey));
        }
    }
    api_ok(resp, 200,
           json_pack("{s:s, s:s, s:s%, s:s, s:o, s:o, s:o}", "format", "dissent-bundle/v1",
                     "memo_id", m->public_id, "canonical_text", canon, len, "digest", digest,
                     "signers", signers, "signatures", notes, "vkeys", vkeys));
    if (m->has_log && resp->status == 200 && resp->body != NULL) {
        /* a filed memo's bundle carries its filing receipt */
        json_t *receipt = api_receipt_json(env, m, req->now, &rc);
        if (receipt != NULL)
            json_object_set_new(resp->body, "receipt", receipt);
        else if (rc != ERR_BUSY) /* (until the next checkpoint, the bundle has no receipt yet) */
            api_error_rc(resp, rc, NULL);
    }
    wipe(canon, len);
    mem_free(canon);
    store_signature_list_free(sigs, n);
}

/*
 * The officers' queue, GET /api/v1/deadlines: the memos waiting on the channel in the order
 * web/js/queue.js shows them (the due day they wait on, then the day filed, then when made,
 * then the id), a page at a time. The walk over what waits reads rows only (their clocks and
 * the caller's relation) and keeps the page's keys in a bounded heap, so memory does not grow
 * with the queue; only the page's memos are read again, their titles opened and audited.
 */
#define QUEUE_PAGE_DEFAULT 100

struct queue_key {
    int64_t due, filed, created, id;
    char public_id[MEMO_ID_LEN + 1];
};

static int queue_cmp(const struct queue_key *a, const struct queue_key *b)
{
    if (a->due != b->due)
        return a->due < b->due ? -1 : 1;
    if (a->filed != b->filed)
        return a->filed < b->filed ? -1 : 1;
    if (a->created != b->created)
        return a->created < b->created ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id ? 1 : 0;
}

/*
 * The cursor of the next page: the last key of this one, "DUE.FILED.CREATED.ID" (day numbers,
 * unix seconds, the memo's public id), every part of it shown on the page already. It is the
 * place in the queue itself, not the memo's place now: a memo acknowledged meanwhile moves, the
 * places between do not (the next page starts where this one ended). The memo is looked up only
 * for its internal id, the last tie-break (the order of creation), and must be one the caller
 * sees, as for the memo lists' cursors.
 */
#define QUEUE_CURSOR_MAX (3 * 21 + MEMO_ID_LEN + 1)

static void queue_cursor(const struct queue_key *k, char out[QUEUE_CURSOR_MAX + 1])
{
    snprintf(out, QUEUE_CURSOR_MAX + 1, "%lld.%lld.%lld.%s", (long long)k->due, (long long)k->filed,
             (long long)k->created, k->public_id);
}

/* @s as a cursor queue_cursor() made: 0, or ERR_INVALID. */
static int queue_cursor_parse(const char *s, struct queue_key *k)
{
    char copy[QUEUE_CURSOR_MAX + 1], *parts[4], *p;
    int64_t v[3];
    size_t n = 0;

    memset(k, 0, sizeof(*k));
    if (str_copy(copy, sizeof(copy), s) != 0)
        return ERR_INVALID;
    for (p = copy; n < 4; n++) {
        parts[n] = p;
        if (n < 3) {
            if ((p = strchr(p, '.')) == NULL)
                return ERR_INVALID;
            *p++ = '\0';
        }
    }
    for (size_t i = 0; i < 3; i++)
        if (str_parse_i64(parts[i], i == 0 ? INT64_MIN : 0, INT64_MAX, &v[i]) != 0)
            return ERR_INVALID;
    if (!memo_id_valid(parts[3]))
        return ERR_INVALID;
    k->due = v[0];
    k->filed = v[1];
    k->created = v[2];
    str_copy(k->public_id, sizeof(k->public_id), parts[3]);
    return 0;
}

static int queue_cmp_q(const void *a, const void *b)
{
    return queue_cmp(a, b);
}

/* The smallest @cap keys seen: a max-heap in @h[0..*@n). */
static void queue_offer(struct queue_key *h, size_t *n, size_t cap, const struct queue_key *k)
{
    size_t i;

    if (*n < cap) {
        for (i = (*n)++; i > 0 && queue_cmp(&h[(i - 1) / 2], k) < 0; i = (i - 1) / 2)
            h[i] = h[(i - 1) / 2];
        h[i] = *k;
        return;
    }
    if (cap == 0 || queue_cmp(k, &h[0]) >= 0)
        return;
    for (i = 0;;) { /* the top replaced: sift down */
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && queue_cmp(&h[c + 1], &h[c]) > 0)
            c++;
        if (queue_cmp(&h[c], k) <= 0)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = *k;
}

/* @m's place in the queue, @w the deadline it waits on. */
static void queue_key_of(const struct memo *m, const struct clock *w, struct queue_key *k)
{
    memset(k, 0, sizeof(*k));
    k->due = w->due;
    k->filed = m->filed_day;
    k->created = m->created_at;
    k->id = m->id;
    str_copy(k->public_id, sizeof(k->public_id), m->public_id);
}

/* What the queue counts, over every memo waiting whatever the filters. */
struct queue_counts {
    int64_t waiting, overdue, ack, ack_overdue, reply, reply_overdue, recused;
};

/* The page's memo @k, read again, into @due or @overdue. */
static int queue_item(struct api_env *env, struct api_req *req, const struct queue_key *k,
                      struct title_reads *reads, json_t *due, json_t *overdue)
{
    struct memo m;
    struct memo_clocks c;
    const struct clock *w;
    bool read = false;
    json_t *o, *title;
    int rc = store_memo_get(env->st, k->public_id, &m);

    if (rc == ERR_NOT_FOUND) /* deleted since the walk (records): no longer waiting */
        return 0;
    if (rc != 0)
        return rc;
    const struct channel *ch = NULL;
    if ((rc = api_channel_of(env, req, m.channel_id, &ch)) != 0 ||
        (rc = clocks_of_memo(&ch->calendar, &m, channel_day(ch, req->now), &c)) != 0 ||
        (w = clocks_waiting(&c)) == NULL) { /* answered since the walk */
        store_memo_release(&m);
        return rc;
    }
    title = listed_title(req, &m, &read, &rc);
    if (rc == 0 && read)
        rc = title_read(reads, m.id);
    if (rc != 0) {
        json_decref(title);
        store_memo_release(&m);
        return rc;
    }
    o = memo_summary(ch, &m, req->now, title);
    json_object_set_new(o, "next_action",
                        json_string(c.waits == CLOCK_ACK ? "acknowledge" : "reply"));
    json_object_set_new(o, "due", day_json(w->due));
    if ((rc = mark_recused(env, req, &m, o)) != 0)
        json_decref(o);
    else
        json_array_append_new(w->overdue ? overdue : due, o);
    store_memo_release(&m);
    return rc;
}

void api_deadlines(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const int states[] = {MEMO_FILED, MEMO_ACKNOWLEDGED};
    int64_t today = channel_today(req->now), limit = QUEUE_PAGE_DEFAULT;
    unsigned long refused = mem_failures();
    struct title_reads reads = {0};
    struct queue_counts n = {0};
    struct queue_key cursor, *heap = NULL;
    enum clocks_filter filter = CLOCKS_ANY;
    char lim[24], next[16], after[QUEUE_CURSOR_MAX + 2], deadline[16], cur[QUEUE_CURSOR_MAX + 1];
    size_t held = 0;
    int64_t matching = 0; /* memos the filters keep, on every page */
    bool has_cursor = false;
    int want_next = -1; /* -1 any, else CLOCK_ACK or CLOCK_REPLY */
    json_t *due = NULL, *overdue = NULL;
    int rc;

    rc = http_query_get(req->query, "limit", lim, sizeof(lim));
    /* 0: the counts alone, no memo (no title opened, none in the read audit) */
    if ((rc == 0 && str_parse_i64(lim, 0, MEMOS_PAGE_MAX, &limit) != 0) ||
        (rc != 0 && rc != ERR_NOT_FOUND)) {
        api_error_field(resp, "limit", "limit must be 0 to %d", MEMOS_PAGE_MAX);
        return;
    }
    rc = http_query_get(req->query, "next", next, sizeof(next));
    if (rc == 0 && strcmp(next, "acknowledge") == 0)
        want_next = CLOCK_ACK;
    else if (rc == 0 && strcmp(next, "reply") == 0)
        want_next = CLOCK_REPLY;
    else if (rc != ERR_NOT_FOUND) {
        api_error_field(resp, "next", "next must be acknowledge or reply");
        return;
    }
    rc = http_query_get(req->query, "deadline", deadline, sizeof(deadline));
    if ((rc == 0 && clocks_filter_parse(deadline, &filter) != 0) ||
        (rc != 0 && rc != ERR_NOT_FOUND)) {
        api_error_field(resp, "deadline", "deadline must be overdue, soon or waiting");
        return;
    }
    rc = http_query_get(req->query, "after", after, sizeof(after));
    if (rc == 0 && queue_cursor_parse(after, &cursor) == 0) {
        /* its memo for the tie-break: one the caller sees, else no cursor (as missing) */
        struct memo m;
        unsigned rel = 0;
        if (store_memo_get(env->st, cursor.public_id, &m) == 0) {
            rc = workflow_relation(env->st, &m, &req->user, &rel);
            cursor.id = m.id;
            store_memo_release(&m);
            if (rc != 0) {
                api_error_rc(resp, rc, NULL);
                return;
            }
        }
        if (rel == 0) {
            api_error_field(resp, "after", "after must be the next of the previous page");
            return;
        }
        has_cursor = true;
    } else if (rc != ERR_NOT_FOUND) {
        api_error_field(resp, "after", "after must be the next of the previous page");
        return;
    }
    /* one more than the page: whether another follows */
    if ((heap = mem_calloc((size_t)limit + 1, sizeof(*heap))) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    rc = 0;
    for (size_t s = 0; s < 2 && rc == 0; s++) {
        struct memo_filter f = {.user_id = req->user.id,
                                .all_from = MEMO_FILED,
                                .state = states[s],
                                .channels = req->user.channels ? req->user.channels : 1};
        for (;;) {
            struct memo *arr = NULL;
            size_t got = 0;
            f.limit = MEMOS_PAGE_MAX;
            if ((rc = store_memo_list(env->st, &f, &arr, &got)) != 0)
                break;
            for (size_t i = 0; i < got && rc == 0; i++) {
                const struct memo *m = &arr[i];
                const struct clock *w;
                struct memo_clocks c;
                struct queue_key k;
                unsigned rel = 0;

                const struct channel *ch = NULL;
                if ((rc = api_channel_of(env, req, m->channel_id, &ch)) != 0 ||
                    (rc = clocks_of_memo(&ch->calendar, m, channel_day(ch, req->now), &c)) != 0)
                    break;
                if ((w = clocks_waiting(&c)) == NULL)
                    continue;
                if ((rc = workflow_relation(env->st, m, &req->user, &rel)) != 0)
                    break;
                if (rel & WF_RECUSED) {
                    n.recused++;
                } else {
                    bool ack = c.waits == CLOCK_ACK;
                    n.waiting++;
                    n.overdue += w->overdue;
                    n.ack += ack;
                    n.ack_overdue += ack && w->overdue;
                    n.reply += !ack;
                    n.reply_overdue += !ack && w->overdue;
                }
                if ((want_next >= 0 && (int)c.waits != want_next) ||
                    !clocks_filter_match(&c, filter))
                    continue;
                matching++;
                queue_key_of(m, w, &k);
                if (!has_cursor || queue_cmp(&k, &cursor) > 0)
                    queue_offer(heap, &held, (size_t)limit + 1, &k);
            }
            if (got > 0)
                f.after = arr[got - 1].id;
            store_memo_list_free(arr, got);
            /* an error ends the walk: the next batch's read would clear it and answer 200 with
             * the rest of this batch missing */
            if (rc != 0 || got < (size_t)f.limit)
                break;
        }
    }
    if (rc == 0) {
        due = json_array();
        overdue = json_array();
        qsort(heap, held, sizeof(*heap), queue_cmp_q);
        if (limit > 0 && held > (size_t)limit)
            queue_cursor(&heap[limit - 1], cur);
        for (size_t i = 0; i < held && i < (size_t)limit && rc == 0; i++)
            rc = queue_item(env, req, &heap[i], &reads, due, overdue);
    }
    if (rc == 0 && (due == NULL || overdue == NULL || mem_failures() != refused))
        rc = ERR_NOMEM;
    if (rc == 0)
        rc = audit_titles(env, req, &reads);
    mem_free(reads.ids);
    if (rc != 0) {
        mem_free(heap);
        json_decref(due);
        json_decref(overdue);
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:o, s:o, s:o, s:o, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "today",
                     day_json(today), "due", due, "overdue", overdue, "next",
                     limit > 0 && held > (size_t)limit ? json_string(cur) : json_null(), "total",
                     (json_int_t)matching, "counts", "waiting", (json_int_t)n.waiting, "overdue",
                     (json_int_t)n.overdue, "acknowledge", (json_int_t)n.ack, "acknowledge_overdue",
                     (json_int_t)n.ack_overdue, "reply", (json_int_t)n.reply, "reply_overdue",
                     (json_int_t)n.reply_overdue, "recused", (json_int_t)n.recused));
    mem_free(heap);
}
