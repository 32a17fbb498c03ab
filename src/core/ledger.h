/*
 * ledger.h - the channel's transparency log: what its entries say, and the live log kept in the
 * database (tiles and checkpoints per c2sp.org/tlog-tiles, signed with the server's log key).
 *
 * An entry is ASCII text, one "key value" pair per line, each line ending in LF:
 *
 *   dissent-log/v1
 *   event filed                      filed | acknowledged | declined | distributed | extended |
 *                                    replied | closed | withdrawn | rescheduled | clarification |
 *                                    escalated (memo events), or
 *                                    reset | reset-confirmed | officer-added | officer-removed |
 *                                    principal-added | principal-removed | channel-granted |
 *                                    channel-revoked | keys-bound (account events), or
 *                                    closure-added | closure-removed | clock-stopped |
 *                                    clock-resumed (calendar events: no tag line), or
 *                                    exported | held | released | shredded (records events:
 *                                    no tag line, a count), or
 *                                    audit-head (no tag line: the read audit's head), or
 *                                    channel-changed (no tag line: a channel's settings set)
 *   memo 8c1e...                     memo events: the memo's tag, 32 lowercase hex digits,
 *                                    random, never derived from the memo's id
 *   account 5f0a...                  account events instead: the account's tag, the same way
 *   date 2026-11-29                  the organisation's local date of the event
 *   signers 12                       filed only: valid co-signatures, the drafter's included
 *   commitment base64                filed only: base64(SHA-256(salt || digest)), 32-byte salt
 *   ack-due 2026-12-01               filed, rescheduled: acknowledgement due date
 *   reply-due 2027-01-12             filed, acknowledged, extended, rescheduled, clarification:
 *                                    the reply due date from then on
 *   binding base64                   keys-bound only: base64(SHA-256(the key binding note)),
 *                                    core/trust.h
 *   missed 2026-12-01                escalated only: the due day that was missed
 *   rung 1                           escalated only: 1 the officers and the channel's head, 2 the
 *                                    configured principals too (core/workflow.h)
 *   closed 2026-12-24                closure-added, closure-removed: the day closed (or open again)
 *   from 2027-10-01                  clock-stopped, clock-resumed: the first day of the clock stop
 *   until 2027-10-14                 clock-resumed only: its last day
 *   count 3                          records events only: how many memos
 *   head base64                      audit-head only: the chained hash of the read audit's
 *                                    last record at that moment (not its number)
 *   settings base64                  channel-changed only: base64(SHA-256(the channel's own
 *                                    settings as stored, a JSON object))
 *
 * in exactly this order, with exactly the lines its event has. No names, titles, text or internal
 * ids ever appear. docs/formats.md specifies it for outside verifiers.
 */
#ifndef DISSENT_CORE_LEDGER_H
#define DISSENT_CORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_TAG_LEN 16    /* bytes of a memo tag (32 hex digits) */
#define LEDGER_SALT_LEN 32   /* bytes of the commitment salt */
#define LEDGER_ENTRY_MAX 512 /* longest entry text, bytes */

enum ledger_event {
    LEDGER_FILED = 0,
    LEDGER_ACKNOWLEDGED,
    LEDGER_DECLINED,
    LEDGER_DISTRIBUTED,
    LEDGER_EXTENDED,
    LEDGER_REPLIED,
    LEDGER_CLOSED,
    LEDGER_WITHDRAWN,
    /* account events: "account" instead of "memo" (ledger_event_account()) */
    LEDGER_RESET,             /* an administrator reset the account (core/enrol.h) */
    LEDGER_RESET_CONFIRMED,   /* the officers confirmed its re-enrolment (core/reset.h) */
    LEDGER_OFFICER_ADDED,     /* the account gained the officer role (or was created with it) */
    LEDGER_OFFICER_REMOVED,   /* ... lost it */
    LEDGER_PRINCIPAL_ADDED,   /* the account gained the principal role */
    LEDGER_PRINCIPAL_REMOVED, /* ... lost it */
    LEDGER_CHANNEL_GRANTED,   /* the channel key was sealed to the account (or created for it) */
    LEDGER_CHANNEL_REVOKED,   /* the account's channel grant was deleted */
    LEDGER_KEYS_BOUND,        /* the account's public keys were born or changed (core/trust.h) */
    LEDGER_HEAD_ADDED,        /* the account gained the head role (core/user.h) */
    LEDGER_HEAD_REMOVED,      /* ... lost it */
    /* memo events again: a calendar change moved its running deadlines (core/calendar.h) */
    LEDGER_RESCHEDULED,
    LEDGER_CLARIFICATION, /* the drafter asked for clarification: the reply step again */
    LEDGER_ESCALATED,     /* a deadline was missed and the escalation ladder reached a rung */
    /* calendar events: no tag line (ledger_event_calendar(); core/calendar.h) */
    LEDGER_CLOSURE_ADDED,   /* a day was closed at runtime */
    LEDGER_CLOSURE_REMOVED, /* a runtime closure was taken back */
    LEDGER_CLOCK_STOPPED,   /* every running deadline paused from a day on */
    LEDGER_CLOCK_RESUMED,   /* the clock stop ended: its days are known */
    /* records events: no tag line, a count (ledger_event_records(); core/records.h) */
    LEDGER_EXPORTED, /* memos were exported for production (dissent export) */
    LEDGER_HELD,     /* memos were placed under a legal hold */
    LEDGER_RELEASED, /* ... released from one */
    LEDGER_SHREDDED, /* memos reached the end of their retention and were crypto-shredded */
    /* the read audit's head (core/audit.h): no tag, its record count and hash */
    LEDGER_AUDIT_HEAD,
    /* a channel's settings were set (made, or changed: core/channels.h): no tag, the channel
     * line (2 and later), the settings' hash */
    LEDGER_CHANNEL_CHANGED,
    LEDGER_EVENT_COUNT
};

/* One log entry, parsed. Days are day numbers (core/workdays.h); -1 when absent. */
struct ledger_entry {
    enum ledger_event event;
    uint8_t tag[LEDGER_TAG_LEN];
    int64_t day;
    int signers;            /* filed: >= 1; else 0 */
    uint8_t commitment[32]; /* filed */
    int64_t ack_due;        /* filed */
    int64_t reply_due;      /* filed, acknowledged, extended */
    uint8_t binding[32];    /* keys-bound: SHA-256 of the key binding note */
    int64_t first;          /* closure-*: the day; clock-*: "from"; escalated: "missed"; else -1 */
    int rung;               /* escalated: 1 or 2; else 0 */
    int64_t last;           /* clock-resumed: "until"; else -1 */
    int64_t count;          /* records events: how many memos (>= 0); else 0 */
    uint8_t head[32];       /* audit-head: the chained hash of the audit's last record */
    uint8_t settings[32];   /* channel-changed: SHA-256 of the channel's settings */
    int64_t channel;        /* memo events, channel-granted and channel-revoked, the role
                               events (officer, principal, head added or removed) and
                               channel-changed: the channel,
                               2..64 written as a "channel N" line after "event"; 0 or 1:
                               channel 1, no line (docs/channels.md) */
};

/* The account events are LEDGER_RESET .. LEDGER_ACCOUNT_LAST. */
#define LEDGER_ACCOUNT_LAST LEDGER_HEAD_REMOVED
#define LEDGER_ACCOUNT_COUNT (LEDGER_ACCOUNT_LAST - LEDGER_RESET + 1)

/** ledger_event_name() - "filed", ...; NULL when out of range. */
const char *ledger_event_name(enum ledger_event e);

/** ledger_event_parse() - the event called @name. 0 or ERR_INVALID. */
int ledger_event_parse(const char *name, enum ledger_event *out);

/** ledger_event_account() - @e is about an account (its tag line is "account"), not a memo. */
bool ledger_event_account(enum ledger_event e);

/** ledger_event_calendar() - @e is about the calendar: it has no tag line at all. */
bool ledger_event_calendar(enum ledger_event e);

/** ledger_event_records() - @e is a records event: no tag line, a "count" line. */
#define LEDGER_RECORDS_COUNT (LEDGER_SHREDDED - LEDGER_EXPORTED + 1)
bool ledger_event_records(enum ledger_event e);

/**
 * ledger_entry_format() - the entry text of @e into @out (LEDGER_ENTRY_MAX bytes), *@len its
 * length (no NUL counted). Returns 0 or ERR_INVALID (a field missing for its event).
 */
int ledger_entry_format(const struct ledger_entry *e, char out[LEDGER_ENTRY_MAX], size_t *len);

/**
 * ledger_entry_parse() - parse @len bytes; exactly the canonical form is accepted (so
 * format(parse(x)) == x). Returns 0 or ERR_INVALID.
 */
int ledger_entry_parse(const char *text, size_t len, struct ledger_entry *out);

/** ledger_commitment() - SHA-256(@salt || @digest). */
void ledger_commitment(const uint8_t salt[LEDGER_SALT_LEN], const uint8_t digest[32],
                       uint8_t out[32]);

/* ---- the live log in the database (implemented in core/ledger_live.c) ----
 *
 * The database is not trusted (core/trust.h). Every entry carries a MAC under a key derived from
 * log.skey (keyed BLAKE2b over the entry's index and bytes), kept in tiles of their own (level
 * LEDGER_TILE_MACS, never served). The last signed tree lives in log.state beside log.skey:
 *
 *   dissent-log-state/v1
 *   size N
 *   root <base64>
 *   frontier <base64>          one line per perfect subtree of the tree, left to right
 *
 * replaced atomically and fsynced before a checkpoint of it is stored. A checkpoint is signed
 * only for a tree that extends that state: every new entry's MAC verifies, its leaf hash is
 * recomputed from its bytes and equals the stored tile's, the new root is computed from the
 * frontier and the new leaves alone and equals the root of the stored tiles, and the root of the
 * stored tiles at the old size is still the old root. Anything else stops the log: nothing is
 * signed, the server's log says why, and /readyz answers 503 (ledger_check()). The first time a
 * data directory has no log.state, the log is adopted as the database holds it (every entry
 * MAC'd), as a first start is trusted.
 */

#define LEDGER_TILE_MACS (-2)         /* the level of the entry MAC tiles */
#define LEDGER_STATE_FILE "log.state" /* beside log.skey */
#define LEDGER_MAC_KEY_LEN 32

struct note_skey;

/** ledger_mac_key() - the entries' MAC key, derived from the log's signing key. */
void ledger_mac_key(const struct note_skey *log_key, uint8_t out[LEDGER_MAC_KEY_LEN]);

struct store;

/**
 * ledger_account_event() - append the account event @e for @u (named by its random log tag,
 * never its name), dated by @now, inside the caller's transaction. ERR_INTERNAL for a row
 * without a tag: every account gets one at creation, and older rows got one in a migration.
 * LEDGER_KEYS_BOUND carries the hash of @u->key_binding (ERR_INTERNAL when it is empty).
 */
struct user;
int ledger_account_event(struct store *st, const struct user *u, enum ledger_event e, int64_t now);

/**
 * ledger_channel_event() - ledger_account_event() for channel-granted or channel-revoked of
 * @channel's key, or a role of @channel gained or lost: a "channel N" line for channels 2..64
 * (channel 1's entries have none). ERR_INVALID for another event with a channel above 1.
 */
int ledger_channel_event(struct store *st, const struct user *u, enum ledger_event e,
                         int64_t channel, int64_t now);

/**
 * ledger_channel_changed() - append channel-changed for @channel, whose own settings are now
 * @settings (a JSON object, as stored), dated by @now, inside the caller's transaction: anyone
 * holding the settings checks them against the hash; a change of a channel's rules (its
 * deadlines, its drafter's window, its zone) is in the public log, never silent.
 */
int ledger_channel_changed(struct store *st, int64_t channel, const char *settings, int64_t now);

/**
 * ledger_records_event() - append the records event @e (exported, held, released, shredded)
 * of @count memos, dated by @now, inside the caller's transaction: no memo, no person named.
 */
int ledger_records_event(struct store *st, enum ledger_event e, int64_t count, int64_t now);

/**
 * ledger_audit_head() - append an audit-head entry for the read audit as it stands (its last
 * record's chained hash: not its number, which would say how many reads there were), dated by
 * @now, inside the caller's transaction; nothing when the audit is empty.
 */
int ledger_audit_head(struct store *st, int64_t now);

/**
 * ledger_append() - append @len bytes of @entry to the live log; *@index receives its index.
 * Call inside the write transaction of the change it records, so neither exists without the
 * other.
 */
int ledger_append(struct store *st, const char *entry, size_t len, uint64_t *index);

/**
 * ledger_checkpoint() - the newest signed checkpoint. Checkpoints are signed on a schedule
 * ([tlog] checkpoint_interval, by the leading server: ledger_sign()), never on demand, so that
 * a checkpoint's time does not tell which request appended an entry. *@text is malloc'd
 * (mem_free()); *@size its tree size. ERR_NOT_FOUND before the first one.
 */
int ledger_checkpoint(struct store *st, char **text, uint64_t *size);

/**
 * ledger_checkpoint_public() - the checkpoint /log/checkpoint serves: with witnesses (@quorum > 0,
 * core/cosigning.h), the newest whose stored text carries @quorum cosignatures (ERR_NOT_FOUND
 * while none has); else the newest. As ledger_checkpoint() otherwise.
 */
int ledger_checkpoint_public(struct store *st, int quorum, char **text, uint64_t *size);

/**
 * ledger_sign() - check the log against log.state in @st's data directory (above), write the
 * new state and store a checkpoint of it signed with @key. *@size is the signed size. Several
 * servers may call it at once (a lock on log.state.lock serialises them). Returns 0,
 * ERR_INTEGRITY (the log is stopped; logged), ERR_IO or a store error.
 */
int ledger_sign(struct store *st, const struct note_skey *key, const char *origin, int64_t now,
                uint64_t *size);

/**
 * ledger_check() - the checks of ledger_sign() without signing or writing: 0, or ERR_INTEGRITY
 * with the reason in @why (for /readyz), ERR_IO or a store error. With @nowait, a check that
 * would wait for a signer holding the lock answers 0 at once (the signer checks).
 */
int ledger_check(struct store *st, bool nowait, char *why, size_t whylen);

/**
 * ledger_adopt() - when @st's data directory has no log.state: adopt the log the database holds
 * (every entry MAC'd, in its own transaction), after checking that the newest checkpoint stored,
 * if any, is signed by @key and is the root of the stored tiles at its size; then write
 * log.state for it. Nothing when log.state exists. Returns 0, ERR_INTEGRITY (logged), ERR_IO or
 * a store error.
 */
int ledger_adopt(struct store *st, const struct note_skey *key);

/**
 * ledger_entry_get() - the bytes of entry @index: malloc'd in *@out (mem_free()), *@len.
 * ERR_NOT_FOUND past the end.
 */
int ledger_entry_get(struct store *st, uint64_t index, uint8_t **out, size_t *len);

/**
 * ledger_proof() - the c2sp.org/tlog-proof@v1 text proving entry @index in the signed
 * @checkpoint (one of the log's own). *@out is malloc'd.
 */
int ledger_proof(struct store *st, const char *checkpoint, uint64_t index, char **out,
                 size_t *outlen);

/**
 * ledger_consistency() - the RFC 9162 consistency proof from the tree of @old_size entries to the
 * tree of @new_size (0 < @old_size <= @new_size, both within the stored log) into @proof
 * (TLOG_PROOF_MAX hashes of 32 bytes), *@len hashes. Returns 0, ERR_INVALID or a store error.
 */
int ledger_consistency(struct store *st, uint64_t old_size, uint64_t new_size, uint8_t (*proof)[32],
                       size_t *len);

/**
 * ledger_tile() - the bytes to serve for a tlog-tiles @path ("tile/0/000.p/5", ...): the stored
 * tile cut to the requested width. *@full tells whether it is a full (immutable) tile.
 * Returns 0, ERR_INVALID (not a valid path) or ERR_NOT_FOUND (beyond the current tree).
 */
int ledger_tile(struct store *st, const char *path, uint8_t **out, size_t *len, bool *full);

/**
 * ledger_root() - the live log's size and its Merkle root, recomputed from the stored tiles (not
 * from a checkpoint): what a copy of the database must reproduce (dissent migrate).
 */
int ledger_root(struct store *st, uint64_t *size, uint8_t root[32]);

/**
 * ledger_entries_load() - every entry of the live log, parsed, in log order, each checked
 * against its MAC. *@out is malloc'd (mem_free()). An entry that does not parse is ERR_CRYPTO; one
 * whose MAC fails is ERR_INTEGRITY (logged): statistics are never made of forged entries.
 */
int ledger_entries_load(struct store *st, struct ledger_entry **out, size_t *count);

/** ledger_signed_size() - the size of the last tree signed (log.state; else the newest
 *  checkpoint; 0 before any). */
int ledger_signed_size(struct store *st, uint64_t *size);

/**
 * ledger_entries_walk() - the entries [@from, @to) of the live log, parsed and checked as
 * ledger_entries_load() does, handed to @fn one at a time (a tile of them in memory at once,
 * never the whole log); @fn's non-zero return stops the walk and is returned.
 */
int ledger_entries_walk(struct store *st, uint64_t from, uint64_t to,
                        int (*fn)(void *ctx, const struct ledger_entry *e), void *ctx);

/** ledger_entries_live() - as ledger_entries_load(), but every entry of the live log, those not
 *  yet in a signed checkpoint included (what the database's writers must agree with). */
int ledger_entries_live(struct store *st, struct ledger_entry **out, size_t *count);

#endif
