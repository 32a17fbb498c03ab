/*
 * records.c - retention, legal holds and crypto-shredding (records.h).
 */
#include "core/records.h"

#include "core/audit.h"
#include "core/channel.h"
#include "core/ledger.h"
#include "core/runner.h"
#include "core/memo.h"
#include "core/user.h"
#include "core/trust.h"
#include "core/workdays.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static _Atomic bool stopping; /* records_stop(): a sweep in progress ends after its batch */

/* The days @state is kept, 0 for ever: -1 when it is no state the schedule keeps. */
static int64_t retention(const struct config *cfg, int state)
{
    switch (state) {
    case MEMO_CLOSED:
        return cfg->retain_closed;
    case MEMO_DECLINED:
        return cfg->retain_declined;
    case MEMO_WITHDRAWN:
        return cfg->retain_withdrawn;
    case MEMO_DRAFT:
    case MEMO_OPEN:
        return cfg->retain_drafts;
    default:
        return -1;
    }
}

bool records_hold_covers(const struct store_hold *h, const char *id, int64_t created, int64_t filed)
{
    if (h->tampered)
        return true; /* a row changed outside Dissent holds everything it might */
    if (h->lifted_at != 0)
        return false;
    if (h->memo[0] != '\0')
        return strcmp(h->memo, id) == 0;
    /* a memo created in the range stays held once filed later, and one filed in it too */
    return (created >= h->from_day && created <= h->to_day) ||
           (filed >= 0 && filed >= h->from_day && filed <= h->to_day);
}

/* The days a hold by range looks at, for @m. */
static void memo_days(const struct memo *m, int64_t *created, int64_t *filed)
{
    *created = channel_today(m->created_at);
    *filed = m->state >= MEMO_FILED && m->filed_day != STORE_DAY_NONE ? m->filed_day : -1;
}

static void item_of(const struct config *cfg, const struct memo *m, const struct store_hold *holds,
                    size_t nholds, struct records_item *it)
{
    int64_t keep = retention(cfg, m->state);

    memset(it, 0, sizeof(*it));
    memcpy(it->id, m->public_id, sizeof(it->id));
    it->internal = m->id;
    it->state = m->state;
    it->tampered = m->tampered;
    memo_days(m, &it->created, &it->filed);
    it->day = it->filed >= 0 ? it->filed : it->created;
    it->final = it->due = -1;
    if (keep >= 0) {
        it->final = m->state == MEMO_CLOSED && m->closed_day != STORE_DAY_NONE
                        ? m->closed_day
                        : channel_today(m->updated_at);
        if (keep > 0)
            it->due = it->final + keep;
    }
    /* a memo the log saw filed, whose row says draft (a row rolled back): never abandoned */
    if ((m->state == MEMO_DRAFT || m->state == MEMO_OPEN) && (m->has_log || m->log_index >= 0))
        it->due = -1;
    for (size_t i = 0; i < nholds; i++)
        if (records_hold_covers(&holds[i], it->id, it->created, it->filed))
            it->held = true;
}

static int item_cmp(const void *a, const void *b)
{
    const struct records_item *x = a, *y = b;
    int64_t dx = x->due < 0 ? INT64_MAX : x->due, dy = y->due < 0 ? INT64_MAX : y->due;

    if (dx != dy)
        return dx < dy ? -1 : 1;
    return x->internal < y->internal ? -1 : x->internal > y->internal;
}

/* Every memo as an item, with @holds applied. */
static int items_load(struct store *st, const struct config *cfg, const struct store_hold *holds,
                      size_t nholds, struct records_item **out, size_t *count)
{
    struct records_item *all = NULL;
    struct memo *page = NULL;
    size_t n = 0, cap = 0, k = 0;
    int64_t after = 0;
    int rc;

    *out = NULL;
    *count = 0;
    do {
        if ((rc = store_memo_page(st, after, 200, &page, &k)) != 0)
            break;
        for (size_t i = 0; i < k && rc == 0; i++) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 256;
                void *p = mem_realloc(all, nc * sizeof(*all));
                if (p == NULL) {
                    rc = ERR_NOMEM;
                    break;
                }
                all = p;
                cap = nc;
            }
            item_of(cfg, &page[i], holds, nholds, &all[n++]);
        }
        if (k > 0)
            after = page[k - 1].id;
        store_memo_list_free(page, k);
        page = NULL;
    } while (rc == 0 && k == 200);
    if (rc != 0) {
        mem_free(all);
        return rc;
    }
    if (n > 1)
        qsort(all, n, sizeof(*all), item_cmp);
    *out = all;
    *count = n;
    return 0;
}

int records_schedule(struct store *st, const struct config *cfg, int64_t now,
                     struct records_item **out, size_t *count)
{
    struct store_hold *holds = NULL;
    size_t nholds = 0;
    int rc;

    (void)now;
    if ((rc = store_hold_list(st, &holds, &nholds)) != 0)
        return rc;
    rc = items_load(st, cfg, holds, nholds, out, count);
    mem_free(holds);
    return rc;
}

/*
 * records.state, beside the key files: how many holds were ever placed, which the database
 * cannot lower (a hold row deleted, with the log's entry cut before a checkpoint signed it, is
 * caught against it). Raised after each hold commits, under records.state.lock (several servers
 * share the data directory); a server that dies between the commit and the raise leaves it
 * lower, which is safe (the database holds more).
 */
#define RECORDS_STATE "records.state"
#define STATE_HEAD "dissent-records/v1\nholds "

/* The number recorded (0 when none, or no data directory). */
static int state_read(const struct store *st, int64_t *placed)
{
    char path[1200], text[128];
    ssize_t n;
    int fd;

    *placed = 0;
    if (st->trust_dir == NULL)
        return 0;
    snprintf(path, sizeof(path), "%s/" RECORDS_STATE, st->trust_dir);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? 0 : ERR_IO;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0)
        return ERR_IO;
    text[n] = '\0';
    if (n < (ssize_t)strlen(STATE_HEAD) + 2 || strncmp(text, STATE_HEAD, strlen(STATE_HEAD)) != 0 ||
        text[n - 1] != '\n')
        goto bad;
    text[n - 1] = '\0';
    if (str_parse_i64(text + strlen(STATE_HEAD), 0, INT64_MAX, placed) != 0)
        goto bad;
    return 0;
bad:
    log_error("integrity: %s is not a records state: nothing is shredded", path);
    return ERR_INTEGRITY;
}

/* Record that at least @placed holds were placed. */
static int state_raise(const struct store *st, int64_t placed)
{
    char path[1200], lock[1300], text[128];
    int64_t was = 0;
    int lfd, rc;
    size_t len;

    if (st->trust_dir == NULL)
        return 0;
    snprintf(path, sizeof(path), "%s/" RECORDS_STATE, st->trust_dir);
    snprintf(lock, sizeof(lock), "%s.lock", path);
    if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        return ERR_IO;
    while (flock(lfd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(lfd);
            return ERR_IO;
        }
    if ((rc = state_read(st, &was)) != 0 || was >= placed)
        goto out;
    len = (size_t)snprintf(text, sizeof(text), STATE_HEAD "%lld\n", (long long)placed);
    rc = file_replace(st->trust_dir, RECORDS_STATE, text, len, "records");
out:
    close(lfd);
    return rc;
}

/* A reason: 1..STORE_HOLD_REASON_MAX bytes of UTF-8 without control characters but none. */
static bool reason_ok(const char *r)
{
    size_t n = r ? strlen(r) : 0;

    if (n == 0 || n > STORE_HOLD_REASON_MAX || !str_utf8_valid(r, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r[i] < 0x20 || r[i] == 0x7F)
            return false;
    return true;
}

/* Audit @action on every memo @h covers, by @actor, inside the caller's transaction. */
static int audit_covered(struct store *st, const struct store_hold *h, int64_t actor,
                         const char *action, int64_t now, size_t *covered)
{
    struct memo *page = NULL;
    size_t k = 0;
    int64_t after = 0;
    int rc = 0;

    *covered = 0;
    do {
        if ((rc = store_memo_page(st, after, 200, &page, &k)) != 0)
            return rc;
        for (size_t i = 0; i < k && rc == 0; i++) {
            int64_t created, filed;
            struct store_hold live = *h;
            memo_days(&page[i], &created, &filed);
            live.lifted_at = 0; /* as it held: a lift is counted on what it released */
            live.tampered = false;
            if (records_hold_covers(&live, page[i].public_id, created, filed)) {
                ++*covered;
                rc = audit_append(st, page[i].id, actor, action, now);
            }
        }
        if (k > 0)
            after = page[k - 1].id;
        store_memo_list_free(page, k);
        page = NULL;
    } while (rc == 0 && k == 200);
    return rc;
}

int records_hold(struct store *st, const struct user *actor, const char *memo, int64_t from,
                 int64_t to, const char *reason, int64_t now, struct store_hold *out,
                 size_t *covered, char *err, size_t errlen)
{
    struct memo m;
    int rc;

    memset(out, 0, sizeof(*out));
    *covered = 0;
    if (!(actor->roles & ROLE_RECORDS))
        return ERR_FORBIDDEN;
    if (!reason_ok(reason)) {
        err_set(err, errlen, "reason: 1 to %d bytes of text, on one line", STORE_HOLD_REASON_MAX);
        return ERR_INVALID;
    }
    if (memo != NULL) {
        if (!memo_id_valid(memo)) {
            err_set(err, errlen, "memo: a memo id, 24 hexadecimal digits");
            return ERR_INVALID;
        }
        if ((rc = store_memo_get(st, memo, &m)) != 0)
            return rc;
        store_memo_release(&m);
        str_copy(out->memo, sizeof(out->memo), memo);
        out->from_day = out->to_day = -1;
    } else {
        if (from < WORKDAYS_DAY_MIN || to > WORKDAYS_DAY_MAX || to < from) {
            err_set(err, errlen, "to: a day on or after from");
            return ERR_INVALID;
        }
        out->from_day = from;
        out->to_day = to;
    }
    str_copy(out->reason, sizeof(out->reason), reason);
    out->placed_by = actor->id;
    out->placed_at = now;
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = store_hold_add(st, out)) != 0 ||
        (rc = audit_covered(st, out, actor->id, "held", now, covered)) != 0 ||
        (rc = ledger_records_event(st, LEDGER_HELD, (int64_t)*covered, now)) != 0 ||
        (rc = store_commit(st)) != 0) {
        store_rollback(st);
        return rc;
    }
    {
        /* the number of holds placed, where the database cannot lower it */
        struct store_hold *all = NULL;
        size_t n = 0;
        if (store_hold_list(st, &all, &n) == 0 && state_raise(st, (int64_t)n) != 0)
            log_warn("records: the count of holds could not be recorded beside the keys");
        mem_free(all);
    }
    log_info("records: hold %lld placed by %s on %zu memo%s", (long long)out->id, actor->username,
             *covered, *covered == 1 ? "" : "s");
    return 0;
}

int records_lift(struct store *st, const struct user *actor, int64_t id, const char *reason,
                 int64_t now, struct store_hold *out, size_t *covered, char *err, size_t errlen)
{
    struct store_hold *holds = NULL;
    size_t n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    *covered = 0;
    if (!(actor->roles & ROLE_RECORDS))
        return ERR_FORBIDDEN;
    if (!reason_ok(reason)) {
        err_set(err, errlen, "reason: 1 to %d bytes of text, on one line", STORE_HOLD_REASON_MAX);
        return ERR_INVALID;
    }
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = store_hold_list(st, &holds, &n)) != 0)
        goto fail;
    rc = ERR_NOT_FOUND;
    for (size_t i = 0; i < n; i++)
        if (holds[i].id == id) {
            *out = holds[i];
            rc = 0;
        }
    if (rc != 0)
        goto fail;
    if (out->tampered) {
        err_set(err, errlen, "this hold was changed outside Dissent: it stays, as it is");
        rc = ERR_INTEGRITY;
        goto fail;
    }
    if (out->lifted_at != 0) {
        err_set(err, errlen, "this hold was lifted already");
        rc = ERR_STATE;
        goto fail;
    }
    out->lifted_by = actor->id;
    out->lifted_at = now;
    str_copy(out->lift_reason, sizeof(out->lift_reason), reason);
    if ((rc = store_hold_lift(st, out)) != 0 ||
        (rc = audit_covered(st, out, actor->id, "released", now, covered)) != 0 ||
        (rc = ledger_records_event(st, LEDGER_RELEASED, (int64_t)*covered, now)) != 0 ||
        (rc = store_commit(st)) != 0)
        goto fail;
    mem_free(holds);
    log_info("records: hold %lld lifted by %s (%zu memo%s)", (long long)id, actor->username,
             *covered, *covered == 1 ? "" : "s");
    return 0;
fail:
    store_rollback(st);
    mem_free(holds);
    if (rc == ERR_CONFLICT) {
        err_set(err, errlen, "this hold was lifted meanwhile");
        rc = ERR_STATE;
    }
    return rc;
}

/* Whether the holds agree with the log: as many holds placed and lifted as its entries say. */
/*
 * Whether the holds @holds[0..@n) are all Dissent's: none changed (MAC), no fewer than
 * records.state says were ever placed, and, with @with_log (once per sweep: it reads the whole
 * log), as many placed and lifted as the log's entries say.
 */
static int holds_agree(struct store *st, const struct store_hold *holds, size_t n, bool with_log)
{
    struct ledger_entry *e = NULL;
    size_t ne = 0, placed = 0, lifted = 0, held = 0, released = 0;
    int64_t recorded = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        placed++;
        lifted += holds[i].lifted_at != 0;
        if (holds[i].tampered)
            return ERR_INTEGRITY;
    }
    if ((rc = state_read(st, &recorded)) != 0)
        return rc;
    if ((int64_t)placed < recorded) {
        log_error("integrity: the database holds %zu legal holds, %lld were placed (" RECORDS_STATE
                  "): holds were deleted outside Dissent; nothing is shredded until this is "
                  "resolved",
                  placed, (long long)recorded);
        return ERR_INTEGRITY;
    }
    if (!with_log)
        return 0;
    if ((rc = ledger_entries_live(st, &e, &ne)) != 0)
        return rc;
    for (size_t i = 0; i < ne; i++) {
        held += e[i].event == LEDGER_HELD;
        released += e[i].event == LEDGER_RELEASED;
    }
    mem_free(e);
    if (placed != held || lifted != released) {
        log_error("integrity: the database holds %zu legal holds (%zu lifted), the log records "
                  "%zu placed and %zu lifted: holds were changed outside Dissent; nothing is "
                  "shredded until this is resolved",
                  placed, lifted, held, released);
        return ERR_INTEGRITY;
    }
    return 0;
}

/*
 * Whether the read audit shows memo @id filed: a draft or unfiled row of a memo that was filed
 * is a row rolled back from a copy (its MAC still valid), never an abandoned draft. The audit's
 * records are chained under a key the database does not hold (dissent audit verify).
 */
static int audit_says_filed(struct store *st, int64_t id, bool *filed)
{
    struct audit_record *recs = NULL;
    int64_t after = 0;
    size_t n = 0;
    int rc;

    *filed = false;
    do {
        if ((rc = store_audit_list(st, id, after, 500, &recs, &n)) != 0)
            return rc;
        for (size_t i = 0; i < n && !*filed; i++)
            *filed = strcmp(recs[i].action, "filed") == 0;
        if (n > 0)
            after = recs[n - 1].id;
        mem_free(recs);
        recs = NULL;
    } while (!*filed && n == 500);
    return 0;
}

/*
 * Shred @items[0..@n) in one transaction: tombstones, deletions, audit, one log entry. The
 * holds and each memo are read again in the transaction (which the write lock serialises with
 * records_hold()): a memo held, changed or no longer due meanwhile is kept.
 */
static int shred_batch(struct store *st, const struct config *cfg, const struct records_item *items,
                       size_t n, int64_t now, size_t *done)
{
    struct store_hold *holds = NULL;
    size_t k = 0, nholds = 0;
    int64_t today = channel_today(now);
    int rc;

    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = store_hold_list(st, &holds, &nholds)) == 0)
        rc = holds_agree(st, holds, nholds, false);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct memo m;
        struct records_item fresh;
        struct store_tombstone t = {
            .state = items[i].state, .final_at = items[i].final, .shredded_at = now};
        if ((rc = store_memo_get(st, items[i].id, &m)) == ERR_NOT_FOUND) {
            rc = 0; /* deleted meanwhile */
            continue;
        }
        if (rc != 0)
            break;
        item_of(cfg, &m, holds, nholds, &fresh);
        if ((m.state == MEMO_DRAFT || m.state == MEMO_OPEN) && fresh.due >= 0) {
            bool filed = false;
            if ((rc = audit_says_filed(st, m.id, &filed)) != 0) {
                store_memo_release(&m);
                break;
            }
            if (filed) {
                log_error("integrity: memo %s reads as %s, and its audit shows it filed: its row "
                          "was put back from a copy; it is not shredded",
                          m.public_id, memo_state_name((enum memo_state)m.state));
                fresh.due = -1;
            }
        }
        /* as it stands in this transaction: the same state, still due, not held */
        if (m.state == items[i].state && fresh.due >= 0 && fresh.due <= today && !fresh.held) {
            memcpy(t.public_id, m.public_id, sizeof(t.public_id));
            if ((rc = store_tombstone_add(st, &t)) == 0 && (rc = store_memo_delete(st, &m)) == 0 &&
                (rc = audit_append(st, m.id, 0, "shredded", now)) == 0)
                k++;
        }
        store_memo_release(&m);
    }
    if (rc == 0 && k > 0)
        rc = ledger_records_event(st, LEDGER_SHREDDED, (int64_t)k, now);
    if (rc == 0)
        rc = store_commit(st);
    mem_free(holds);
    if (rc != 0) {
        store_rollback(st);
        return rc;
    }
    *done += k;
    return 0;
}

int records_sweep(struct store *st, const struct config *cfg, int64_t now, size_t *shredded)
{
    struct store_hold *holds = NULL;
    struct records_item *items = NULL, *due = NULL;
    size_t nholds = 0, n = 0, ndue = 0;
    int64_t today = channel_today(now);
    int rc;

    *shredded = 0;
    if (cfg->retain_closed == 0 && cfg->retain_declined == 0 && cfg->retain_withdrawn == 0 &&
        cfg->retain_drafts == 0)
        return 0; /* everything is kept for ever */
    /* the log first: entries cut from it (a hold's among them) stop everything */
    {
        char why[256] = "";
        if ((rc = ledger_check(st, false, why, sizeof(why))) != 0) {
            log_error("records: the transparency log fails its checks (%s): nothing is shredded",
                      why[0] ? why : err_str(rc));
            return rc;
        }
    }
    if ((rc = store_hold_list(st, &holds, &nholds)) != 0)
        return rc;
    if ((rc = holds_agree(st, holds, nholds, true)) != 0 ||
        (rc = items_load(st, cfg, holds, nholds, &items, &n)) != 0)
        goto out;
    if ((due = mem_calloc(n ? n : 1, sizeof(*due))) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].due >= 0 && items[i].due <= today && !items[i].held && !items[i].tampered)
            due[ndue++] = items[i];
    for (size_t at = 0; at < ndue && rc == 0 && !atomic_load(&stopping); at += RECORDS_BATCH)
        rc = shred_batch(st, cfg, due + at, ndue - at < RECORDS_BATCH ? ndue - at : RECORDS_BATCH,
                         now, shredded);
    if (*shredded > 0) {
        int c = store_compact(st);
        if (c != 0)
            log_warn("records: the database could not be compacted after the shred (%s): "
                     "deleted rows may linger in its files until it is",
                     err_str(c));
        log_info("records: %zu memo%s reached the end of their retention and were "
                 "crypto-shredded",
                 *shredded, *shredded == 1 ? "" : "s");
    }
out:
    mem_free(due);
    mem_free(items);
    mem_free(holds);
    return rc;
}

/* ---- the server's own schedule (core/runner.h) ---- */

struct records_job {
    const struct config *cfg;
    const struct channel *ch;
};

static void sweep_once(struct store *st, void *arg)
{
    const struct records_job *job = arg;
    size_t shredded = 0;
    int rc = records_sweep(st, job->cfg, channel_now(job->ch), &shredded);

    if (rc != 0 && rc != ERR_INTEGRITY) /* an integrity stop was logged with its reason */
        log_warn("records: could not run the retention schedule (%s)", err_str(rc));
}

int records_start(const struct config *cfg, const char *uri, const struct channel *ch,
                  struct runner **out)
{
    static struct records_job job; /* one per process: the server's */

    *out = NULL;
    if (cfg->retain_closed == 0 && cfg->retain_declined == 0 && cfg->retain_withdrawn == 0 &&
        cfg->retain_drafts == 0)
        return 0;
    job.cfg = cfg;
    job.ch = ch;
    atomic_store(&stopping, false);
    return runner_start(uri, ch, cfg->data_dir, RECORDS_EVERY, sweep_once, &job, "records", out);
}

void records_stop(struct runner *r)
{
    if (r == NULL)
        return;
    atomic_store(&stopping, true); /* a sweep in progress ends after its batch */
    runner_stop(r);
}
