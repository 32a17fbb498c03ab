/*
 * audit.h - the read audit: every read of memo content and every change of a memo appends a
 * record (who, what, when), hash-chained over the whole database so that a removed, inserted or
 * edited record breaks the chain:
 *
 *   hash(n) = SHA-256("dissent-audit/v1\n" hex(hash(n-1)) "\n" n "\n" memo "\n" actor "\n"
 *                     action "\n" at "\n")       with hash(0) = 32 zero bytes
 *
 * where n, memo (internal id), actor (user id) and at (unix seconds) are decimal.
 */
#ifndef DISSENT_CORE_AUDIT_H
#define DISSENT_CORE_AUDIT_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/**
 * audit_hash() - the chained hash of @rec after @prev: keyed BLAKE2b under a key derived from
 * @st's integrity key (store_keyed()), so that whoever writes the database can neither forge a
 * record nor guess a sealed actor back from the hash. Returns 0 or ERR_INTERNAL.
 */
int audit_hash(const struct store *st, const uint8_t prev[32], const struct audit_record *rec,
               uint8_t out[32]);

/**
 * audit_rechain() - make every record's hash again, in order, in one transaction (the one-time
 * conversion of an earlier version's unkeyed chain, and adoption: core/trust.h); the records are
 * taken as the database holds them, but a break in the chain as it was (@keyed: this version's
 * hash, else the earlier unkeyed SHA-256) is logged. *@count records.
 */
int audit_rechain(struct store *st, bool keyed, int64_t *count);

/**
 * audit_append() - append a record for @memo_id by @actor_id. The caller holds the write
 * transaction (it is part of the change it records).
 */
int audit_append(struct store *st, int64_t memo_id, int64_t actor_id, const char *action,
                 int64_t at);

/** audit_read() - record a read in its own transaction. */
int audit_read(struct store *st, int64_t memo_id, int64_t actor_id, const char *action, int64_t at);

/**
 * audit_verify() - walk the whole chain. Returns 0 with the record count in *@count, or
 * ERR_CRYPTO with the first broken record described in @err.
 */
int audit_verify(struct store *st, int64_t *count, char *err, size_t errlen);

/*
 * An anchor: the audit's head as the transparency log recorded it (an audit-head entry,
 * core/ledger.h), at every filing and every [tlog] audit_anchor_interval. Whoever holds the
 * database and the keys can delete records and make the chain again; but not the anchors, which
 * the public log (and its monitors and witnesses) keeps.
 */
struct audit_anchor {
    uint8_t head[32]; /* the chained hash of the audit's last record then */
};

/**
 * audit_verify_anchored() - audit_verify(), and every anchor of @a[0..@n) (any order) checked:
 * some record of the chain has its hash. Each record's hash chains all those before it, so a
 * record deleted, inserted or altered before an anchor, the chain made again with the key,
 * leaves no record with the anchored hash. ERR_CRYPTO with the first failure in @err.
 */
int audit_verify_anchored(struct store *st, const struct audit_anchor *a, size_t n, int64_t *count,
                          char *err, size_t errlen);

#endif
