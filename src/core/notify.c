/*
 * notify.c - the outbox rows of a memo's life cycle (core/notify.h): recipients, fixed templates,
 * dedupe keys, and the scan for reminders and escalations.
 */
#include "core/notify.h"

#include "core/channels.h"
#include "core/clocks.h"
#include "core/memo.h"
#include "core/user.h"
#include "core/workflow.h"
#include "core/workdays.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>

#define USERS_PAGE 100

static const char *const kind_names[] = {
    "filed",     "reminder",    "escalation", "acknowledged", "extended", "replied",  "closed",
    "invited",   "distributed", "comment",    "signature",    "voided",   "progress", "declined",
    "withdrawn", "late",        "assigned",   "interim",      "response", "review"};

/*
 * The fixed text of each kind. Officers' kinds (filed, reminder, escalation) name the memo's
 * public id and deadline: that a memo was filed and when it is due is public (the transparency
 * log). Every other kind goes to a person whose relation to a memo is confidential (its drafter,
 * an invited co-signer, a principal): those emails are neutral, the same text for every event
 * and without the memo's id, so that the mail system learns nothing but "a notification".
 */
struct tmpl {
    const char *subject; /* a format naming the memo's public id (%s), or NULL for neutral ones */
    const char *what;    /* the first paragraph */
};

/* Each message is written in its recipient's language (util/msg.h: M_() marks it for the
 * catalogs); the memo's id, the days and the links are the same in every language. */
static const struct tmpl templates[] = {
    {M_("Dissent: memo %s was filed"), M_("A dissent memo was filed and awaits acknowledgement.")},
    {M_("Dissent: reminder, memo %s is due soon"),
     M_("A deadline on a dissent memo is one working day away or today.")},
    {M_("Dissent: memo %s is overdue"), M_("A deadline on a dissent memo has passed.")},
    {M_("Dissent: your memo %s was acknowledged"), M_("Your dissent memo was acknowledged.")},
    {M_("Dissent: the reply to your memo %s was extended"),
     M_("The deadline for the reply to your dissent memo was extended.")},
    {M_("Dissent: your memo %s has a reply"), M_("Your dissent memo was answered.")},
    {M_("Dissent: your memo %s was closed"), M_("Your dissent memo was closed.")},
    {M_("Dissent: you are invited to co-sign memo %s"),
     M_("You were invited to co-sign a dissent memo.")},
    {M_("Dissent: memo %s was distributed to you"), M_("A dissent memo was distributed to you.")},
    {NULL, "A comment was posted."},
    {NULL, "A co-signer signed, declined or withdrew."},
    {NULL, "A signature of yours was voided."},
    {NULL, "A memo you signed moved on."},
    {NULL, "Your memo was declined."},
    {M_("Dissent: memo %s was withdrawn"),
     M_("A dissent memo was withdrawn by its drafter: nothing more is due on it.")},
    {NULL, "The channel is late on your memo."},
    {M_("Dissent: memo %s was assigned to you"),
     M_("A dissent memo was assigned to you to handle.")},
    {NULL, "Your memo has an interim answer."},
    {M_("Dissent: the drafter of memo %s answered the reply"),
     M_("The drafter of a dissent memo accepted the reply, or asked for clarification.")},
    {M_("Dissent: the reply to memo %s needs you"),
     M_("A reply to a dissent memo awaits your clearance or approval, or was returned to you.")},
};
_Static_assert(sizeof(templates) / sizeof(templates[0]) ==
                   sizeof(kind_names) / sizeof(kind_names[0]),
               "a template for every kind");

#define NEUTRAL_SUBJECT M_("Dissent: you have a new notification")
#define NEUTRAL_KIND "notification" /* the outbox row's kind for a neutral email */
#define NOTIFY_OFFICERS                                                                            \
    (NOTIFY_FILED | NOTIFY_REMINDER | NOTIFY_ESCALATION | NOTIFY_WITHDRAWN | NOTIFY_ASSIGNED |     \
     NOTIFY_RESPONSE | NOTIFY_REVIEW)

/* The index of one NOTIFY_* bit, or -1. */
static int kind_index(unsigned kind)
{
    for (int i = 0; i < (int)(sizeof(kind_names) / sizeof(kind_names[0])); i++)
        if (kind == (1u << i))
            return i;
    return -1;
}

const char *notify_kind_name(unsigned kind)
{
    int i = kind_index(kind);

    return i < 0 ? NULL : kind_names[i];
}

unsigned notify_kind_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
        if (strcmp(name, kind_names[i]) == 0)
            return 1u << i;
    return 0;
}

unsigned notify_kinds_for(unsigned roles)
{
    unsigned k = 0;

    if (roles & ROLE_OFFICER)
        k |= NOTIFY_FILED | NOTIFY_REMINDER | NOTIFY_ESCALATION | NOTIFY_WITHDRAWN |
             NOTIFY_COMMENT | NOTIFY_ASSIGNED | NOTIFY_RESPONSE | NOTIFY_REVIEW;
    if (roles & ROLE_STAFF)
        k |= NOTIFY_ACKNOWLEDGED | NOTIFY_EXTENDED | NOTIFY_REPLIED | NOTIFY_CLOSED |
             NOTIFY_INVITED | NOTIFY_COMMENT | NOTIFY_SIGNATURE | NOTIFY_VOIDED | NOTIFY_PROGRESS |
             NOTIFY_DECLINED | NOTIFY_LATE | NOTIFY_INTERIM;
    if (roles & ROLE_PRINCIPAL)
        k |= NOTIFY_DISTRIBUTED | NOTIFY_COMMENT | NOTIFY_ESCALATION;
    return k;
}

/* What one email is about: its kind, memo, and the deadline it names (label and day). */
struct notice {
    unsigned kind;
    const struct memo *m;
    const char *which; /* "ack" or "reply" for deadlines; part of the dedupe key */
    const char *label; /* "Acknowledge by: %s" (the day), ...; NULL: no deadline line */
    int64_t day;       /* the deadline, or STORE_DAY_NONE */
    int64_t actor_id;  /* not told of their own action */
};

/*
 * The outbox row's dedupe key, which makes each email of an event go out once: the kind, memo,
 * deadline, day and recipient, MACed with a key derived from the channel's signing key (kept in
 * the data directory, not the database), so that the row tells a database reader nothing of
 * which event or memo it is about.
 */
static void mac_hex(const struct channel *ch, const char *plain, size_t len,
                    char out[2 * HASH_KEYED_LEN + 1])
{
    uint8_t key[HASH_KEY_LEN], mac[HASH_KEYED_LEN];

    hash_keyed(key, "dissent outbox dedupe key v1", 28, ch->key->sk);
    hash_keyed(mac, plain, len, key);
    for (size_t i = 0; i < sizeof(mac); i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    wipe(key, sizeof(key));
}

/* [mail] base_url without its trailing slashes. */
static void base_url(const struct channel *ch, char *out, size_t outlen)
{
    size_t len;

    str_copy(out, outlen, ch->cfg->mail_base_url);
    len = strlen(out);
    while (len > 0 && out[len - 1] == '/')
        out[--len] = '\0';
}

static int dedupe_key(const struct channel *ch, const struct notice *n, const char *day,
                      int64_t user_id, char *out, size_t outlen)
{
    char plain[STORE_OUTBOX_KEY_MAX + 64];
    int len;

    if (ch->key == NULL || outlen < 2 * HASH_KEYED_LEN + 1)
        return ERR_INTERNAL;
    len = snprintf(plain, sizeof(plain), "dissent outbox v1/%s/%s/%s/%s/%s%lld",
                   notify_kind_name(n->kind), n->m->public_id, n->which ? n->which : "-",
                   day[0] ? day : "-", user_id > 0 ? "u" : "escalation", (long long)user_id);
    if (len < 0 || (size_t)len >= sizeof(plain))
        return ERR_INTERNAL;
    mac_hex(ch, plain, (size_t)len, out);
    return 0;
}

/* Add @it (its kind and dedupe key set) to the outbox, due now; an address too long for the row
 * is skipped (it cannot have passed the email rules). */
static int queue(struct store *st, struct outbox_item *it, int64_t user_id, const char *rcpt,
                 char *subject, char *body, int64_t now)
{
    it->user_id = user_id;
    if (str_copy(it->rcpt, sizeof(it->rcpt), rcpt) != 0)
        return 0;
    it->subject = subject;
    it->body = body;
    if (it->next_at < now)
        it->next_at = now;
    it->created_at = now;
    return store_outbox_add(st, it);
}

/* The language of emails to @u (NULL: the escalation address): the account's choice (read with
 * it), else [mail] language. */
static void language_of(const struct config *cfg, const struct user *u, char *out, size_t len)
{
    if (u != NULL && msg_known(u->language))
        str_copy(out, len, u->language);
    else
        str_copy(out, len, cfg->mail_language);
}

/* @fmt (a table's message: one "%s", or "%1$s", and "%%") with @arg in its place, into @out. */
static void fill(char *out, size_t len, const char *fmt, const char *arg)
{
    size_t k = 0;

    for (const char *p = fmt; *p != '\0' && k + 1 < len; p++) {
        const char *put = NULL;
        if (p[0] == '%' && p[1] == '%') {
            put = "%";
            p += 1;
        } else if (p[0] == '%' && p[1] == 's') {
            put = arg;
            p += 1;
        } else if (strncmp(p, "%1$s", 4) == 0) {
            put = arg;
            p += 3;
        }
        if (put == NULL) {
            out[k++] = *p;
            continue;
        }
        for (; *put != '\0' && k + 1 < len; put++)
            out[k++] = *put;
    }
    out[k] = '\0';
}

#define OPTIONAL_LINE M_("Optional notifications can be turned off in the web interface (Account).")

/* Queue @n for @u (NULL: the configured escalation address @rcpt). */
static int enqueue(struct store *st, const struct channel *ch, const struct notice *n,
                   const struct user *u, const char *rcpt, int64_t now)
{
    const struct config *cfg = ch->cfg;
    const struct tmpl *t = &templates[kind_index(n->kind)];
    char subject[STORE_OUTBOX_SUBJECT_MAX + 1], body[STORE_OUTBOX_BODY_MAX], day[32] = "";
    char deadline[160] = "", memo[96], open[sizeof(cfg->mail_base_url) + 96], lang[8];
    char base[sizeof(cfg->mail_base_url)];
    struct outbox_item it;
    int64_t user_id = u != NULL ? u->id : 0;

    memset(&it, 0, sizeof(it));
    base_url(ch, base, sizeof(base));
    language_of(cfg, u, lang, sizeof(lang));
    if (n->day != STORE_DAY_NONE && workdays_day_format(n->day, day, sizeof(day)) != 0)
        return ERR_INVALID;
    if (n->label != NULL && day[0] != '\0')
        fill(deadline, sizeof(deadline), msg_in(lang, n->label), day);
    if ((n->kind & NOTIFY_OFFICERS) && t->subject != NULL) {
        fill(subject, sizeof(subject), msg_in(lang, t->subject), n->m->public_id);
        snprintf(memo, sizeof(memo), msg_in(lang, "Memo: %s"), n->m->public_id);
        snprintf(open, sizeof(open), msg_in(lang, "Open it: %s/#/memo/%s"), base, n->m->public_id);
        snprintf(body, sizeof(body), "%s\r\n\r\n%s\r\n%s%s%s\r\n\r\n%s\r\n%s\r\n",
                 msg_in(lang, t->what), memo, deadline, deadline[0] ? "\r\n" : "", open,
                 msg_in(lang, "This message never carries a memo's title, text or names: sign in "
                              "to read them."),
                 msg_in(lang, OPTIONAL_LINE));
        str_copy(it.kind, sizeof(it.kind), notify_kind_name(n->kind));
    } else {
        snprintf(subject, sizeof(subject), "%s", msg_in(lang, NEUTRAL_SUBJECT));
        snprintf(open, sizeof(open),
                 msg_in(lang, "Something in Dissent concerns you. Sign in to see what: %s/"), base);
        snprintf(body, sizeof(body), "%s\r\n\r\n%s\r\n%s\r\n", open,
                 msg_in(lang, "This message says nothing more on purpose: who is written to, and "
                              "why, is confidential."),
                 msg_in(lang, OPTIONAL_LINE));
        str_copy(it.kind, sizeof(it.kind), NEUTRAL_KIND);
    }
    if (dedupe_key(ch, n, day, user_id, it.dedupe, sizeof(it.dedupe)) != 0)
        return ERR_INTERNAL;
    /* a neutral email leaves at a random moment within [mail] neutral_delay: sent beside the
     * officers' email that names the memo, its time would tie its reader to that memo */
    if (!(n->kind & NOTIFY_OFFICERS) && cfg->mail_neutral_delay > 0) {
        uint32_t r = 0;
        random_bytes(&r, sizeof(r));
        it.next_at = now + 1 + (int64_t)(r % (uint32_t)cfg->mail_neutral_delay);
    }
    return queue(st, &it, user_id, rcpt, subject, body, now);
}

/* Queue @n for @u, unless they are its actor, cannot be written to, or turned it off. */
static int to_user(struct store *st, const struct channel *ch, const struct notice *n,
                   const struct user *u, int64_t now)
{
    unsigned off = 0;
    int rc;

    if (u->id == n->actor_id || u->disabled || !str_email_valid(u->email))
        return 0;
    /* the officers' emails go to the officers of the memo's channel (an assignee who has left
     * it included: core/channels.h) */
    if ((n->kind & NOTIFY_OFFICERS) && n->m != NULL && !channels_has(u->channels, n->m->channel_id))
        return 0;
    /* an account reset since the memo was made is no longer part of it (core/reset.h): whoever
     * enrolled in its place hears nothing of it, as they see nothing of it */
    if (n->m != NULL && (u->flags & STORE_USER_RESET) && n->m->id <= u->reset_memo)
        return 0;
    if ((n->kind & NOTIFY_OPTIONAL) != 0) {
        if ((rc = store_notify_prefs_get(st, u->id, &off)) != 0)
            return rc;
        if (off & n->kind)
            return 0;
    }
    return enqueue(st, ch, n, u, u->email, now);
}

/* Queue @n for every active officer. */
static int to_officers(struct store *st, const struct channel *ch, const struct notice *n,
                       int64_t now)
{
    char after[USERNAME_MAX + 1] = "";
    struct user *us = NULL;
    size_t count = 0;
    int rc;

    do {
        if ((rc = store_user_list(st, after, USERS_PAGE, &us, &count)) != 0)
            return rc;
        for (size_t i = 0; i < count && rc == 0; i++) {
            /* the officers of the memo's channel (core/channels.h) */
            if (!(us[i].roles & ROLE_OFFICER) ||
                (n->m != NULL && !channels_has(us[i].channels, n->m->channel_id)))
                continue;
            /* a comment goes to the officers who can read the thread: not recused, holding the
             * channel key */
            if (n->kind == NOTIFY_COMMENT) {
                uint8_t sealed[STORE_SEALED_LEN];
                unsigned rel = 0;
                if ((rc = workflow_relation(st, n->m, &us[i], &rel)) != 0)
                    break;
                if (!(rel & WF_OFFICER))
                    continue;
                rc = store_channel_grant_get(st, n->m->channel_id, us[i].id, sealed);
                wipe(sealed, sizeof(sealed));
                if (rc == ERR_NOT_FOUND) {
                    rc = 0;
                    continue;
                }
                if (rc != 0)
                    break;
            }
            rc = to_user(st, ch, n, &us[i], now);
        }
        if (count > 0)
            str_copy(after, sizeof(after), us[count - 1].username);
        mem_free(us);
        us = NULL;
    } while (rc == 0 && count == USERS_PAGE);
    return rc;
}

static bool enabled(const struct channel *ch)
{
    return ch != NULL && ch->cfg != NULL && ch->cfg->mail_enabled;
}

int notify_reset(struct store *st, const struct channel *ch, const struct user *u, int64_t now)
{
    char subject[STORE_OUTBOX_SUBJECT_MAX + 1], body[STORE_OUTBOX_BODY_MAX];
    char plain[96], base[sizeof(ch->cfg->mail_base_url)], lang[8];
    char enrol[sizeof(ch->cfg->mail_base_url) + 160];
    struct outbox_item it;
    int len;

    if (!enabled(ch) || u->disabled || !str_email_valid(u->email))
        return 0;
    if (ch->key == NULL)
        return ERR_INTERNAL;
    memset(&it, 0, sizeof(it));
    base_url(ch, base, sizeof(base));
    language_of(ch->cfg, u, lang, sizeof(lang));
    snprintf(enrol, sizeof(enrol),
             msg_in(lang, "To get in again, ask the administrator for a new enrolment code and "
                          "enrol with it: %s/#/enrol"),
             base);
    snprintf(subject, sizeof(subject), "%s", msg_in(lang, "Dissent: your account was reset"));
    snprintf(body, sizeof(body), "%s\r\n\r\n%s\r\n%s\r\n\r\n%s\r\n",
             msg_in(lang, "An administrator reset your Dissent account. Your password, your keys "
                          "and your sessions no longer work."),
             enrol,
             msg_in(lang, "What was shared with you is shared again once officers of the channel "
                          "have confirmed that the account is yours."),
             msg_in(lang, "If you did not ask for this, tell an officer of the channel at once: "
                          "someone may be trying to enrol in your place."));
    len = snprintf(plain, sizeof(plain), "dissent outbox v1/reset/u%lld/%lld", (long long)u->id,
                   (long long)now);
    if (len < 0 || (size_t)len >= sizeof(plain))
        return ERR_INTERNAL;
    mac_hex(ch, plain, (size_t)len, it.dedupe);
    str_copy(it.kind, sizeof(it.kind), "account");
    return queue(st, &it, u->id, u->email, subject, body, now);
}

/* Queue @n for the account @id, when there is one. */
static int to_id(struct store *st, const struct channel *ch, const struct notice *n, int64_t id,
                 int64_t now)
{
    struct user u;
    int rc;

    memset(&u, 0, sizeof(u));
    rc = store_user_get_by_id(st, id, &u);

    if (rc == 0)
        rc = to_user(st, ch, n, &u, now);
    wipe(u.pwhash, sizeof(u.pwhash));
    /* one recipient's row that does not check out costs that email, not the change it tells
     * of (store.c logged it) */
    if (rc == ERR_INTEGRITY)
        log_error("notify: account %lld is not written to: its row does not check out",
                  (long long)id);
    return rc == ERR_NOT_FOUND || rc == ERR_INTEGRITY ? 0 : rc;
}

/* Queue a @kind notice of @m, about @event, for each co-signer holding a valid signature (the
 * drafter aside). */
static int to_cosigners(struct store *st, const struct channel *ch, const struct memo *m,
                        unsigned kind, const char *event, int64_t actor_id, int64_t now)
{
    struct notice n = {
        .kind = kind, .m = m, .which = event, .day = STORE_DAY_NONE, .actor_id = actor_id};
    struct signature *sigs = NULL;
    size_t count = 0;
    int rc = store_signature_list(st, m, false, &sigs, &count);

    for (size_t i = 0; i < count && rc == 0; i++)
        if (sigs[i].user_id != m->drafter_id)
            rc = to_id(st, ch, &n, sigs[i].user_id, now);
    store_signature_list_free(sigs, count);
    return rc;
}

/* "@event/@actor@now": a dedupe key's part for an event that may happen again on the same memo
 * (a comment, a signature): one email per event, actor, second and recipient at most. */
static void each_time(char *out, size_t size, const char *event, int64_t actor, int64_t now)
{
    snprintf(out, size, "%s/%lld@%lld", event, (long long)actor, (long long)now);
}

/* Queue a @kind notice of @m about @event by @actor_id, for @u, or the account @id when @u is
 * NULL. */
static int tell(struct store *st, const struct channel *ch, const struct memo *m, unsigned kind,
                const char *event, int64_t actor_id, const struct user *u, int64_t id, int64_t now)
{
    char which[80];
    struct notice n = {
        .kind = kind, .m = m, .which = which, .day = STORE_DAY_NONE, .actor_id = actor_id};

    if (!enabled(ch))
        return 0;
    each_time(which, sizeof(which), event, actor_id, now);
    return u != NULL ? to_user(st, ch, &n, u, now) : to_id(st, ch, &n, id, now);
}

int notify_signature(struct store *st, const struct channel *ch, const struct memo *m,
                     int64_t actor_id, int64_t now)
{
    return tell(st, ch, m, NOTIFY_SIGNATURE, "signature", actor_id, NULL, m->drafter_id, now);
}

int notify_assigned(struct store *st, const struct channel *ch, const struct memo *m,
                    const struct user *u, int64_t actor_id, int64_t now)
{
    return tell(st, ch, m, NOTIFY_ASSIGNED, "assigned", actor_id, u, 0, now);
}

int notify_review(struct store *st, const struct channel *ch, const struct memo *m,
                  const struct user *u, int64_t actor_id, int64_t now)
{
    return tell(st, ch, m, NOTIFY_REVIEW, "review", actor_id, u, 0, now);
}

int notify_comment(struct store *st, const struct channel *ch, const struct memo *m,
                   int64_t actor_id, int64_t now)
{
    char which[80];
    struct notice n = {.kind = NOTIFY_COMMENT,
                       .m = m,
                       .which = which,
                       .day = STORE_DAY_NONE,
                       .actor_id = actor_id};
    struct memo_member *mem = NULL;
    size_t count = 0;
    int rc;

    if (!enabled(ch))
        return 0;
    each_time(which, sizeof(which), "comment", actor_id, now);
    if ((rc = to_id(st, ch, &n, m->drafter_id, now)) != 0)
        return rc;
    /* invited co-signers who have not declined, and principals it was distributed to */
    if ((rc = store_member_list(st, m, STORE_REL_INVITED | STORE_REL_DISTRIBUTED, &mem, &count)) !=
        0)
        return rc;
    for (size_t i = 0; i < count && rc == 0; i++) {
        unsigned rel = mem[i].relation;
        /* a co-signer who declined or withdrew left the memo */
        if (mem[i].user_id == m->drafter_id ||
            ((rel & STORE_REL_DECLINED) && !(rel & STORE_REL_DISTRIBUTED)))
            continue;
        rc = to_id(st, ch, &n, mem[i].user_id, now);
    }
    mem_free(mem);
    if (rc == 0 && m->state >= MEMO_FILED)
        rc = to_officers(st, ch, &n, now);
    return rc;
}

int notify_event(struct store *st, const struct channel *ch, const struct memo *m,
                 const char *event, int64_t actor_id, int64_t now)
{
    struct notice n = {.m = m, .day = STORE_DAY_NONE, .actor_id = actor_id};
    struct user drafter;
    char again[80];
    int rc;

    if (!enabled(ch))
        return 0;
    /* a reply and a clarification may come again on the same memo (the drafter's turn): each
     * is its own email */
    if (strcmp(event, "replied") == 0 || strcmp(event, "clarification") == 0) {
        each_time(again, sizeof(again), event, actor_id, now);
        n.which = again;
    }
    if (strcmp(event, "filed") == 0) {
        n.kind = NOTIFY_FILED;
        n.label = M_("Acknowledge by: %s");
        n.day = m->ack_due;
        if ((rc = to_officers(st, ch, &n, now)) != 0)
            return rc;
        return to_cosigners(st, ch, m, NOTIFY_PROGRESS, event, actor_id, now);
    }
    if (strcmp(event, "accepted") == 0 || strcmp(event, "clarification") == 0) {
        n.kind = NOTIFY_RESPONSE;
        if (event[0] == 'c') {
            n.label = M_("Reply due by: %s");
            n.day = m->reply_due;
        }
        if ((rc = to_officers(st, ch, &n, now)) != 0)
            return rc;
        return to_cosigners(st, ch, m, NOTIFY_PROGRESS, n.which ? n.which : event, actor_id, now);
    }
    if (strcmp(event, "withdrawn") == 0) {
        n.kind = NOTIFY_WITHDRAWN;
        if ((rc = to_officers(st, ch, &n, now)) != 0)
            return rc;
        return to_cosigners(st, ch, m, NOTIFY_PROGRESS, event, actor_id, now);
    }
    if (strcmp(event, "reopened") == 0) {
        char which[80];
        each_time(which, sizeof(which), "voided", actor_id, now);
        return to_cosigners(st, ch, m, NOTIFY_VOIDED, which, actor_id, now);
    }
    if (strcmp(event, "invitation_declined") == 0)
        return notify_signature(st, ch, m, actor_id, now);
    /* an addendum to a memo they signed: its co-signers hear of it, neutrally */
    if (strcmp(event, "addendum") == 0) {
        each_time(again, sizeof(again), event, actor_id, now);
        return to_cosigners(st, ch, m, NOTIFY_PROGRESS, again, actor_id, now);
    }
    if (strcmp(event, "replied") == 0 || strcmp(event, "closed") == 0 ||
        strcmp(event, "declined") == 0) {
        if ((rc = to_cosigners(st, ch, m, NOTIFY_PROGRESS, n.which ? n.which : event, actor_id,
                               now)) != 0)
            return rc;
    }
    if (strcmp(event, "acknowledged") == 0) {
        n.kind = NOTIFY_ACKNOWLEDGED;
        n.label = M_("Reply due by: %s");
        n.day = m->reply_due;
    } else if (strcmp(event, "extended") == 0) {
        n.kind = NOTIFY_EXTENDED;
        n.label = M_("New reply date: %s");
        n.day = m->reply_due;
    } else if (strcmp(event, "replied") == 0) {
        n.kind = NOTIFY_REPLIED;
    } else if (strcmp(event, "closed") == 0) {
        n.kind = NOTIFY_CLOSED;
    } else if (strcmp(event, "declined") == 0) {
        n.kind = NOTIFY_DECLINED;
    } else if (strcmp(event, "interim") == 0) {
        n.kind = NOTIFY_INTERIM;
    } else {
        return 0;
    }
    if ((rc = store_user_get_by_id(st, m->drafter_id, &drafter)) != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    return to_user(st, ch, &n, &drafter, now);
}

int notify_member(struct store *st, const struct channel *ch, const struct memo *m,
                  const struct user *u, unsigned kind, int64_t now)
{
    struct notice n = {.kind = kind, .m = m, .day = STORE_DAY_NONE};

    if (!enabled(ch))
        return 0;
    if (kind == NOTIFY_DISTRIBUTED && m->reply_due != STORE_DAY_NONE &&
        m->state == MEMO_ACKNOWLEDGED) {
        n.label = M_("Reply due by: %s");
        n.day = m->reply_due;
    }
    return to_user(st, ch, &n, u, now);
}

/* Queue @n for each of the [channel] principals. */
static int to_principals(struct store *st, const struct channel *ch, const struct notice *n,
                         int64_t now)
{
    int rc = 0;

    for (size_t i = 0; i < ch->nprincipals && rc == 0; i++) {
        struct user u;
        memset(&u, 0, sizeof(u));
        rc = store_user_get_by_name(st, ch->principals[i], &u);
        if (rc == 0 && (u.roles & ROLE_PRINCIPAL) &&
            (n->m == NULL || channels_has(u.channels, n->m->channel_id)))
            rc = to_user(st, ch, n, &u, now);
        wipe(u.pwhash, sizeof(u.pwhash));
        if (rc == ERR_NOT_FOUND || rc == ERR_INTEGRITY)
            rc = 0;
    }
    return rc;
}

/* The round of a rung that started @since working days ago: 0, then one more every [mail]
 * escalation_repeat working days (always 0 when that is 0). */
static int64_t round_of(const struct config *cfg, int64_t since)
{
    return cfg->mail_escalation_repeat > 0 ? since / cfg->mail_escalation_repeat : 0;
}

/* Rungs 2 and 3 of the ladder (notify_deadlines()) for deadline @due of @m, @late working days
 * after it (the days after a deadline up to the first working day count as 0). */
static int escalate(struct store *st, const struct channel *ch, const struct memo *m, bool ack,
                    int64_t due, int64_t late, int64_t now)
{
    const struct config *cfg = ch->cfg;
    char which[48];
    struct notice n = {.kind = NOTIFY_ESCALATION, .m = m, .which = which, .day = due};
    int64_t since = late > 0 ? late - 1 : 0;
    int rc;

    n.label = ack ? M_("Acknowledgement was due: %s") : M_("Reply was due: %s");
    snprintf(which, sizeof(which), "%s/r%lld", ack ? "ack" : "reply",
             (long long)round_of(cfg, since));
    if ((rc = to_officers(st, ch, &n, now)) != 0)
        return rc;
    if (cfg->mail_escalation[0] != '\0' &&
        (rc = enqueue(st, ch, &n, NULL, cfg->mail_escalation, now)) != 0)
        return rc;
    /* the drafter learns that the channel is late: neutral, like every email to them */
    n.kind = NOTIFY_LATE;
    n.label = NULL;
    if ((rc = to_id(st, ch, &n, m->drafter_id, now)) != 0)
        return rc;
    if (cfg->mail_escalate_principals <= 0 || since < cfg->mail_escalate_principals)
        return 0;
    n.kind = NOTIFY_ESCALATION;
    n.label = ack ? M_("Acknowledgement was due: %s") : M_("Reply was due: %s");
    snprintf(which, sizeof(which), "%s/p%lld", ack ? "ack" : "reply",
             (long long)round_of(cfg, since - cfg->mail_escalate_principals));
    return to_principals(st, ch, &n, now);
}

/* The reminder or escalation that deadline @due (@which) of @m calls for today, if any. */
static int check_deadline(struct store *st, const struct channel *ch, const struct memo *m,
                          const char *which, int64_t due, int64_t now)
{
    bool ack = strcmp(which, "ack") == 0;
    struct notice n = {.m = m, .which = which, .day = due};
    int64_t today = channel_day(ch, now), before = 0, late = 0;

    /* a deadline a running clock stop pauses is neither reminded of nor escalated */
    if (due == STORE_DAY_NONE || clocks_paused(&ch->calendar, due, today))
        return 0;
    if (today > due) {
        if (workdays_calendar_count(&ch->calendar, due, today, &late) != 0)
            return ERR_INVALID;
        return escalate(st, ch, m, ack, due, late, now);
    }
    if (workdays_calendar_add(&ch->calendar, due, -1, &before) != 0 || today < before)
        return 0;
    n.kind = NOTIFY_REMINDER;
    n.label = ack ? M_("Acknowledge by: %s") : M_("Reply by: %s");
    /* the ladder's first rung: the officer assigned to the memo, else every officer */
    {
        struct memo_member *a = NULL;
        size_t na = 0;
        int rc = store_member_list(st, m, STORE_REL_ASSIGNED, &a, &na);
        if (rc == 0)
            rc = na > 0 ? to_id(st, ch, &n, a[0].user_id, now) : to_officers(st, ch, &n, now);
        mem_free(a);
        return rc;
    }
}

/* notify_deadlines()'s work on one waiting memo. */
struct deadline_pass {
    struct store *st;
    const struct channel *ch; /* the deployment's */
    int64_t now;
    const struct channel *chs[CHANNELS_MAX + 1]; /* each channel's rules, read once a pass */
};

static int deadline_one(void *arg, const struct memo *m)
{
    struct deadline_pass *p = arg;
    int64_t id = m->channel_id >= 1 && m->channel_id <= CHANNELS_MAX ? m->channel_id : 1;
    int rc;

    /* by the rules of the memo's channel: its calendar, its principals */
    if (p->chs[id] == NULL && (rc = channel_of(p->ch, p->st, id, &p->chs[id])) != 0)
        return rc;
    return m->state == MEMO_FILED
               ? check_deadline(p->st, p->chs[id], m, "ack", m->ack_due, p->now)
               : check_deadline(p->st, p->chs[id], m, "reply", m->reply_due, p->now);
}

int notify_deadlines(struct store *st, const struct channel *ch, int64_t now)
{
    struct deadline_pass p = {.st = st, .ch = ch, .now = now};

    if (!enabled(ch))
        return 0;
    return workflow_each_waiting(st, deadline_one, &p);
}
