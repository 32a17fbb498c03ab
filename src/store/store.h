/*
 * store.h - the one storage interface.
 *
 * Callers use the store_*() functions below and never see SQL. Only src/store/ contains SQL: every
 * statement once, in sql.c, over a thin driver for each database (sql.h: sqlite.c, pg.c).
 *
 * Threading: a struct store is one connection and must be used by one thread at a time. The server
 * opens one per worker thread and one per pool thread. Every call is atomic on its own (a single
 * statement or its own transaction).
 *
 * Return values: 0, or ERR_NOT_FOUND, ERR_EXISTS (unique key), ERR_CONFLICT (version mismatch),
 * ERR_DB (the database failed; a message went to the log). Out-params are zeroed on failure.
 */
#ifndef DISSENT_STORE_STORE_H
#define DISSENT_STORE_STORE_H

#include "crypto/hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USERNAME_MAX 64
#define DISPLAY_NAME_MAX 128
#define EMAIL_MAX 254
#define PWHASH_MAX 128
#define STORE_PUB_LEN 32      /* a public key */
#define STORE_SALT_LEN 16     /* the password KEK's Argon2id salt */
#define STORE_WRAPPED_LEN 136 /* wrapped private keys (crypto/keys.h KEYS_WRAPPED_LEN) */
#define STORE_MEMO_ID_LEN 24  /* public memo id (core/memo.h MEMO_ID_LEN) */
#define STORE_DAY_NONE (-1)
#define STORE_SEALED_LEN 80 /* a 32-byte key sealed to an X25519 key (crypto/seal.h) */
#define STORE_MAC_LEN 32    /* an integrity MAC (store_trust_set()) */
#define STORE_WHO_LEN 48    /* an account id sealed by the server (8 bytes, nonce and tag) */
/* the least pseudonym (store.h, "Who"); every account id is below it */
#define STORE_REF_MIN ((int64_t)1 << 62)
#define STORE_TRUST_KEY_LEN 32
#define STORE_BINDING_MAX 512 /* a key binding note (core/trust.h), NUL included */
#define STORE_CHANNEL                                                                              \
    0 /* memo_key_*(): the user id that means "the channel key" */ /* an unset day number */
/* memo_key_*(): the user id that means "the memo's officers' key, sealed to the channel key"
 * (core/access.h access_notes_key()) */
#define STORE_NOTES (-1)

/* An account. Strings are NUL-terminated and sized for their limits. */
#define STORE_LANG_MAX 8 /* bytes of a language code, its NUL included (core/lang.h) */

struct user {
    int64_t id;                                  /* assigned by the store */
    char username[USERNAME_MAX + 1];             /* [a-z0-9._-]{1,64}, unique */
    char display_name[DISPLAY_NAME_MAX + 1];     /* free text, may be empty */
    char email[EMAIL_MAX + 1];                   /* may be empty */
    unsigned roles;                              /* bit set of enum role (core/user.h) */
    char pwhash[PWHASH_MAX];                     /* Argon2id hash string */
    bool disabled;                               /* cannot log in; sessions were deleted */
    int64_t created_at;                          /* unix seconds */
    int64_t updated_at;                          /* unix seconds */
    int64_t version;                             /* bumped by every update, starts at 1 */
    bool has_keys;                               /* the four key fields below are set */
    uint8_t sign_pk[STORE_PUB_LEN];              /* Ed25519 public key */
    uint8_t box_pk[STORE_PUB_LEN];               /* X25519 public key */
    uint8_t key_salt[STORE_SALT_LEN];            /* salt of the password-derived KEK */
    uint8_t keys_wrapped[STORE_WRAPPED_LEN];     /* private keys wrapped under that KEK */
    bool has_recovery;                           /* recovery_wrapped is set */
    uint8_t recovery_wrapped[STORE_WRAPPED_LEN]; /* the same keys under the recovery key's KEK */
    int64_t key_ops;                             /* Argon2id opslimit of key_salt's KEK; 0: */
    int64_t key_mem;                             /*  (older rows) the configured cost; memlimit */
    bool has_enrol;                              /* an enrolment code is outstanding */
    uint8_t enrol_hash[HASH_SHA256_LEN];         /* SHA-256 of that code */
    int64_t enrol_expires;                       /* unix second it stops working */
    int64_t recovery_at;                         /* when the recovery key was issued, 0 never */
    unsigned flags;                              /* STORE_USER_* */
    bool has_log_tag;                            /* log_tag is set (every row since migration 9) */
    uint8_t log_tag[16];                         /* random tag naming the account in the log */
    int64_t reset_at;                            /* an administrator's last reset, 0 never */
    int64_t reset_memo;                          /* the newest memo's id at that reset: while */
                                                 /*  STORE_USER_RESET, older memos are not its */
    int64_t confirm_by;                          /* STORE_USER_HELD: the first officer who */
                                                 /*  confirmed the re-enrolled account, 0 none */
    char key_binding[STORE_BINDING_MAX];         /* with keys: the signed note binding them to */
                                                 /*  the account (core/trust.h); else empty */
    char language[STORE_LANG_MAX];               /* the language it chose (core/lang.h), "" none; */
                                                 /*  not under the MAC: it shows no content */
    uint64_t channels;                           /* the channels its officer, head and principal */
                                                 /*  roles are of: bit N-1 for channel N */
                                                 /*  (core/channels.h); 0 at creation: channel 1 */
    uint8_t mac[STORE_MAC_LEN];                  /* the row's integrity MAC (store.c sets and */
                                                 /*  checks it; callers never touch it) */
};

/* struct user.flags */
#define STORE_USER_REKEY                                                                           \
    1u /* keys made under a password an administrator chose: new ones with the user's next         \
          password change, which is all such a session may do (core/enrol.h) */
#define STORE_USER_RESET                                                                           \
    2u /* reset by an administrator, and what it read before not yet shared again: "no key"        \
          answers say why (core/access.c), and officers see it among the accounts to re-share */
#define STORE_USER_HELD                                                                            \
    4u /* reset, and not yet confirmed by the officers [security] reset_confirmations asked for    \
          at the reset: nothing is sealed to it (no re-share, distribution or grant;               \
          core/reset.h) */
#define STORE_USER_HELD2                                                                           \
    8u /* with STORE_USER_HELD: two officers must confirm (the count is fixed at the reset, so     \
          that lowering the setting later lets nothing through) */
#define STORE_USER_TOTP                                                                            \
    16u /* two-factor sign-in is on: kept by store.c with the TOTP row, so that the account's      \
           MAC tells a deleted TOTP row from none (store_totp_get()) */
#define STORE_USER_PASSKEY                                                                         \
    32u /* the account has a passkey: kept by store.c with the passkey rows, so that the account's \
           MAC tells passkey rows deleted outside Dissent from none (store_passkey_list()) */
#define STORE_USER_SSO                                                                             \
    64u /* the account is linked to a person at the OpenID provider: kept by store.c with the      \
           link row, so that the account's MAC tells a deleted link from none (store_sso_get()) */
#define STORE_USER_DIRECTORY                                                                       \
    128u /* the account is kept in step with the LDAP directory (core/directory.h): disabled when  \
            the directory no longer lists it */
#define STORE_USER_TAMPERED                                                                        \
    (1u << 30) /* never stored: store_user_list() marks a row that fails its integrity check       \
                  (listed with its id and name only, disabled, no roles; it cannot be updated) */

/* A login session. Only the SHA-256 of the bearer token is stored. */
struct session {
    uint8_t hash[HASH_SHA256_LEN];           /* SHA-256 of the token in the cookie */
    int64_t user_id;                         /* owner */
    int64_t created_at;                      /* unix seconds */
    int64_t last_seen;                       /* unix seconds, updated at most once a minute */
    bool has_keys;                           /* keys_wrapped is set */
    uint8_t keys_wrapped[STORE_WRAPPED_LEN]; /* the user's private keys under the token's KEK */
    uint8_t mac[STORE_MAC_LEN];              /* integrity MAC (set and checked by store.c) */
    uint8_t user_tag[16];                    /* not stored: the owner's log tag, which the MAC */
                                             /*  binds (an id can be freed and reused) */
};

/* An account's TOTP second factor (core/totp.h). One row per account: a pending enrolment or an
 * active factor. */
#define STORE_TOTP_CODES 10     /* one-time recovery codes per account */
#define STORE_TOTP_CODE_HASH 32 /* SHA-256 of one recovery code; all zero once used */
struct user_totp {
    int64_t user_id;                                       /* users.id */
    uint8_t sealed[STORE_SEALED_LEN];                      /* the secret sealed to box_pk */
    bool enabled;                                          /* confirmed by a first code */
    int64_t last_step;                                     /* last accepted step, 0 none */
    uint8_t codes[STORE_TOTP_CODES][STORE_TOTP_CODE_HASH]; /* recovery code hashes */
    int64_t created_at;                                    /* unix seconds */
    int64_t updated_at;                                    /* unix seconds */
    int64_t version;                                       /* bumped by every update */
    uint8_t mac[STORE_MAC_LEN]; /* integrity MAC (set and checked by store.c) */
};

/* Relations of a user to a memo (bits in memo_members.relation). */
#define STORE_REL_INVITED 1u     /* invited to co-sign */
#define STORE_REL_DISTRIBUTED 2u /* the memo was distributed to them */
#define STORE_REL_DECLINED 4u    /* declined the invitation */
#define STORE_REL_ASSIGNED 8u    /* the officer handling the memo (core/workflow.h) */
#define STORE_REL_CLEARER 16u    /* an officer asked to clear the reply (core/review.h) */
/* distributed as the head of the author's agency (another channel's agency_head, core/
 * workflow.c): a principal of that channel, who reads this memo for that reason */
#define STORE_REL_AGENCY_HEAD 32u

/* A memo. Text fields are owned byte buffers (not necessarily NUL-terminated: use the lengths);
 * free them with store_memo_release(). */
struct memo {
    int64_t id;                            /* internal, never shown */
    int64_t channel_id;                    /* its channel (core/channels.h); 0 at creation: 1 */
    char public_id[STORE_MEMO_ID_LEN + 1]; /* random id used in URLs and the canonical text */
    int64_t drafter_id;                    /* users.id (store.c opens it from @drafter) */
    int64_t drafter_ref;                   /* the drafter's pseudonym: the stored column */
    uint8_t drafter[STORE_WHO_LEN];        /* the drafter's id sealed by the server */
    bool has_drafter;
    uint8_t member[STORE_WHO_LEN]; /* store_memo_list(): the caller's relation row's sealed id */
    bool has_member;
    int state;      /* enum memo_state (core/memo.h) */
    uint8_t *title; /* title bytes */
    size_t title_len;
    uint8_t *body; /* body bytes */
    size_t body_len;
    bool has_digest;                /* finalized at least once: digest is set */
    uint8_t digest[32];             /* SHA-256 of the canonical text */
    bool show_names;                /* principals see signer names (else only the count) */
    int64_t version;                /* optimistic concurrency, bumped by every update */
    int64_t created_at, updated_at; /* unix seconds */
    int64_t filed_day;              /* day numbers (core/workdays.h) or STORE_DAY_NONE */
    int64_t ack_day, ack_due, reply_due, reply_max, replied_day, closed_day;
    uint8_t *reason; /* decline reason, or NULL */
    size_t reason_len;
    uint8_t *reply; /* the reply text, or NULL */
    size_t reply_len;
    uint8_t *reply_note; /* the signed note binding the reply, or NULL */
    size_t reply_note_len;
    int signer_count;           /* active signatures (read-only, computed) */
    bool has_log;               /* filed: the log fields below are set */
    uint8_t log_tag[16];        /* random tag naming the memo in the public log */
    uint8_t log_salt[32];       /* salt of the digest commitment in its filed entry */
    int64_t log_index;          /* index of its filed entry, or -1 */
    uint8_t mac[STORE_MAC_LEN]; /* the row's integrity MAC (set and checked by store.c) */
    bool tampered;              /* a list's row failed its MAC (backends; store.c drops it) */
    bool has_files;             /* it has attached files: @files is set (core/attach.h) */
    uint8_t files[32];          /* the digest of its file list, under the row's MAC */
};

/* A co-signature, with its signer's names. */
struct signature {
    int64_t memo_id;
    int64_t user_id;            /* opened by store.c from @who */
    int64_t ref;                /* the signer's pseudonym (store.h, "Who"): the column */
    uint8_t who[STORE_WHO_LEN]; /* the signer's id sealed by the server */
    bool has_who;
    char username[USERNAME_MAX + 1];
    char display_name[DISPLAY_NAME_MAX + 1];
    char *note;         /* the signed note text (owned) */
    char *vkey;         /* the signer's vkey when signing (owned) */
    int64_t created_at; /* unix seconds */
    int64_t voided_at;  /* 0 while valid */
    char *void_reason;  /* why it was voided (owned), or NULL */
};

/* A member of a memo: invited co-signer or principal it was distributed to. */
struct memo_member {
    int64_t user_id;            /* opened by store.c from @who */
    int64_t ref;                /* the member's pseudonym (store.h, "Who"): the column */
    uint8_t who[STORE_WHO_LEN]; /* the member's id sealed by the server */
    bool has_who;
    char username[USERNAME_MAX + 1];
    char display_name[DISPLAY_NAME_MAX + 1];
    unsigned relation; /* STORE_REL_* bits */
    int64_t at;        /* when first related, unix seconds */
};

/* A comment, or an entry of a memo's timeline (event). */
struct memo_comment {
    int64_t id;
    int64_t author_id;             /* opened by store.c from @author (the column holds none) */
    uint8_t author[STORE_WHO_LEN]; /* the author's id sealed by the server (store.h, "Who") */
    bool has_author;
    char username[USERNAME_MAX + 1];
    char display_name[DISPLAY_NAME_MAX + 1];
    uint8_t *body; /* owned */
    size_t body_len;
    int64_t at;
};

struct memo_event {
    int64_t id;
    char kind[32];    /* "created", "finalized", "filed", ... */
    int64_t actor_id; /* 0 for the system; opened by store.c from @actor */
    uint8_t actor[STORE_WHO_LEN];
    bool has_actor;
    char username[USERNAME_MAX + 1];
    char *detail;      /* owned, may be NULL (a reason, a date) */
    bool detail_clear; /* @detail is an older clear text the server's MAC vouches for */
    int64_t at;
};

/*
 * A timeline detail an older version wrote in clear: an invitation or distribution count, or
 * "configured principals" (nothing else was). store_trust_adopt() and store_trust_seal_actors()
 * put the server's MAC on each of those shapes, and reads check it (core/content.h: every newer
 * text is sealed under the memo key; any other text in clear is never shown).
 */
enum store_legacy { STORE_LEGACY_EVENT = 0 };

/*
 * Who
 *
 * Who acted is not left in clear for whoever reads the database (docs/security.md, "What a
 * stolen backup still reveals"): the actor of each read-audit record, the author of each
 * comment and the actor of each timeline event are stored only sealed by the server
 * (XChaCha20-Poly1305 under a key derived from the integrity key, bound to the table, the memo
 * and the row: the audit record's number, the comment's or event's time, and an event's kind);
 * the id columns hold none (0 or NULL). store.c seals on every write and opens on every read,
 * and fills in the names; a row whose sealed id does not open reads as actor 0 with no name, and
 * is logged. Databases written before are converted once (store_trust_seal_actors()).
 *
 * Who drafted a memo, who was invited to it or had it distributed, who signed it and who holds
 * its key are not in clear either. The columns that are looked up by account (memos.drafter_id,
 * memo_members.user_id, signatures.user_id, memo_keys.user_id) hold the account's pseudonym
 * (integ_ref(): keyed BLAKE2b of its id, never below STORE_REF_MIN; 0, the channel, stays 0),
 * and the rows carry the id sealed as above beside it (a member's and a signer's bound to the
 * memo's public id too), which store.c opens and checks against the pseudonym on every read,
 * lookups included: a row that fails relates nobody, and is logged. A signature's note and vkey
 * (which name the signer) are sealed by the server as "sealed:" texts. The backends take and return
 * pseudonyms only: the store_*() calls take account ids and map them. What the pseudonyms still
 * reveal (that one account drafted, signed or holds the key of several memos) is in
 * docs/security.md.
 */
enum store_who {
    STORE_WHO_AUDIT,
    STORE_WHO_COMMENT,
    STORE_WHO_EVENT,
    STORE_WHO_DRAFTER, /* a memo's drafter (row 0) */
    STORE_WHO_MEMBER,  /* an invited co-signer or a principal (row 0) */
    STORE_WHO_SIGNER,  /* a signature's signer (row: its time) */
};
struct legacy_actor {
    enum store_who table;
    int64_t id, memo_id;
    int64_t row;   /* what the sealed id is bound to besides the memo (see above) */
    char kind[32]; /* an event's kind, also bound; "" otherwise */
    int64_t who;   /* the id in clear */
};
/* A row of an earlier version naming an account in clear (store_trust_seal_actors()). */
enum store_person {
    STORE_PERSON_DRAFTER,
    STORE_PERSON_MEMBER,
    STORE_PERSON_SIGNER,
    STORE_PERSON_KEY
};
struct legacy_person {
    enum store_person table;
    int64_t memo_id;
    int64_t id;                            /* a signature's row id; 0 otherwise */
    int64_t user_id;                       /* the id in clear */
    int64_t at;                            /* a signature's time; 0 otherwise */
    char public_id[STORE_MEMO_ID_LEN + 1]; /* the memo's ("" for a memo key) */
    char *note;                            /* a signature's note and vkey (owned); NULL otherwise */
    char *vkey;
};
struct legacy_text {
    enum store_legacy table;
    int64_t id, memo_id;
    int64_t who;   /* the event's actor, the signature's signer */
    int64_t at;    /* the event's time, the signature's voiding */
    char kind[32]; /* the event's kind; "" for a void reason */
    char *text;    /* owned */
};

/* One record of the read audit (a hash chain over the whole database). */
struct audit_record {
    int64_t id;                      /* position in the chain, from 1 */
    int64_t memo_id;                 /* internal memo id */
    int64_t actor_id;                /* users.id (opened by store.c from @actor) */
    char username[USERNAME_MAX + 1]; /* the actor's name (read-only, filled by store.c) */
    uint8_t actor[STORE_WHO_LEN];    /* the actor's id sealed by the server */
    bool has_actor;
    char action[32];  /* "read", "filed", ... */
    int64_t at;       /* unix seconds */
    uint8_t hash[32]; /* SHA-256 chaining this record to the previous one */
};

/* Outbox status (outbox.status). */
#define STORE_OUTBOX_PENDING 0 /* waiting to be sent (again) at next_at */
#define STORE_OUTBOX_SENT 1    /* the SMTP server accepted it */
#define STORE_OUTBOX_FAILED 2  /* gave up after the configured attempts */
#define STORE_OUTBOX_KEY_MAX 128
#define STORE_OUTBOX_KIND_MAX 32
#define STORE_OUTBOX_SUBJECT_MAX 200
#define STORE_OUTBOX_BODY_MAX 4096

/* One email in the outbox (core/notify.c writes them, core/mailer.c sends them). */
struct outbox_item {
    int64_t id;                            /* assigned by the store */
    char dedupe[STORE_OUTBOX_KEY_MAX + 1]; /* unique: the same notification is queued once */
    char kind[STORE_OUTBOX_KIND_MAX + 1];  /* "filed", "reminder", ... (core/notify.h) */
    int64_t user_id;          /* the recipient account, 0 for a configured address (store.c opens it
                                 from the sealed email; 0 in store_outbox_list()) */
    char rcpt[EMAIL_MAX + 1]; /* the address */
    char *subject;            /* owned; NULL in store_outbox_list() */
    char *body;               /* owned; NULL in store_outbox_list() */
    int status;               /* STORE_OUTBOX_* */
    int attempts;             /* failed attempts so far */
    int64_t next_at;          /* pending: not before (unix seconds) */
    int64_t created_at;       /* unix seconds */
    int64_t sent_at;          /* unix seconds, 0 until sent */
    uint8_t mac[STORE_MAC_LEN]; /* integrity MAC of what is sent (store.c; store_outbox_due()) */
};

/* One memo key sealed to one account (store_memo_keys_of()). */
struct memo_key_row {
    int64_t memo_id;
    char public_id[STORE_MEMO_ID_LEN + 1]; /* the memo's, as its row says (the MAC binds it) */
    uint8_t sealed[STORE_SEALED_LEN];
    uint8_t mac[STORE_MAC_LEN]; /* stored after the sealed key (store.c checks it) */
};

/* One account's row of a memo, looked up by its pseudonym (store.h, "Who"; backends). */
struct store_related {
    bool found;
    int64_t value; /* a member's relation bits */
    int64_t at;    /* a signature's time */
    uint8_t who[STORE_WHO_LEN];
    bool has_who;
};

/* Which memos a user may see (store_memo_list()). */
struct memo_filter {
    int64_t user_id;    /* the viewer */
    unsigned relations; /* STORE_REL_* relations that make a memo visible to them */
    unsigned excluded;  /* STORE_REL_* relations that hide it all the same (a declined
                           invitation) */
    bool drafted;       /* memos they drafted are visible */
    int all_from;       /* > 0: every memo in this state or a later one is visible (officers:
                           core's MEMO_FILED); 0: none by its state alone */
    int64_t since_id;   /* the relations above count only for memos with an internal id above
                           this (after an account's reset: core/reset.h); 0: every memo */
    uint64_t channels;  /* with all_from: only the memos of these channels (bit N-1 for channel
                           N: an officer's own); 0: of every channel */
    int state;          /* only this state, or -1 */
    int64_t after;      /* paginate: internal ids below this (0 = from the newest) */
    int limit;          /* at most this many */
};

/* A column value in the neutral form that every backend exports and imports (dissent migrate):
 * the schema holds only 64-bit integers, text and blobs, each column possibly NULL. */
enum store_value_kind { STORE_VAL_NULL, STORE_VAL_INT, STORE_VAL_TEXT, STORE_VAL_BLOB };

struct store_value {
    enum store_value_kind kind;
    int64_t i;        /* STORE_VAL_INT */
    const uint8_t *p; /* STORE_VAL_TEXT / STORE_VAL_BLOB bytes, not NUL-terminated */
    size_t len;       /* their length */
};

/* Called by store_table_dump() once per row with its @n values, in the order store_table_load()
 * takes them; the values are valid during the call only. A nonzero return stops the dump and is
 * returned. */
typedef int (*store_row_fn)(void *ctx, const struct store_value *row, size_t n);

struct store;
struct sql_driver;

/* The common head of every backend's connection object. */
struct store {
    const struct sql_driver *drv; /* the database's driver (sql.h) */
    long fault_at;                /* fault injection: the armed call number, 0 when none */
    long fault_calls;             /* calls counted since store_fault_at() */
    bool fault_fired;             /* the armed call has failed */
    long fault_commits;           /* @commits when it did */
    long commits;                 /* changes committed on this connection: transactions, and
                                     writes outside one */
    bool in_txn;                  /* between store_begin() and store_commit()/_rollback() */
    bool defer;                   /* store_defer(): this transaction's inserts are deferred */
    bool defer_failed;            /* a deferred insert failed (store_defer_failed()) */
    bool audit_known;             /* this transaction appended the read audit's last record: */
    int64_t audit_id;             /* its number */
    uint8_t audit_hash[32];       /* and hash (store_audit_last() without a query) */
    long writes;                  /* write statements run on this connection (sql.c) */
    struct store_cache *cache;    /* recent reads of accounts, sessions and two-factor rows,
                                     while nothing changed them (store.c), or NULL; wiped */
    bool cache_hold;              /* store_cache_request(): one request under way ... */
    bool cache_checked;           /* ... whose first cached read checked the generation */
    uint64_t cache_epoch;         /* moves each time the read cache is emptied */
    uint8_t *trust_key;           /* the integrity MAC key (store_trust_set()), owned, wiped */
    uint8_t *log_mac_key;         /* the log entries' MAC key (core/ledger.h), owned, wiped */
    char *trust_dir;              /* the data directory of the files the database cannot change
                                     (core/trust.h reads them; the store never does), owned */
    bool adopting;                /* store_trust_adopt() is re-MACing every row */
    bool actors_clear;            /* actor ids in clear are still read (before the conversion:
                                     store_trust_seal_actors(), core/trust.h) */
};

/*
 * Fault injection, for tests: store_fault_at(st, n) makes the n-th call from now through the
 * store_*() functions below that can fail (all but store_close(), store_ping(), store_leader(),
 * the rollbacks and the table copy used by migrate) fail with ERR_DB without reaching the
 * database, once; store_commit() rolls back first, as a failed commit does. n = 0 disarms,
 * keeping store_fault_fired() for inspection.
 * Per connection, like the connection itself.
 */
void store_fault_at(struct store *st, long n);
/** store_fault_fired() - true once the armed failure has happened. */
bool store_fault_fired(const struct store *st);

/**
 * store_open() - open (creating and migrating if needed) the database described by @uri.
 * @uri: "sqlite:PATH", a bare directory (then PATH is DIR/dissent.db), or a libpq URI
 *       "postgresql://..." / "postgres://..." (several servers may share that database).
 * @out: receives the connection; the caller owns it and frees it with store_close().
 * Returns 0, ERR_INVALID (unknown scheme) or ERR_DB, with a message in @err.
 */
int store_open(const char *uri, struct store **out, char *err, size_t errlen);

/** store_close() - close a connection; NULL is a no-op. */
void store_close(struct store *st);

/*
 * Integrity. Whoever can write the database (a DBA, the PostgreSQL role, the SQLite file) is not
 * trusted (docs/security.md). The rows that decide who can sign in and what is sealed to whom
 * carry a MAC under a key the database never holds (core/trust.h derives it from channel.skey):
 *  - accounts: every field but the timestamps and version (password hash, keys and their wraps,
 *    roles, flags, enrolment and reset state, names, email);
 *  - sessions: token hash, owner and creation time;
 *  - TOTP rows: the sealed secret, whether it is on, the last step, the recovery codes;
 *  - envelopes: a memo key sealed to an account or the channel (bound to memo and account), and
 *    a channel grant (bound to the account);
 *  - memos: every stored field (the texts by their SHA-256), the id and version included, so a
 *    state, a day, a deadline, a digest or a text cannot be changed alone; a list leaves out a
 *    row that fails.
 * The wrappers below compute the MAC on every write and check it on every read: a row that fails
 * gives ERR_INTEGRITY (a list of accounts marks it instead: store_user_list()), and the failure is
 * logged. A connection without a key refuses these calls (ERR_INTERNAL): set it right after
 * store_open().
 */

/**
 * store_trust_set() - the connection's integrity key, the log entries' MAC key @log_key (may be
 * NULL: then nothing can be appended to the log), both copied and wiped at store_close(), and
 * the data directory @dir that holds what the database cannot change (copied; core/trust.h).
 */
int store_trust_set(struct store *st, const uint8_t key[STORE_TRUST_KEY_LEN],
                    const uint8_t *log_key, const char *dir);

/**
 * store_trust_adopt() - MAC every existing row as it is now, inside the caller's transaction:
 * once, when an older database is first opened by a version that checks (core/trust.h decides
 * when). Sessions are deleted instead (everyone signs in again). *@rows counts what was MAC'd.
 */
int store_trust_adopt(struct store *st, int64_t now, int64_t *rows);

/**
 * store_trust_adopted() - whether the database's rows already carry MACs (of any key): then it
 * was written by a version that checks, and a data directory without its channel.pin is not
 * the one it was written with (core/trust.h refuses to adopt it implicitly).
 */
int store_trust_adopted(struct store *st, bool *yes);

/**
 * store_trust_seal_actors() - convert an earlier version's rows, in one transaction of its own:
 * mark its clear timeline details, MAC every memo row, seal every actor id still in clear
 * (store.h, "Who"); *@rows counts them. core/trust.h runs it once, and records it in the
 * pin: afterwards an id in clear is never read as an actor.
 */
int store_trust_seal_actors(struct store *st, int64_t *rows);

/**
 * store_trust_seal_people() - convert an earlier version's rows naming accounts in clear (who
 * drafted, was invited to, signed or holds the key of a memo: store.h, "Who") to pseudonyms and
 * sealed ids, in one transaction of its own; *@rows counts them. core/trust.h runs it once,
 * after store_trust_seal_actors(), and records it in the pin.
 */
int store_trust_seal_people(struct store *st, int64_t *rows);

/**
 * store_trust_flag_passkeys() - set STORE_USER_PASSKEY on every account that has passkey rows
 * (an earlier version's: the flag came after them), in one transaction of its own; *@rows counts
 * the accounts. core/trust.h runs it once, after store_trust_seal_people(), and records it in
 * the pin; from then on an account whose flag and rows disagree is an integrity error.
 */
int store_trust_flag_passkeys(struct store *st, int64_t *rows);

/** store_ping() - 0 when the database answers a trivial query. */
int store_ping(struct store *st);

/**
 * store_scrub() - after a change that superseded secrets (wrapped keys, a password hash): make
 * the old versions leave the disk where the backend can. SQLite (secure_delete is on) moves the
 * write-ahead log into the database file and truncates it, so no old page image stays in the
 * WAL; when a reader holds the WAL, the old frames go at the next checkpoint (logged).
 * PostgreSQL: nothing (its WAL and old row versions are the cluster's; docs/security.md).
 * Never fails the caller: the change it follows is already committed.
 */
void store_scrub(struct store *st);

/**
 * store_user_create() - insert @u (id, version, timestamps are set in @u). ERR_EXISTS if taken.
 * @u->id on entry is the least id to give it (0: any): core/trust.h never lets an id be given
 * twice, even when the database would.
 */
int store_user_create(struct store *st, struct user *u);

/** store_user_get_by_name() - load the user called @username into @out. */
int store_user_get_by_name(struct store *st, const char *username, struct user *out);

/** store_user_get_by_id() - load user @id into @out. */
int store_user_get_by_id(struct store *st, int64_t id, struct user *out);

/**
 * store_user_list() - up to @limit users ordered by username, starting after @after
 * (NULL or "" for the first page). *@out is a malloc'd array the caller frees with mem_free().
 * An account whose row fails its integrity check is listed with STORE_USER_TAMPERED set, its
 * id and username only, disabled and without roles, so that nothing is decided on what it says.
 */
int store_user_list(struct store *st, const char *after, int limit, struct user **out,
                    size_t *count);

/**
 * store_user_update() - write every mutable field of @u (keys included) when the stored version
 * equals
 * @u->version; then @u->version is incremented. ERR_CONFLICT on a version mismatch.
 */
int store_user_update(struct store *st, struct user *u);

/** store_user_count() - number of accounts. */
int store_user_count(struct store *st, int64_t *count);

/** store_memo_last_id() - the newest memo's internal id, 0 when there is none. */
int store_memo_last_id(struct store *st, int64_t *id);

/** store_user_last_id() - the highest account id, 0 when there is none. */
int store_user_last_id(struct store *st, int64_t *id);

/** store_session_create() - insert a session; @s->user_tag must be its owner's log tag. */
int store_session_create(struct store *st, const struct session *s);

/**
 * store_session_get() - load the session whose token hashes to @hash. Its MAC binds its owner's
 * random log tag, which only the owner's row knows: check it with store_session_bound() once
 * that row is loaded, before anything else is done with the session.
 */
int store_session_get(struct store *st, const uint8_t hash[HASH_SHA256_LEN], struct session *out);

/**
 * store_session_bound() - 0 when @s's MAC holds for its owner @u (its id and log tag: a session
 * row put back after its account was deleted and its id reused does not pass); ERR_INTEGRITY,
 * logged, otherwise.
 */
int store_session_bound(struct store *st, const struct session *s, const struct user *u);

/** store_session_touch() - set last_seen to @now. */
int store_session_touch(struct store *st, const uint8_t hash[HASH_SHA256_LEN], int64_t now);

/** store_session_delete() - remove one session (no error if absent). */
int store_session_delete(struct store *st, const uint8_t hash[HASH_SHA256_LEN]);

/** store_session_delete_user() - remove every session of @user_id. */
int store_session_delete_user(struct store *st, int64_t user_id);

/** store_session_purge() - remove sessions idle since before @idle_before or created before
 *  @created_before. */
int store_session_purge(struct store *st, int64_t idle_before, int64_t created_before);

/** store_login_failure_add() - record a failed login under @key ("u:NAME" or "a:ADDR"). */
int store_login_failure_add(struct store *st, const char *key, int64_t now);

/** store_login_failure_count() - failures under @key at or after @since, and the newest's time
 *  (0 when none). Older records are deleted on the way. */
int store_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                              int64_t *newest);

/** store_login_failure_take() - delete one failure under @key at @at (a reserved attempt that
 *  succeeded, core/session.h); none is no error. */
int store_login_failure_take(struct store *st, const char *key, int64_t at);

/** store_login_failure_clear() - forget the failures under @key (after a successful login). */
int store_login_failure_clear(struct store *st, const char *key);

/** store_begin() - start a write transaction (takes the write lock at once). */
int store_begin(struct store *st);

/** store_commit() - commit; on failure the transaction is rolled back. */
int store_commit(struct store *st);

/** store_rollback() - abandon the transaction; safe to call when none is open. */
int store_rollback(struct store *st);

/**
 * store_memo_create() - insert @m (id, version set in @m). ERR_EXISTS on a public id clash. The
 * fields the insert leaves to the schema's defaults must hold them in @m (no digest, days
 * STORE_DAY_NONE, no reason, reply or log fields, log_index -1): the row's MAC is made of @m.
 */
int store_memo_create(struct store *st, struct memo *m);

/** store_memo_get() - load the memo with @public_id into @out (release with
 *  store_memo_release()), with its signer_count. */
int store_memo_get(struct store *st, const char *public_id, struct memo *out);

/**
 * store_memo_update() - write every mutable field of @m when the stored version equals
 * @m->version; then @m->version is incremented. ERR_CONFLICT on a mismatch.
 */
int store_memo_update(struct store *st, struct memo *m);

/**
 * store_memo_delete() - remove @m when the stored version equals @m->version (ERR_CONFLICT on a
 * mismatch): every copy of its key, its members, signatures, comments and timeline, then its
 * row. Its internal id is kept among the deleted, so that no later memo is given it (the read
 * audit keeps its records under that id). Run it inside a transaction: it is several statements.
 */
int store_memo_delete(struct store *st, const struct memo *m);

/**
 * store_memo_list() - the memos @f allows, newest first, without their text fields (title is
 * included). *@out is an array the caller frees with store_memo_list_free().
 */
int store_memo_list(struct store *st, const struct memo_filter *f, struct memo **out,
                    size_t *count);

/** store_member_drop() - clear @relation bits of @user_id on @memo_id (none is no error). */
int store_member_drop(struct store *st, int64_t memo_id, int64_t user_id, unsigned relation);

/** store_member_add() - add @relation bits for @user_id on memo @m (merging with existing). */
int store_member_add(struct store *st, const struct memo *m, int64_t user_id, unsigned relation,
                     int64_t at);

/**
 * store_defer() - until this transaction ends, its inserts of one row (a signature, an audit
 * record, a notice) are sent without waiting for the answer where the database allows it
 * (PostgreSQL's pipeline: one round trip for many inserts, under the write lock of every
 * server); SQLite runs them as always. Such an insert answers 0 at once: a clash (a row that
 * exists already) or another failure fails the next statement or the commit instead, and then
 * store_defer_failed() is true. Use it only where a failure anywhere in the transaction is
 * handled as a failure of the whole of it.
 */
void store_defer(struct store *st);

/** store_defer_failed() - a deferred insert of the current (or last) transaction failed. */
bool store_defer_failed(const struct store *st);

/** store_member_get() - the relation bits of @user_id on memo @m (0 when none, or when the row
 *  does not name the account as Dissent wrote it: logged). */
int store_member_get(struct store *st, const struct memo *m, int64_t user_id, unsigned *relation);

#define STORE_MEMBERS_MANY 16 /* accounts store_member_get_many() reads at once */

/**
 * store_member_get_many() - store_member_get() of each of @user_ids[0..@n) on memo @m in one
 * query (1 <= @n <= STORE_MEMBERS_MANY; an account may be given twice): @relations[i] is that of
 * @user_ids[i]. Returns 0, ERR_INVALID for a bad @n, or the database's error.
 */
int store_member_get_many(struct store *st, const struct memo *m, const int64_t *user_ids, size_t n,
                          unsigned *relations);

/** store_member_list() - members having any of @relation bits, by username. mem_free() *@out. */
int store_member_list(struct store *st, const struct memo *m, unsigned relation,
                      struct memo_member **out, size_t *count);

/** store_signature_add() - record a valid signature on memo @m (@sig->memo_id is @m's).
 *  ERR_EXISTS if the user already has one. */
int store_signature_add(struct store *st, const struct memo *m, const struct signature *sig);

/** store_signature_withdraw() - delete @user_id's valid signature. ERR_NOT_FOUND if none. */
int store_signature_withdraw(struct store *st, int64_t memo_id, int64_t user_id);

/** store_signature_has() - whether @user_id has a valid signature on memo @m (a row that does
 *  not name the account as Dissent wrote it is none: logged). */
int store_signature_has(struct store *st, const struct memo *m, int64_t user_id, bool *yes);

/** store_signature_void_all() - mark every valid signature of @memo_id void, with @reason. */
int store_signature_void_all(struct store *st, int64_t memo_id, const char *reason, int64_t at);

/**
 * store_signature_list() - signatures of memo @m in signing order (void ones too when
 * @include_void). Free with store_signature_list_free().
 */
int store_signature_list(struct store *st, const struct memo *m, bool include_void,
                         struct signature **out, size_t *count);

/** store_comment_add() - append a comment (id and names are set in @c). */
int store_comment_add(struct store *st, int64_t memo_id, struct memo_comment *c);

/** store_comment_list() - comments of @memo_id, oldest first. Free with
 *  store_comment_list_free(). */
int store_comment_list(struct store *st, int64_t memo_id, struct memo_comment **out, size_t *count);

/** store_event_add() - append to @memo_id's timeline; @detail may be NULL. */
int store_event_add(struct store *st, int64_t memo_id, const char *kind, int64_t actor_id,
                    const char *detail, int64_t at);

/** store_event_list() - the timeline, oldest first. Free with store_event_list_free(). */
int store_event_list(struct store *st, int64_t memo_id, struct memo_event **out, size_t *count);

/** store_memo_key_put() - store (or replace) the key of memo @memo_id (whose random public id
 *  is @public_id: the envelope's MAC binds both, so that a memo row moved to another id finds
 *  no envelope) sealed to @user_id's encryption key, or to the channel key (STORE_CHANNEL). */
int store_memo_key_put(struct store *st, int64_t memo_id, const char *public_id, int64_t user_id,
                       const uint8_t sealed[STORE_SEALED_LEN], int64_t at);

/** store_memo_key_get() - the sealed key of memo @memo_id (@public_id) for @user_id (or
 *  STORE_CHANNEL); ERR_NOT_FOUND, or ERR_INTEGRITY when its MAC fails for that memo. */
int store_memo_key_get(struct store *st, int64_t memo_id, const char *public_id, int64_t user_id,
                       uint8_t sealed[STORE_SEALED_LEN]);

/** store_memo_key_delete() - forget @memo_id's key sealed to @user_id (none is no error). */
int store_memo_key_delete(struct store *st, int64_t memo_id, int64_t user_id);

/**
 * store_memo_keys_of() - every memo key sealed to @user_id, by memo id (re-keying an account,
 * core/enrol.h). *@out is mem_free()d by the caller.
 */
int store_memo_keys_of(struct store *st, int64_t user_id, struct memo_key_row **out, size_t *count);

/**
 * store_memo_keys_of_channel() - the memo keys sealed to @holder (STORE_CHANNEL or STORE_NOTES)
 * of the memos of @channel, by memo id (a rotation of that channel's key, core/enrol.h).
 */
int store_memo_keys_of_channel(struct store *st, int64_t holder, int64_t channel,
                               struct memo_key_row **out, size_t *count);

/*
 * Each channel (1 to 64, core/channels.h) has its own encryption key pair: the public half in
 * channel_key (its id the channel's number), the private half sealed to each officer granted it
 * in channel_grants (one row per account and channel, under a MAC that names the channel).
 */

/** store_channel_key_get() - @channel's public encryption key; ERR_NOT_FOUND before one of its
 *  officers enrolled. */
int store_channel_key_get(struct store *st, int64_t channel, uint8_t pk[STORE_PUB_LEN]);

/** store_channel_key_rotate() - replace @channel's key's public half (core/enrol.h: a re-key of
 *  a holder whose keys an administrator could open); ERR_NOT_FOUND when there is none. */
int store_channel_key_rotate(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                             int64_t by, int64_t at);

/** store_channel_key_create() - record @channel's key; ERR_EXISTS when it has one already. */
int store_channel_key_create(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                             int64_t by, int64_t at);

/** store_channel_grant_put() - @channel's private key sealed to officer @user_id. */
int store_channel_grant_put(struct store *st, int64_t channel, int64_t user_id,
                            const uint8_t sealed[STORE_SEALED_LEN], int64_t by, int64_t at);

/** store_channel_grant_get() - @user_id's sealed key of @channel; ERR_NOT_FOUND when not
 *  granted, ERR_INTEGRITY when its MAC fails (for that account and that channel). */
int store_channel_grant_get(struct store *st, int64_t channel, int64_t user_id,
                            uint8_t sealed[STORE_SEALED_LEN]);

/** store_channel_grant_delete() - forget @user_id's grant of @channel (none is no error). */
int store_channel_grant_delete(struct store *st, int64_t channel, int64_t user_id);

/** store_channel_grants_of() - the set of channels (bit N-1 for channel N) whose key @user_id
 *  was granted, each grant's MAC checked (ERR_INTEGRITY when one fails). */
int store_channel_grants_of(struct store *st, int64_t user_id, uint64_t *channels);

#define STORE_REVOKE_MEMO_KEYS 1u /* every memo key sealed to the account */
#define STORE_REVOKE_GRANT 2u     /* its channel grants, every channel's */

/** store_user_revoke_keys() - delete what @what names (STORE_REVOKE_*) sealed to @user_id. */
int store_user_revoke_keys(struct store *st, int64_t user_id, unsigned what);

/**
 * store_totp_get() - @user_id's TOTP row into @out; ERR_NOT_FOUND when there is none. Whether
 * the factor is on is also kept in the account's row (STORE_USER_TOTP, under its MAC): a row
 * deleted or replaced by an older one while the account says it is on is ERR_INTEGRITY.
 */
int store_totp_get(struct store *st, int64_t user_id, struct user_totp *out);

/**
 * store_totp_put() - insert @t (a new, not yet enabled enrolment) or replace the account's
 * pending one; sets @t's version to 1. ERR_EXISTS when the account's factor is enabled.
 */
int store_totp_put(struct store *st, struct user_totp *t);

/**
 * store_totp_update() - write @t's enabled flag, last step, recovery code hashes and updated_at
 * when the stored version is @t->version (then bumped in @t); ERR_CONFLICT otherwise (another
 * request used a code meanwhile: a replayed code cannot win twice).
 */
int store_totp_update(struct store *st, struct user_totp *t);

/** store_totp_delete() - remove @user_id's TOTP row (none is not an error). */
int store_totp_delete(struct store *st, int64_t user_id);

/** store_savepoint() - open a savepoint inside the current transaction (one level). */
int store_savepoint(struct store *st);

/** store_savepoint_release() - keep what was done since the savepoint. */
int store_savepoint_release(struct store *st);

/** store_savepoint_rollback() - undo what was done since the savepoint, and close it. */
int store_savepoint_rollback(struct store *st);

/** store_memo_head() - a memo's state, version and valid-signature count, without its text. */
int store_memo_head(struct store *st, const char *public_id, int *state, int64_t *version,
                    int *signer_count);

/**
 * store_leader() - whether this connection leads the periodic work among every server sharing
 * the database: true for one connection at a time (held until that connection closes, so a
 * server that dies hands it on). A database of one process is always led by it.
 */
int store_leader(struct store *st, bool *yes);

/** store_tlog_size() - the live log's size (0 when empty). */
int store_tlog_size(struct store *st, uint64_t *size);

/** store_tlog_set_size() - record the size after an append (inside its transaction). */
int store_tlog_set_size(struct store *st, uint64_t size);

/**
 * store_tlog_tile_get() - the widest stored version of tile (@level, @index): level -1 is the
 * entry bundle, 64+L hint rows (tlog/tile.h). *@data is malloc'd (mem_free()). ERR_NOT_FOUND.
 */
int store_tlog_tile_get(struct store *st, int level, uint64_t index, uint8_t **data, size_t *len,
                        unsigned *width);

/** store_tlog_tile_put() - store (replacing a narrower version) a tile. */
int store_tlog_tile_put(struct store *st, int level, uint64_t index, unsigned width,
                        const uint8_t *data, size_t len);

/* What GET /metrics reads of the database (api/metrics.c): counts and a time, nothing else. */
struct store_ops_figures {
    int64_t outbox[3];     /* emails by STORE_OUTBOX_* status */
    int64_t checkpoint_at; /* when the newest checkpoint was signed (unix seconds); 0: none */
};

/** store_ops_figures() - the outbox by status and the newest checkpoint's time, in *@out. */
int store_ops_figures(struct store *st, struct store_ops_figures *out);

/** store_tlog_checkpoint_latest() - the newest signed checkpoint and its size; ERR_NOT_FOUND. */
int store_tlog_checkpoint_latest(struct store *st, uint64_t *size, char **text);

/** store_tlog_checkpoint_put() - keep a signed checkpoint (one per size; a second is ignored). */
int store_tlog_checkpoint_put(struct store *st, uint64_t size, const char *text, int64_t at);

/** store_tlog_checkpoint_get() - the checkpoint of @size and its witness count; ERR_NOT_FOUND. */
int store_tlog_checkpoint_get(struct store *st, uint64_t size, char **text, int *cosigs);

/** store_tlog_checkpoint_witnessed() - the newest checkpoint whose text carries at least @cosigs
 *  witness cosignatures (as counted by store_tlog_checkpoint_cosign()); ERR_NOT_FOUND. */
int store_tlog_checkpoint_witnessed(struct store *st, int cosigs, uint64_t *size, char **text);

/** store_tlog_checkpoint_cosign() - replace the text of the checkpoint of @size by @text, the
 *  same checkpoint with @cosigs witness cosignatures verified (core/witness.h). */
int store_tlog_checkpoint_cosign(struct store *st, uint64_t size, const char *text, int cosigs);

/**
 * store_keyed() - keyed BLAKE2b-256 of @len bytes of @data under a key derived from the
 * connection's integrity key and @label (core/audit.c chains the read audit with it, so that
 * neither can a chain be forged nor a sealed actor guessed back from it). ERR_INTERNAL without
 * a key.
 */
int store_keyed(const struct store *st, const char *label, const void *data, size_t len,
                uint8_t out[32]);

/** store_audit_set_hash() - replace record @id's hash (the chain is being re-made). */
int store_audit_set_hash(struct store *st, int64_t id, const uint8_t hash[32]);

/**
 * store_audit_last() - the newest audit record's number, memo, action, time and hash, for
 * chaining (its actor is not opened: actor_id 0, no name); ERR_NOT_FOUND when the chain is
 * empty.
 */
int store_audit_last(struct store *st, struct audit_record *out);

/** store_audit_insert() - append @rec (its id must be the last id + 1; the caller holds the
 *  write transaction). */
int store_audit_insert(struct store *st, const struct audit_record *rec);

/**
 * store_audit_list() - up to @limit records with id > @after, oldest first: of @memo_id, or of
 * every memo when @memo_id is 0. mem_free() *@out.
 */
int store_audit_list(struct store *st, int64_t memo_id, int64_t after, int limit,
                     struct audit_record **out, size_t *count);

/* ---- the email outbox (core/notify.c, core/mailer.c) ---- */

/**
 * store_outbox_add() - queue @it (dedupe, kind, user_id, rcpt, subject, body, next_at,
 * created_at are used). A row with the same dedupe key already queued makes this a no-op that
 * succeeds, so a notification computed twice is sent once. Usually inside the caller's
 * transaction, the one that makes the change the email tells of.
 */
int store_outbox_add(struct store *st, const struct outbox_item *it);

/**
 * store_outbox_due() - up to @limit pending items with next_at <= @now, oldest first, with
 * their subject and body. Free with store_outbox_list_free().
 */
int store_outbox_due(struct store *st, int64_t now, int limit, struct outbox_item **out,
                     size_t *count);

/**
 * store_outbox_claim() - take pending item @id for sending: its next_at moves to @until (a
 * lease: a sender that dies mid-send leaves it to be retried then). ERR_CONFLICT when the item
 * is no longer pending and due at @now (another sender took it).
 */
int store_outbox_claim(struct store *st, int64_t id, int64_t now, int64_t until);

/** store_outbox_finish() - record the outcome of an attempt on item @id. */
int store_outbox_finish(struct store *st, int64_t id, int status, int attempts, int64_t next_at,
                        int64_t sent_at);

/**
 * store_outbox_list() - up to @limit items with id < @after (0: from the newest), newest first,
 * without subject and body (the admin view shows status only). Free with
 * store_outbox_list_free().
 */
int store_outbox_list(struct store *st, int64_t after, int limit, struct outbox_item **out,
                      size_t *count);

/** store_outbox_list_free() - free an array from store_outbox_due() or _list(). */
void store_outbox_list_free(struct outbox_item *arr, size_t count);

/** store_notify_prefs_get() - the notifications @user_id turned off (core/notify.h bits; 0 when
 *  never set). */
int store_notify_prefs_get(struct store *st, int64_t user_id, unsigned *off);

/** store_notify_prefs_set() - replace the notifications @user_id turned off. */
int store_notify_prefs_set(struct store *st, int64_t user_id, unsigned off);

/**
 * store_language_get() - the language @user_id chose (core/lang.h's code) into @out (@len
 * bytes), "" when none (its browser's then). Not covered by a MAC: a database writer can change
 * the language of someone's interface and emails, which tells and changes no content.
 */
int store_language_get(struct store *st, int64_t user_id, char *out, size_t len);

/** store_language_set() - @user_id's language: a code (the caller checks it), or "" for none. */
int store_language_set(struct store *st, int64_t user_id, const char *code);

/* ---- the calendar run at runtime (core/calendar.h) ---- */

#define STORE_CAL_CLOSURE 1      /* a closed day: first == last */
#define STORE_CAL_STOP 2         /* a clock stop from first to last (-1 while it runs) */
#define STORE_CAL_REASON_MAX 200 /* bytes of a reason */

/* One runtime calendar change. Its MAC covers every field, the id included (a row copied under
 * another id fails it). A deleted row, or one put back to an earlier version of itself (a stop
 * that had ended, running again), is not caught: the transparency log's calendar entries keep
 * what happened. */
struct calendar_row {
    int64_t id;
    int kind;      /* STORE_CAL_* */
    int64_t first; /* the first closed day */
    int64_t last;  /* the last one; -1 for a clock stop still running */
    char reason[STORE_CAL_REASON_MAX + 1];
    int64_t created_at; /* unix seconds */
    int64_t removed_at; /* a closure taken back: when; else 0 */
    uint8_t mac[STORE_MAC_LEN];
};

/** store_calendar_add() - insert @r (its MAC set here, so inside a transaction); *@r->id receives
 *  its id. */
int store_calendar_add(struct store *st, struct calendar_row *r);

/** store_calendar_update() - store @r's last day and removal (its MAC set here). */
int store_calendar_update(struct store *st, struct calendar_row *r);

/**
 * store_calendar_list() - every row, oldest first, each MAC checked (ERR_INTEGRITY, logged, for
 * one that fails). *@out is malloc'd (mem_free()).
 */
int store_calendar_list(struct store *st, struct calendar_row **out, size_t *count);

/* ---- channels (core/channels.h; docs/channels.md) ---- */

#define STORE_CHANNEL_SLUG_MAX 32        /* bytes of a channel's short name */
#define STORE_CHANNEL_NAME_MAX 128       /* bytes of its display name */
#define STORE_CHANNEL_SETTINGS_MAX 16384 /* bytes of its settings (a JSON object) */

/* One channel. Its MAC covers every field, the id included, the settings by their SHA-256. The
 * migrations' row 1 (slug "main", no name, "{}", created 0) carries none: it is accepted without
 * one only while it is exactly that. */
struct channel_row {
    int64_t id;
    char slug[STORE_CHANNEL_SLUG_MAX + 1];
    char name[STORE_CHANNEL_NAME_MAX + 1];
    char *settings; /* malloc'd: its own settings over [channel]'s, a JSON object of strings */
    int64_t created_at;
    uint8_t mac[STORE_MAC_LEN];
    int64_t version; /* 1 when made, one more each change, under the MAC (0: a row made before
                        versions, covered without it); pinned (core/trust.h) */
};

/** store_channel_add() - insert @r as the next channel (its MAC set here, so inside a
 *  transaction), numbered one above the highest there, and at least @r->id (the pin's: a
 *  number deleted from the database is never given again); *@r->id receives its number.
 *  ERR_EXISTS for a slug taken. */
int store_channel_add(struct store *st, struct channel_row *r);

/** store_channel_update() - store @r's name, settings and version (its MAC set here). */
int store_channel_update(struct store *st, struct channel_row *r);

/**
 * store_channel_list() - every channel by number, each MAC checked (ERR_INTEGRITY, logged, for
 * one that fails). Free with store_channel_list_free().
 */
int store_channel_list(struct store *st, struct channel_row **out, size_t *count);
void store_channel_list_free(struct channel_row *arr, size_t count);

/* ---- passkeys (core/passkey.h) ---- */

#define STORE_PASSKEY_ID_MAX 1023 /* bytes of a credential id (crypto/webauthn.h) */
#define STORE_PASSKEY_PK_MAX 64   /* bytes of its public key */
#define STORE_PASSKEY_NAME_MAX 64 /* bytes of the name its owner gives it */
#define STORE_PASSKEY_SALT_LEN 32 /* the PRF extension's input */
#define STORE_PASSKEYS_MAX 20     /* passkeys per account */

/* A passkey. Its MAC covers every field but the row id, the account included: a row moved to
 * another account, or a key swapped, fails it. A row deleted, or put back with a lower counter,
 * is not caught (what a clone check then misses). */
struct passkey_row {
    int64_t id;
    int64_t user_id;
    uint8_t cred_id[STORE_PASSKEY_ID_MAX];
    size_t cred_id_len;
    int alg; /* COSE: -7 ES256, -8 EdDSA */
    uint8_t pk[STORE_PASSKEY_PK_MAX];
    size_t pk_len;
    int64_t sign_count;
    char name[STORE_PASSKEY_NAME_MAX + 1];
    bool has_prf;                             /* the account's keys are wrapped under it */
    uint8_t prf_salt[STORE_PASSKEY_SALT_LEN]; /* the PRF input that unwraps them */
    uint8_t wrapped[STORE_WRAPPED_LEN];       /* the account's keys under the PRF's KEK */
    int64_t created_at, last_used_at;         /* unix seconds (0: never used) */
    uint8_t mac[STORE_MAC_LEN];
};

/*
 * Whether an account has passkeys is also kept in its row (STORE_USER_PASSKEY, under its MAC),
 * and changed with the rows in one transaction by add, delete and delete_all: passkey rows
 * deleted outside Dissent, which would remove a factor, are an integrity error, not "no passkey"
 * (store_passkey_list()). A caller that writes the account row in the same transaction, after
 * one of them, sets the flag in its copy first, or re-reads the row.
 */

/** store_passkey_add() - insert @r (MAC set here); *@r->id receives its id. ERR_EXISTS for a
 *  credential id registered already (to any account). */
int store_passkey_add(struct store *st, struct passkey_row *r);

/** store_passkey_list() - @user_id's passkeys, oldest first, each MAC checked, and their
 *  presence checked against the account's STORE_USER_PASSKEY (ERR_INTEGRITY, logged). mem_free().
 */
int store_passkey_list(struct store *st, int64_t user_id, struct passkey_row **out, size_t *count);

/** store_passkey_find() - the passkey of credential id @cred (@len bytes), MAC checked;
 *  ERR_NOT_FOUND. */
int store_passkey_find(struct store *st, const uint8_t *cred, size_t len, struct passkey_row *out);

/**
 * store_passkey_used() - record a sign-in with @r: its new counter and time (MAC set here), only
 * if the stored counter is still @before (ERR_CONFLICT otherwise: two sign-ins raced).
 */
int store_passkey_used(struct store *st, struct passkey_row *r, int64_t before);

/** store_passkey_delete() - delete passkey @id of @user_id (ERR_NOT_FOUND when none). */
int store_passkey_delete(struct store *st, int64_t user_id, int64_t id);

/** store_passkey_delete_all() - delete every passkey of @user_id (an administrator's reset). */
int store_passkey_delete_all(struct store *st, int64_t user_id);

#define STORE_CHALLENGE_REGISTER 1 /* a passkey's registration by a signed-in account */
#define STORE_CHALLENGE_SIGNIN 2   /* a sign-in */
#define STORE_CHALLENGE_OIDC 3     /* an OpenID Connect login's state, sent to the provider */
#define STORE_CHALLENGE_SSO 4      /* the provider vouched for an account: its keys not yet open */

/**
 * store_challenge_put() - remember a WebAuthn challenge by its SHA-256 @hash, for @user_id (0: a
 * sign-in whose account the passkey will name) and @purpose, until @expires; expired ones are
 * swept at the same time. MAC'd: a row written into the database is refused.
 */
int store_challenge_put(struct store *st, const uint8_t hash[32], int64_t user_id, int purpose,
                        int64_t expires, int64_t now);

/**
 * store_challenge_take() - consume the challenge @hash: it is deleted, and only the call that
 * deleted it gets 0, with its account, purpose and (@expires, may be NULL) expiry
 * (ERR_NOT_FOUND for an unknown, used or expired one; ERR_INTEGRITY for a forged row).
 */
int store_challenge_take(struct store *st, const uint8_t hash[32], int64_t now, int64_t *user_id,
                         int *purpose, int64_t *expires);

/** store_challenge_peek() - as store_challenge_take(), but the challenge stays. */
int store_challenge_peek(struct store *st, const uint8_t hash[32], int64_t now, int64_t *user_id,
                         int *purpose);

/* ---- single sign-on links (core/oidc.h) ---- */

#define STORE_SSO_ISSUER_MAX 512  /* bytes of an issuer URL */
#define STORE_SSO_SUBJECT_MAX 255 /* bytes of a subject ("sub", OpenID Connect Core 2: <= 255) */

/* An account's link to a person at an OpenID provider: the issuer and the subject it names them
 * by, which never changes (a username claim may). MAC'd over every field; whether the account
 * has one is also in its row (STORE_USER_SSO). */
struct sso_link {
    int64_t user_id;
    char issuer[STORE_SSO_ISSUER_MAX + 1];
    char subject[STORE_SSO_SUBJECT_MAX + 1];
    int64_t linked_at;
    uint8_t mac[STORE_MAC_LEN];
};

/** store_sso_link() - link @l->user_id (MAC set here; its account's STORE_USER_SSO set in the
 *  same transaction). ERR_EXISTS when the account, or the issuer's subject, is linked already. */
int store_sso_link(struct store *st, struct sso_link *l);

/** store_sso_get() - @user_id's link, MAC checked and checked against the account's
 *  STORE_USER_SSO (ERR_INTEGRITY, logged); ERR_NOT_FOUND when it has none. */
int store_sso_get(struct store *st, int64_t user_id, struct sso_link *out);

/** store_sso_find() - the link of @issuer's @subject, MAC checked; ERR_NOT_FOUND when none. */
int store_sso_find(struct store *st, const char *issuer, const char *subject, struct sso_link *out);

/** store_sso_unlink() - delete @user_id's link and clear its account's flag (ERR_NOT_FOUND
 *  when none). */
int store_sso_unlink(struct store *st, int64_t user_id);

/*
 * A file attached to a memo (core/attach.h). Its name, media type and SHA-256 are sealed
 * under the memo's key in @meta; its bytes are a crypto_secretstream under the memo's key,
 * in chunks (attachment_chunks, seq 0, 1, ...). While it is being uploaded, @stream holds the
 * sealed state of that stream, so that any server takes the next part. What the database shows
 * in clear: which memo, the order, the declared size and how much has arrived (the chunks' sizes
 * tell that anyway).
 */
#define STORE_ATT_ID_LEN 16 /* hex characters of an attachment's public id */
struct store_attachment {
    int64_t id;
    int64_t memo_id;
    char public_id[STORE_ATT_ID_LEN + 1];
    int64_t position; /* 1, 2, ... in the order added */
    int64_t size;     /* declared bytes */
    int64_t received; /* bytes stored */
    int64_t chunks;   /* chunks stored */
    bool complete;    /* every byte stored, and checked against the declared SHA-256 */
    uint8_t *meta;    /* owned */
    size_t meta_len;
    uint8_t *stream; /* owned; NULL once complete */
    size_t stream_len;
    int64_t created_at;
};

/** store_att_add() - a new attachment of @a->memo_id, placed after the others (@a->id set).
 *  ERR_EXISTS when its public id is taken. */
int store_att_add(struct store *st, struct store_attachment *a);

/** store_att_get() - @memo_id's attachment @public_id (release with store_att_release()), or
 *  ERR_NOT_FOUND. */
int store_att_get(struct store *st, int64_t memo_id, const char *public_id,
                  struct store_attachment *out);

/** store_att_list() - @memo_id's attachments in order (store_att_list_free()). */
int store_att_list(struct store *st, int64_t memo_id, struct store_attachment **out, size_t *count);

/** store_att_update() - write @a's progress (received, chunks, complete, stream) if its row
 *  still says @was_received bytes and is not complete: ERR_CONFLICT otherwise (another part
 *  arrived meanwhile). */
int store_att_update(struct store *st, const struct store_attachment *a, int64_t was_received);

/** store_att_delete() - the attachment row @id and its chunks (ERR_NOT_FOUND when none). */
int store_att_delete(struct store *st, int64_t id);

/** store_chunk_put() - chunk @seq of attachment @att_id; ERR_EXISTS when it is there already. */
int store_chunk_put(struct store *st, int64_t att_id, int64_t seq, const uint8_t *data, size_t len);

/** store_chunk_get() - chunk @seq of attachment @att_id, malloc'd (caller frees), or
 *  ERR_NOT_FOUND. */
int store_chunk_get(struct store *st, int64_t att_id, int64_t seq, uint8_t **data, size_t *len);

void store_att_release(struct store_attachment *a);
void store_att_list_free(struct store_attachment *arr, size_t count);

/*
 * A legal hold (core/records.h): on one memo (@memo, its public id) or on the memos of a range
 * of days (@from_day..@to_day, day numbers; -1 for a memo's hold). Never deleted: lifting it
 * records who, when and why. MAC'd over every field: a row changed outside Dissent reads as
 * @tampered (and is taken as holding everything it might).
 */
#define STORE_HOLD_REASON_MAX 2000
struct store_hold {
    int64_t id;
    char memo[STORE_MEMO_ID_LEN + 1];
    int64_t from_day, to_day;
    char reason[STORE_HOLD_REASON_MAX + 1];
    int64_t placed_by, placed_at;
    int64_t lifted_by, lifted_at; /* 0 while it holds */
    char lift_reason[STORE_HOLD_REASON_MAX + 1];
    uint8_t mac[STORE_MAC_LEN];
    bool tampered;
};

/** store_memo_page() - every memo row after internal id @after, oldest first, at most @limit,
 *  text fields included; a row failing its MAC is kept, marked @tampered (logged). */
int store_memo_page(struct store *st, int64_t after, int limit, struct memo **out, size_t *count);

/** store_hold_add() - a new hold (MAC set here, @h->id set); inside a transaction (two
 *  statements). */
int store_hold_add(struct store *st, struct store_hold *h);

/** store_hold_list() - every hold, oldest first, each MAC checked (a failed one: @tampered,
 *  logged). Free with mem_free(). */
int store_hold_list(struct store *st, struct store_hold **out, size_t *count);

/** store_hold_lift() - record @h's lifting (lifted_* set by the caller; MAC set here);
 *  ERR_CONFLICT when it was lifted already. */
int store_hold_lift(struct store *st, struct store_hold *h);

/* What is left of a shredded memo: its id, final state and dates; nothing else. */
struct store_tombstone {
    char public_id[STORE_MEMO_ID_LEN + 1];
    int state;
    int64_t final_at, shredded_at;
};

int store_tombstone_add(struct store *st, const struct store_tombstone *t);
/** store_tombstone_list() - the newest @limit tombstones (mem_free()). */
int store_tombstone_list(struct store *st, int limit, struct store_tombstone **out, size_t *count);

/**
 * store_compact() - after a crypto-shred, outside any transaction: leave nothing of the deleted
 * rows in the database's files that can be: SQLite zeroes them as it deletes (secure_delete)
 * and its WAL is checkpointed and truncated here; PostgreSQL's table of key copies is rewritten
 * (VACUUM FULL memo_keys: small, its lock brief), the others vacuumed (their space freed for
 * reuse, the ciphertext whose key is gone left until it is overwritten), and a checkpoint asked
 * for.
 */
int store_compact(struct store *st);

/* ---- export and import: a whole database copied table by table (dissent migrate) ---- */

/** store_table_count() - the tables of the schema; tables are numbered 0 .. count-1 in an order
 *  where each comes after the tables it references. */
size_t store_table_count(void);

/** store_table_name() - the name of table @table (for messages). */
const char *store_table_name(size_t table);

/** store_table_seeded() - whether the migrations themselves put a row in @table (the log's
 *  size, 0): a fresh database is not empty there, and a load replaces that row. */
bool store_table_seeded(size_t table);

/**
 * store_table_dump() - call @row for every row of @table, in primary-key order, with the values
 * as stored (ciphertext, hashes and signed text byte for byte). Rows are streamed, not loaded
 * all at once. Call inside a transaction for a consistent copy of several tables. Returns 0,
 * ERR_DB, or what @row returned.
 */
int store_table_dump(struct store *st, size_t table, store_row_fn row, void *ctx);

/**
 * store_table_load() - insert one row of @table (@n values in store_table_columns() order), ids
 * included, exactly as given. Inside a transaction (store_begin()); end the load with
 * store_load_finish() before committing. ERR_EXISTS on a duplicate key, ERR_INVALID when @n is
 * not the table's column count.
 */
int store_table_load(struct store *st, size_t table, const struct store_value *row, size_t n);

/** store_table_rows() - the number of rows in @table. */
int store_table_rows(struct store *st, size_t table, int64_t *count);

/** store_load_finish() - after loading rows with explicit ids: move the id generators past
 *  them (PostgreSQL identity sequences; nothing to do on SQLite). */
int store_load_finish(struct store *st);

/** store_memo_release() - free @m's text fields (the struct itself is the caller's). */
void store_memo_release(struct memo *m);
void store_memo_list_free(struct memo *arr, size_t count);
void store_signature_list_free(struct signature *arr, size_t count);
void store_comment_list_free(struct memo_comment *arr, size_t count);
void store_event_list_free(struct memo_event *arr, size_t count);
void store_legacy_texts_free(struct legacy_text *arr, size_t count);
void store_legacy_people_free(struct legacy_person *arr, size_t count);

/* A memo's stored state as an int: -1 (no state, which fails the row's MAC) when out of range. */
static inline int memo_state_col(int64_t v)
{
    return v >= 0 && v <= 64 ? (int)v : -1;
}

/* Backends. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen);
/* @uri is a libpq connection URI; it never appears in messages (it may hold a password). */
int store_pg_open(const char *uri, struct store **out, char *err, size_t errlen);

/**
 * store_pg_client_conninfo() - the PostgreSQL URI @uri as a libpq keyword=value string without
 * its password (in @out), and the password apart (in @pw, "" when the URI has none), for a
 * PostgreSQL client program (pg_dump): the password goes in its environment (PGPASSWORD), never
 * on its command line where other users of the machine read it. libpq's own parser reads the
 * URI (every form it takes: several hosts, ?password=, percent-encoding). ERR_INVALID when it
 * cannot be read or does not fit.
 */
int store_pg_client_conninfo(const char *uri, char *out, size_t outlen, char *pw, size_t pwlen);

/* What a PostgreSQL primary says of its standbys (store_pg_standbys()). */
struct store_standbys {
    char commit[32];   /* synchronous_commit */
    char names[256];   /* synchronous_standby_names (cut short) */
    int64_t sync;      /* standbys streaming with sync_state sync or quorum */
    int64_t streaming; /* standbys streaming at all */
    int64_t hidden;    /* of those, whose state the database user may not see (no pg_monitor) */
    bool recovery;     /* the server connected to is itself a standby */
};

/**
 * store_pg_standbys() - the standbys of the PostgreSQL server @st is connected to, in one query
 * (its settings and pg_stat_replication). ERR_INVALID for a store that is not PostgreSQL.
 */
int store_pg_standbys(struct store *st, struct store_standbys *out);

/**
 * store_pg_standbys_at() - as store_pg_standbys(), on a connection of its own to the
 * PostgreSQL URI @uri, opened and closed here (before anything migrates: a migration's commit
 * would wait for a synchronous standby that is not there). ERR_INVALID for a URI that is not
 * PostgreSQL's; ERR_DB (with @err) when it cannot connect or ask.
 */
int store_pg_standbys_at(const char *uri, struct store_standbys *out, char *err, size_t errlen);

/**
 * store_cache_request() - @on: one request begins on this connection (its thread), @off: it
 * ended. In between, the read cache asks the database whether anything changed once, at the
 * request's first cached read, rather than at each (a request sees the accounts and sessions as
 * they were then, or as its own writes made them).
 */
void store_cache_request(struct store *st, bool on);

/**
 * store_cache_stamp() - a number that stays the same for as long as nothing this connection's
 * read cache covers may have changed (in fact: no write of this process, no commit of another
 * connection's seen since): a caller keeps what it made from cached reads (api/session.c's
 * answer to GET /api/v1/me) under it. false when the cache is not in use (PostgreSQL, inside a
 * transaction): keep nothing then.
 */
bool store_cache_stamp(struct store *st, uint64_t *stamp);

/**
 * store_sqlite_path() - the SQLite file the URI @uri names (as store_open() reads it: a data
 * directory, or "sqlite:PATH") into @out; ERR_INVALID for a PostgreSQL URI or one too long.
 */
int store_sqlite_path(const char *uri, char *out, size_t len);

/**
 * store_sqlite_snapshot() - a consistent copy of the SQLite database at @path in the new file
 * @out (0600), taken with SQLite's online backup API in one step, while servers go on reading
 * and writing (a WAL reader blocks no writer). Nothing is migrated or changed in @path.
 * ERR_DB with the reason in @err.
 */
int store_sqlite_snapshot(const char *path, const char *out, char *err, size_t errlen);

#endif
