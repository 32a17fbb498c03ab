#include "core/audit.h"

#include "crypto/hash.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_PAGE 1000
#define AUDIT_KEY_LABEL "dissent-audit"

/* The text a record's hash is made of, under @tag ("dissent-audit/v1" or "/v2"). */
static void hash_text(char *text, size_t len, const char *tag, const uint8_t prev[32],
                      const struct audit_record *rec)
{
    char hex[65];

    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", prev[i]);
    snprintf(text, len, "%s\n%s\n%lld\n%lld\n%lld\n%s\n%lld\n", tag, hex, (long long)rec->id,
             (long long)rec->memo_id, (long long)rec->actor_id, rec->action, (long long)rec->at);
}

int audit_hash(const struct store *st, const uint8_t prev[32], const struct audit_record *rec,
               uint8_t out[32])
{
    char text[256];

    hash_text(text, sizeof(text), "dissent-audit/v2", prev, rec);
    return store_keyed(st, AUDIT_KEY_LABEL, text, strlen(text), out);
}

int audit_append(struct store *st, int64_t memo_id, int64_t actor_id, const char *action,
                 int64_t at)
{
    struct audit_record last, rec;
    int rc = store_audit_last(st, &last);

    if (rc == ERR_NOT_FOUND)
        memset(&last, 0, sizeof(last));
    else if (rc != 0)
        return rc;
    memset(&rec, 0, sizeof(rec));
    rec.id = last.id + 1;
    rec.memo_id = memo_id;
    rec.actor_id = actor_id;
    if (str_copy(rec.action, sizeof(rec.action), action) != 0)
        return ERR_INVALID;
    rec.at = at;
    if ((rc = audit_hash(st, last.hash, &rec, rec.hash)) != 0)
        return rc;
    return store_audit_insert(st, &rec);
}

int audit_read(struct store *st, int64_t memo_id, int64_t actor_id, const char *action, int64_t at)
{
    int rc;

    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = audit_append(st, memo_id, actor_id, action, at)) != 0 || (rc = store_commit(st)) != 0)
        store_rollback(st);
    return rc;
}

int audit_verify(struct store *st, int64_t *count, char *err, size_t errlen)
{
    return audit_verify_anchored(st, NULL, 0, count, err, errlen);
}

static int anchor_cmp(const void *x, const void *y)
{
    return memcmp(((const struct audit_anchor *)x)->head, ((const struct audit_anchor *)y)->head,
                  32);
}

int audit_verify_anchored(struct store *st, const struct audit_anchor *anchors, size_t n,
                          int64_t *count, char *err, size_t errlen)
{
    struct audit_anchor *a = NULL;
    uint8_t prev[32] = {0}, want[32];
    bool *found = NULL;
    int64_t after = 0;
    int rc = 0;

    *count = 0;
    if (n > 0) {
        if ((a = mem_alloc(n * sizeof(*a))) == NULL ||
            (found = mem_calloc(n, sizeof(*found))) == NULL) {
            mem_free(a);
            return ERR_NOMEM;
        }
        memcpy(a, anchors, n * sizeof(*a));
        qsort(a, n, sizeof(*a), anchor_cmp);
    }
    for (;;) {
        struct audit_record *recs = NULL;
        size_t got = 0;
        if ((rc = store_audit_list(st, 0, after, AUDIT_PAGE, &recs, &got)) != 0)
            goto out;
        for (size_t i = 0; i < got; i++) {
            struct audit_anchor key, *hit;

            if (recs[i].id != after + 1) {
                err_set(err, errlen, "record %lld is missing (found %lld next)",
                        (long long)(after + 1), (long long)recs[i].id);
                rc = ERR_CRYPTO;
            } else if ((rc = audit_hash(st, prev, &recs[i], want)) == 0 &&
                       !hash_equal(want, recs[i].hash, 32)) {
                err_set(err, errlen, "record %lld was altered (its hash does not chain)",
                        (long long)recs[i].id);
                rc = ERR_CRYPTO;
            }
            if (rc != 0) {
                mem_free(recs);
                goto out;
            }
            memcpy(key.head, recs[i].hash, 32);
            if (n > 0 && (hit = bsearch(&key, a, n, sizeof(*a), anchor_cmp)) != NULL) {
                /* equal heads sort together: mark them all */
                size_t h = (size_t)(hit - a), j;

                for (j = h + 1; j-- > 0 && !memcmp(a[j].head, key.head, 32);)
                    found[j] = true;
                for (j = h; j < n && !memcmp(a[j].head, key.head, 32); j++)
                    found[j] = true;
            }
            memcpy(prev, recs[i].hash, 32);
            after = recs[i].id;
            (*count)++;
        }
        mem_free(recs);
        if (got < AUDIT_PAGE)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        if (!found[i]) {
            err_set(err, errlen,
                    "the log anchored a head that no record of the audit has: records before "
                    "it were deleted or altered, and the chain made again, after the anchor");
            rc = ERR_CRYPTO;
            break;
        }
    }
out:
    mem_free(a);
    mem_free(found);
    return rc;
}

int audit_rechain(struct store *st, bool keyed, int64_t *count)
{
    uint8_t prev[32] = {0}, old[32] = {0}, was[32];
    int64_t after = 0, broken = 0;
    char text[256];
    int rc = 0;

    *count = 0;
    if ((rc = store_begin(st)) != 0)
        return rc;
    for (;;) {
        struct audit_record *recs = NULL;
        size_t n = 0;
        if ((rc = store_audit_list(st, 0, after, AUDIT_PAGE, &recs, &n)) != 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            /* the chain as it was: re-made as it is, but a break in it is said, not hidden */
            if (keyed) {
                rc = audit_hash(st, old, &recs[i], was);
            } else {
                hash_text(text, sizeof(text), "dissent-audit/v1", old, &recs[i]);
                hash_sha256(was, text, strlen(text));
            }
            if (rc == 0 && broken == 0 &&
                (recs[i].id != after + 1 || !hash_equal(was, recs[i].hash, 32)))
                broken = recs[i].id;
            memcpy(old, recs[i].hash, 32);
            if (rc == 0 && (rc = audit_hash(st, prev, &recs[i], recs[i].hash)) == 0 &&
                (rc = store_audit_set_hash(st, recs[i].id, recs[i].hash)) == 0) {
                memcpy(prev, recs[i].hash, 32);
                after = recs[i].id;
                (*count)++;
            }
        }
        mem_free(recs);
        if (rc != 0 || n < AUDIT_PAGE)
            break;
    }
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc == 0 && broken > 0)
        log_error("integrity: the read audit's chain was already broken at record %lld when it "
                  "was re-made with the key (as the database held it): records up to there were "
                  "changed outside Dissent",
                  (long long)broken);
    return rc;
}
