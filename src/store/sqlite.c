/*
 * sqlite.c - the SQLite driver of the store (sql.h): the connection, its schema and migrations,
 * and statements, rows and transactions as sql.c asks for them.
 *
 * WAL journal, foreign keys, STRICT tables, secure_delete, synchronous=FULL (an answered write
 * survives a crash of the process and of the machine). Migrations are numbered and applied at open
 * under PRAGMA user_version. Statements are prepared once per connection and reused.
 */
#include "store/sql.h"

#include "store/integrity.h"
#include "store/tables.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Migration N brings user_version from N to N+1. Never edit a shipped entry; append. */
static const char *const migrations[] = {
    /* 1: accounts, sessions, login throttling */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  display_name TEXT NOT NULL DEFAULT '',"
    "  email TEXT NOT NULL DEFAULT '',"
    "  roles INTEGER NOT NULL,"
    "  pwhash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1"
    ") STRICT;"
    "CREATE TABLE sessions ("
    "  hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE login_failures ("
    "  key TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX login_failures_key ON login_failures(key, at);",

    /* 2: user keys, session keys, memos and what hangs off them */
    "ALTER TABLE users ADD COLUMN sign_pk BLOB;"
    "ALTER TABLE users ADD COLUMN box_pk BLOB;"
    "ALTER TABLE users ADD COLUMN key_salt BLOB;"
    "ALTER TABLE users ADD COLUMN keys_wrapped BLOB;"
    "ALTER TABLE sessions ADD COLUMN keys_wrapped BLOB;"
    "CREATE TABLE memos ("
    "  id INTEGER PRIMARY KEY,"
    "  public_id TEXT NOT NULL UNIQUE,"
    "  drafter_id INTEGER NOT NULL REFERENCES users(id),"
    "  state INTEGER NOT NULL,"
    "  title BLOB NOT NULL,"
    "  body BLOB NOT NULL,"
    "  digest BLOB,"
    "  show_names INTEGER NOT NULL DEFAULT 0,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  filed_day INTEGER NOT NULL DEFAULT -1,"
    "  ack_day INTEGER NOT NULL DEFAULT -1,"
    "  ack_due INTEGER NOT NULL DEFAULT -1,"
    "  reply_due INTEGER NOT NULL DEFAULT -1,"
    "  reply_max INTEGER NOT NULL DEFAULT -1,"
    "  replied_day INTEGER NOT NULL DEFAULT -1,"
    "  closed_day INTEGER NOT NULL DEFAULT -1,"
    "  reason BLOB,"
    "  reply BLOB,"
    "  reply_note BLOB"
    ") STRICT;"
    "CREATE INDEX memos_drafter ON memos(drafter_id);"
    "CREATE INDEX memos_state ON memos(state);"
    "CREATE TABLE memo_members ("
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  relation INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (memo_id, user_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX memo_members_user ON memo_members(user_id);"
    "CREATE TABLE signatures ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  note TEXT NOT NULL,"
    "  vkey TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  voided_at INTEGER NOT NULL DEFAULT 0,"
    "  void_reason TEXT"
    ") STRICT;"
    "CREATE UNIQUE INDEX signatures_valid ON signatures(memo_id, user_id) WHERE voided_at = 0;"
    "CREATE INDEX signatures_memo ON signatures(memo_id);"
    "CREATE TABLE comments ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  author_id INTEGER NOT NULL REFERENCES users(id),"
    "  body BLOB NOT NULL,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX comments_memo ON comments(memo_id);"
    "CREATE TABLE memo_events ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  actor_id INTEGER REFERENCES users(id),"
    "  detail TEXT,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX memo_events_memo ON memo_events(memo_id);",

    /* 3: content keys, the channel key, the recovery wrap, the read audit */
    "ALTER TABLE users ADD COLUMN recovery_wrapped BLOB;"
    "CREATE TABLE memo_keys ("
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL," /* 0: sealed to the channel key */
    "  sealed BLOB NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (memo_id, user_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE channel_key ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  pk BLOB NOT NULL,"
    "  created_by INTEGER NOT NULL REFERENCES users(id),"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE channel_grants ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    "  sealed BLOB NOT NULL,"
    "  granted_by INTEGER NOT NULL REFERENCES users(id),"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL,"
    "  actor_id INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  hash BLOB NOT NULL"
    ") STRICT;"
    "CREATE INDEX audit_memo ON audit(memo_id, id);",

    /* 4: the transparency log */
    "CREATE TABLE tlog_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  size INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO tlog_state (id, size) VALUES (1, 0);"
    "CREATE TABLE tlog_tiles ("
    "  level INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (level, idx)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE tlog_checkpoints ("
    "  size INTEGER PRIMARY KEY,"
    "  text TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "ALTER TABLE memos ADD COLUMN log_tag BLOB;"
    "ALTER TABLE memos ADD COLUMN log_salt BLOB;"
    "ALTER TABLE memos ADD COLUMN log_index INTEGER NOT NULL DEFAULT -1;",

    /* 5: signer counts from the index alone (every signing request counts them) */
    "DROP INDEX signatures_memo;"
    "CREATE INDEX signatures_memo ON signatures(memo_id, voided_at);",

    /* 6: TOTP second factor (core/totp.h): one row per account */
    "CREATE TABLE user_totp ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    "  sealed BLOB NOT NULL,"
    "  enabled INTEGER NOT NULL DEFAULT 0,"
    "  last_step INTEGER NOT NULL DEFAULT 0,"
    "  codes BLOB,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1"
    ") STRICT;",

    /* 7: the email outbox and each user's notification choices */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  dedupe TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL,"
    "  user_id INTEGER NOT NULL,"
    "  rcpt TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "CREATE INDEX outbox_due ON outbox(status, next_at);"
    "CREATE TABLE notify_prefs ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    "  off INTEGER NOT NULL"
    ") STRICT;",

    /* 8: keys born with their user (core/enrol.h): enrolment codes, the Argon2id cost each
     * account's keys were wrapped with, when its recovery key was issued, and the accounts whose
     * keys an administrator's password wrapped (every older account that can hold content) */
    "ALTER TABLE users ADD COLUMN key_ops INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN key_mem INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN enrol_hash BLOB;"
    "ALTER TABLE users ADD COLUMN enrol_expires INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN recovery_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
    "UPDATE users SET flags = 1 WHERE keys_wrapped IS NOT NULL AND (roles & 7) != 0;",

    /* 9: accounts in the transparency log (core/reset.h): each account's random log tag, its
     * last reset by an administrator, and the first officer's confirmation of a re-enrolment */
    "ALTER TABLE users ADD COLUMN log_tag BLOB;"
    "ALTER TABLE users ADD COLUMN reset_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN confirm_by INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN reset_memo INTEGER NOT NULL DEFAULT 0;"
    "UPDATE users SET log_tag = randomblob(16);",

    /* 10: integrity MACs under a key the database never holds (store.h, "Integrity"); memo key
     * envelopes and channel grants carry theirs after the sealed key, in the same column */
    "ALTER TABLE users ADD COLUMN mac BLOB;"
    "ALTER TABLE users ADD COLUMN key_binding TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE sessions ADD COLUMN mac BLOB;"
    "ALTER TABLE user_totp ADD COLUMN mac BLOB;"
    "ALTER TABLE outbox ADD COLUMN mac BLOB;",

    /* 11: who acted, sealed by the server (store.h, "Who"); a comment's author_id may be NULL */
    "ALTER TABLE audit ADD COLUMN actor BLOB;"
    "ALTER TABLE memo_events ADD COLUMN actor BLOB;"
    "CREATE TABLE comments_new ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  author_id INTEGER REFERENCES users(id),"
    "  body BLOB NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  author BLOB"
    ") STRICT;"
    "INSERT INTO comments_new (id, memo_id, author_id, body, at)"
    "  SELECT id, memo_id, author_id, body, at FROM comments;"
    "DROP TABLE comments;"
    "ALTER TABLE comments_new RENAME TO comments;"
    "CREATE INDEX comments_memo ON comments(memo_id);",

    /* 12: memo rows carry an integrity MAC (store.h, "Integrity") */
    "ALTER TABLE memos ADD COLUMN mac BLOB;",

    /* 13: who drafted, was invited to and signed a memo by pseudonym, beside the sealed id
     * (store.h, "Who"): the account columns no longer reference users, so the three tables are
     * made again (migrate() turns foreign keys off around the migrations, as SQLite's ALTER
     * TABLE documentation says; every reference to them is checked before the commit) */
    "CREATE TABLE memos_new ("
    "  id INTEGER PRIMARY KEY,"
    "  public_id TEXT NOT NULL UNIQUE,"
    "  drafter_id INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  title BLOB NOT NULL,"
    "  body BLOB NOT NULL,"
    "  digest BLOB,"
    "  show_names INTEGER NOT NULL DEFAULT 0,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  filed_day INTEGER NOT NULL DEFAULT -1,"
    "  ack_day INTEGER NOT NULL DEFAULT -1,"
    "  ack_due INTEGER NOT NULL DEFAULT -1,"
    "  reply_due INTEGER NOT NULL DEFAULT -1,"
    "  reply_max INTEGER NOT NULL DEFAULT -1,"
    "  replied_day INTEGER NOT NULL DEFAULT -1,"
    "  closed_day INTEGER NOT NULL DEFAULT -1,"
    "  reason BLOB,"
    "  reply BLOB,"
    "  reply_note BLOB,"
    "  log_tag BLOB,"
    "  log_salt BLOB,"
    "  log_index INTEGER NOT NULL DEFAULT -1,"
    "  mac BLOB,"
    "  drafter BLOB"
    ") STRICT;"
    "INSERT INTO memos_new (id, public_id, drafter_id, state, title, body, digest, show_names,"
    "  version, created_at, updated_at, filed_day, ack_day, ack_due, reply_due, reply_max,"
    "  replied_day, closed_day, reason, reply, reply_note, log_tag, log_salt, log_index, mac)"
    "  SELECT id, public_id, drafter_id, state, title, body, digest, show_names, version,"
    "  created_at, updated_at, filed_day, ack_day, ack_due, reply_due, reply_max, replied_day,"
    "  closed_day, reason, reply, reply_note, log_tag, log_salt, log_index, mac FROM memos;"
    "DROP TABLE memos;"
    "ALTER TABLE memos_new RENAME TO memos;"
    "CREATE INDEX memos_drafter ON memos(drafter_id);"
    "CREATE INDEX memos_state ON memos(state);"
    "CREATE TABLE memo_members_new ("
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL,"
    "  relation INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  who BLOB,"
    "  PRIMARY KEY (memo_id, user_id)"
    ") STRICT, WITHOUT ROWID;"
    "INSERT INTO memo_members_new (memo_id, user_id, relation, at)"
    "  SELECT memo_id, user_id, relation, at FROM memo_members;"
    "DROP TABLE memo_members;"
    "ALTER TABLE memo_members_new RENAME TO memo_members;"
    "CREATE INDEX memo_members_user ON memo_members(user_id);"
    "CREATE TABLE signatures_new ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL,"
    "  note TEXT NOT NULL,"
    "  vkey TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  voided_at INTEGER NOT NULL DEFAULT 0,"
    "  void_reason TEXT,"
    "  who BLOB"
    ") STRICT;"
    "INSERT INTO signatures_new (id, memo_id, user_id, note, vkey, created_at, voided_at,"
    "  void_reason) SELECT id, memo_id, user_id, note, vkey, created_at, voided_at, void_reason"
    "  FROM signatures;"
    "DROP TABLE signatures;"
    "ALTER TABLE signatures_new RENAME TO signatures;"
    "CREATE UNIQUE INDEX signatures_valid ON signatures(memo_id, user_id) WHERE voided_at = 0;"
    "CREATE INDEX signatures_memo ON signatures(memo_id, voided_at);",

    /* 14: the internal ids of deleted memos (store_memo_delete()): no new memo takes one, so
     * nothing keyed by a memo's id (the read audit, an account's reset) passes to another */
    "CREATE TABLE IF NOT EXISTS memo_gone (id INTEGER PRIMARY KEY) STRICT;",

    /* 15: the calendar run at runtime (store_calendar_add(), core/calendar.h) */
    "CREATE TABLE IF NOT EXISTS calendar ("
    "  id INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"
    "  first_day INTEGER NOT NULL,"
    "  last_day INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  removed_at INTEGER NOT NULL DEFAULT 0,"
    "  mac BLOB"
    ") STRICT;",

    /* 16: passkeys and the WebAuthn challenges they answer (store_passkey_add(), core/passkey.h) */
    "CREATE TABLE IF NOT EXISTS passkeys ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  cred_id BLOB NOT NULL UNIQUE,"
    "  alg INTEGER NOT NULL,"
    "  pk BLOB NOT NULL,"
    "  sign_count INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  prf_salt BLOB,"
    "  wrapped BLOB,"
    "  created_at INTEGER NOT NULL,"
    "  last_used_at INTEGER NOT NULL DEFAULT 0,"
    "  mac BLOB"
    ") STRICT;"
    "CREATE INDEX IF NOT EXISTS passkeys_user ON passkeys(user_id);"
    "CREATE TABLE IF NOT EXISTS webauthn_challenges ("
    "  hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL,"
    "  purpose INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  mac BLOB"
    ") STRICT;"
    "CREATE INDEX IF NOT EXISTS webauthn_challenges_expiry ON webauthn_challenges(expires_at);",

    /* 17: single sign-on links (store_sso_link(), core/oidc.h) */
    "CREATE TABLE IF NOT EXISTS sso_links ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
    "  issuer TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  linked_at INTEGER NOT NULL,"
    "  mac BLOB,"
    "  UNIQUE (issuer, subject)"
    ") STRICT;",

    /* 18: files attached to memos (store_att_add(), core/attach.h) */
    "CREATE TABLE IF NOT EXISTS attachments ("
    "  id INTEGER PRIMARY KEY,"
    "  memo_id INTEGER NOT NULL REFERENCES memos(id) ON DELETE CASCADE,"
    "  public_id TEXT NOT NULL UNIQUE,"
    "  position INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  received INTEGER NOT NULL DEFAULT 0,"
    "  chunks INTEGER NOT NULL DEFAULT 0,"
    "  complete INTEGER NOT NULL DEFAULT 0,"
    "  meta BLOB NOT NULL,"
    "  stream BLOB,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (memo_id, position)"
    ") STRICT;"
    "CREATE TABLE IF NOT EXISTS attachment_chunks ("
    "  att_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (att_id, seq)"
    ") STRICT;",

    /* 19: legal holds and the tombstones of shredded memos (core/records.h) */
    "CREATE TABLE IF NOT EXISTS holds ("
    "  id INTEGER PRIMARY KEY,"
    "  memo TEXT NOT NULL,"
    "  from_day INTEGER NOT NULL,"
    "  to_day INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  placed_by INTEGER NOT NULL,"
    "  placed_at INTEGER NOT NULL,"
    "  lifted_by INTEGER NOT NULL DEFAULT 0,"
    "  lifted_at INTEGER NOT NULL DEFAULT 0,"
    "  lift_reason TEXT NOT NULL DEFAULT '',"
    "  mac BLOB"
    ") STRICT;"
    "CREATE TABLE IF NOT EXISTS tombstones ("
    "  public_id TEXT PRIMARY KEY,"
    "  state INTEGER NOT NULL,"
    "  final_at INTEGER NOT NULL,"
    "  shredded_at INTEGER NOT NULL"
    ") STRICT;",

    /* 20: a memo's file list, bound into its row's MAC (core/attach.h) */
    "ALTER TABLE memos ADD COLUMN files BLOB;",

    /* 21: witness cosignatures collected on a checkpoint (core/cosigning.h): how many of the
     * configured witnesses' cosignatures its text carries. The table is made again rather than
     * altered, so that the migration also runs over a table that has the column already */
    "CREATE TABLE tlog_checkpoints_21 ("
    "  size INTEGER PRIMARY KEY,"
    "  text TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  cosigs INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "INSERT INTO tlog_checkpoints_21 (size, text, at) SELECT size, text, at FROM tlog_checkpoints;"
    "DROP TABLE tlog_checkpoints;"
    "ALTER TABLE tlog_checkpoints_21 RENAME TO tlog_checkpoints;",

    /* 22: nothing (a version reserved for the read cache's change notifications on
     * PostgreSQL, store.c; SQLite's data_version needs no schema): the versions stay in step */
    "SELECT 1;",

    /* 23: each memo's count of valid signatures, kept by triggers on every insert, deletion
     * and voiding, so that reading a memo costs the same with one signer or thousands */
    "ALTER TABLE memos ADD COLUMN signers INTEGER NOT NULL DEFAULT 0;"
    "UPDATE memos SET signers = (SELECT count(*) FROM signatures s"
    "  WHERE s.memo_id = memos.id AND s.voided_at = 0);"
    "CREATE TRIGGER signatures_count_insert AFTER INSERT ON signatures"
    "  WHEN new.voided_at = 0 BEGIN"
    "  UPDATE memos SET signers = signers + 1 WHERE id = new.memo_id; END;"
    "CREATE TRIGGER signatures_count_delete AFTER DELETE ON signatures"
    "  WHEN old.voided_at = 0 BEGIN"
    "  UPDATE memos SET signers = signers - 1 WHERE id = old.memo_id; END;"
    "CREATE TRIGGER signatures_count_update AFTER UPDATE OF memo_id, voided_at ON signatures"
    "  BEGIN"
    "  UPDATE memos SET signers = signers - 1 WHERE id = old.memo_id AND old.voided_at = 0;"
    "  UPDATE memos SET signers = signers + 1 WHERE id = new.memo_id AND new.voided_at = 0;"
    "  END;",

    /* 24: nothing (PostgreSQL's 24 adds an index on memos(state, id); SQLite's memos_state
     * holds the rowid already): the versions stay in step */
    "SELECT 1;",

    /* 25: the language an account chose for its interface and emails ('' for none: the
     * browser's), beside its other preferences (core/lang.h) */
    "ALTER TABLE notify_prefs ADD COLUMN language TEXT NOT NULL DEFAULT '';",

    /* 26: several channels in one deployment (docs/channels.md): the channels, channel 1 the
     * deployment's own (its settings [channel]'s), and each memo's channel (1 for every memo
     * made before) */
    "CREATE TABLE channels ("
    " id INTEGER PRIMARY KEY,"
    " slug TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL DEFAULT '',"
    " settings TEXT NOT NULL DEFAULT '{}',"
    " created_at INTEGER NOT NULL DEFAULT 0,"
    " mac BLOB);"
    "INSERT INTO channels (id, slug) VALUES (1, 'main');"
    "ALTER TABLE memos ADD COLUMN channel_id INTEGER NOT NULL DEFAULT 1;",

    /* 27: the channels an account's officer, head and principal roles are of (bit N-1 for
     * channel N; channel 1 for every account before) */
    "ALTER TABLE users ADD COLUMN channels INTEGER NOT NULL DEFAULT 1;",

    /* 28: the account's language in its own row (the request's and the emails' language is
     * known with the account, no query more: util/msg.h); notify_prefs.language (25) stays,
     * unused */
    "ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';"
    "UPDATE users SET language = coalesce((SELECT p.language FROM notify_prefs p"
    " WHERE p.user_id = users.id), '');",

    /* 29: a key per channel (docs/channels.md): channel_key's id is the channel's number, and
     * an officer's grant is of one channel (channel 1 for every grant before) */
    "CREATE TABLE channel_key_29 ("
    "  id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 64),"
    "  pk BLOB NOT NULL,"
    "  created_by INTEGER NOT NULL REFERENCES users(id),"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO channel_key_29 SELECT id, pk, created_by, at FROM channel_key;"
    "DROP TABLE channel_key;"
    "ALTER TABLE channel_key_29 RENAME TO channel_key;"
    "CREATE TABLE channel_grants_29 ("
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  channel_id INTEGER NOT NULL DEFAULT 1 CHECK (channel_id BETWEEN 1 AND 64),"
    "  sealed BLOB NOT NULL,"
    "  granted_by INTEGER NOT NULL REFERENCES users(id),"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, channel_id)"
    ") STRICT;"
    "INSERT INTO channel_grants_29 (user_id, channel_id, sealed, granted_by, at)"
    " SELECT user_id, 1, sealed, granted_by, at FROM channel_grants;"
    "DROP TABLE channel_grants;"
    "ALTER TABLE channel_grants_29 RENAME TO channel_grants;",

    /* 30: a channel row's version, under its MAC and pinned (core/trust.h): an earlier version
     * of a channel's settings cannot be put back (0 for the rows before: the migration's) */
    "ALTER TABLE channels ADD COLUMN version INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

/* A statement: the head sql.c sees, and SQLite's own. */
struct sq_stmt {
    struct sql_stmt head;
    sqlite3_stmt *q;
};

struct store_sqlite {
    struct store base;               /* must be first */
    sqlite3 *db;                     /* the connection */
    struct sq_stmt st[SQL_MAX_STMT]; /* prepared lazily, reused, reset after each use */
    sqlite3_stmt *data_version;      /* PRAGMA data_version (sq_generation()), or NULL */
};

static const struct sql_driver sqlite_driver;

static struct store_sqlite *SQ(struct store *st)
{
    return (struct store_sqlite *)st;
}

static sqlite3_stmt *Q(struct sql_stmt *q)
{
    return ((struct sq_stmt *)q)->q;
}

static int db_fail(struct store_sqlite *s, const char *what)
{
    log_error("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return ERR_DB;
}

static int exec_sql(struct store_sqlite *s, const char *sql)
{
    char *msg = NULL;
    int r = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

    if (r != SQLITE_OK) {
        log_error("sqlite: %s", msg ? msg : "exec failed");
        sqlite3_free(msg);
        return ERR_DB;
    }
    return 0;
}

static int migrate(struct store_sqlite *s, char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    int version = 0, rc = 0, r;
    bool applied = false;

    /* a migration that makes a table again (SQLite cannot drop a reference) must not have its
     * DROP cascade into the tables that reference it: foreign keys are off meanwhile (they can
     * be switched outside a transaction only), and every reference is checked before COMMIT */
    if ((rc = exec_sql(s, "PRAGMA foreign_keys = OFF")) != 0 ||
        (rc = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
        goto out;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        rc = db_fail(s, "user_version");
        goto rollback;
    }
    version = sqlite3_column_int(q, 0);
    /* finished with it: a statement still running keeps DROP statements from working */
    sqlite3_finalize(q);
    q = NULL;
    if ((rc = sql_schema_known(version, N_MIGRATIONS, err, errlen)) != 0)
        goto rollback;
    for (; version < N_MIGRATIONS; version++) {
        char pragma[64];
        if ((rc = exec_sql(s, migrations[version])) != 0)
            goto rollback;
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
        if ((rc = exec_sql(s, pragma)) != 0)
            goto rollback;
        log_info("sqlite: applied migration %d", version + 1);
        applied = true;
    }
    if (!applied)
        goto commit;
    if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &q, NULL) != SQLITE_OK) {
        rc = db_fail(s, "foreign_key_check");
        goto rollback;
    }
    r = sqlite3_step(q);
    if (r != SQLITE_DONE) {
        /* the first such row: its table, rowid and the table it names */
        err_set(err, errlen,
                "the database has rows whose references do not hold, the first in table %s "
                "(rowid %lld, referencing %s): nothing was migrated (sqlite3 DB 'PRAGMA "
                "foreign_key_check' lists them)",
                r == SQLITE_ROW && sqlite3_column_text(q, 0) != NULL
                    ? (const char *)sqlite3_column_text(q, 0)
                    : "?",
                r == SQLITE_ROW ? (long long)sqlite3_column_int64(q, 1) : 0LL,
                r == SQLITE_ROW && sqlite3_column_text(q, 2) != NULL
                    ? (const char *)sqlite3_column_text(q, 2)
                    : "?");
        rc = ERR_DB;
    }
    sqlite3_finalize(q); /* before ROLLBACK: no statement left running */
    q = NULL;
    if (rc != 0)
        goto rollback;
commit:
    rc = exec_sql(s, "COMMIT");
    goto out;
rollback:
    exec_sql(s, "ROLLBACK");
out:
    sqlite3_finalize(q);
    if (exec_sql(s, "PRAGMA foreign_keys = ON") != 0 && rc == 0)
        rc = ERR_DB;
    return rc;
}

int store_sqlite_snapshot(const char *path, const char *out, char *err, size_t errlen)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc = SQLITE_OK;

    if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        err_set(err, errlen, "cannot open the database %s: %s", path,
                src ? sqlite3_errmsg(src) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(src, 10000);
    if (sqlite3_open_v2(out, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot create %s: %s", out,
                dst ? sqlite3_errmsg(dst) : "out of memory");
        goto out;
    }
    if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
        err_set(err, errlen, "cannot start the backup: %s", sqlite3_errmsg(dst));
        goto out;
    }
    /* every page in one step: one read transaction, so one consistent state of the database
     * (the writers of the servers wait for nothing); busy only while a writer checkpoints */
    for (int tries = 0; tries < 200; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(50);
    }
    if (rc != SQLITE_DONE)
        err_set(err, errlen, "the backup failed: %s", sqlite3_errstr(rc));
out:
    if (b != NULL && sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE) {
        err_set(err, errlen, "the backup failed: %s", sqlite3_errmsg(dst));
        rc = SQLITE_ERROR;
    }
    if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == SQLITE_DONE)
        rc = SQLITE_ERROR;
    sqlite3_close(src);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
    return sql_open(&sqlite_driver, sizeof(struct store_sqlite), path, out, err, errlen);
}

static int sq_connect(struct store *st, const char *path, char *err, size_t errlen)
{
    struct store_sqlite *s = SQ(st);
    int rc;

    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        return ERR_DB;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, 10000);
    if ((rc = exec_sql(s, "PRAGMA journal_mode = WAL;"
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA secure_delete = ON;")) != 0) {
        err_set(err, errlen, "cannot configure database %s", path);
        return rc;
    }
    if ((rc = migrate(s, err, errlen)) != 0 && err != NULL && err[0] == '\0')
        err_set(err, errlen, "cannot migrate database %s", path);
    return rc;
}

/* SQLite's data_version: it moves when another connection commits anything (this one's own
 * writes are counted by sql.c); reading it costs no I/O beyond the WAL's index in memory. */
static int sq_generation(struct store *st, uint64_t *gen)
{
    struct store_sqlite *s = SQ(st);
    int rc;

    if (s->data_version == NULL &&
        sqlite3_prepare_v3(s->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->data_version, NULL) != SQLITE_OK)
        return ERR_DB;
    rc = sqlite3_step(s->data_version);
    *gen = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s->data_version, 0) : 0;
    sqlite3_reset(s->data_version);
    return rc == SQLITE_ROW ? 0 : ERR_DB;
}

static void sq_close(struct store *st)
{
    struct store_sqlite *s = SQ(st);

    sqlite3_finalize(s->data_version);
    for (int i = 0; i < SQL_MAX_STMT; i++)
        sqlite3_finalize(s->st[i].q);
    if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
        log_error("sqlite: close: %s", sqlite3_errmsg(s->db));
    mem_free(s);
}

static struct sql_stmt *sq_prepare(struct store *st, int id, const char *text)
{
    struct store_sqlite *s = SQ(st);
    struct sq_stmt *q;

    if (id < 0 || id >= SQL_MAX_STMT || text == NULL)
        return NULL;
    q = &s->st[id];
    if (q->q == NULL) {
        if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, &q->q, NULL) !=
            SQLITE_OK)
            return NULL;
        q->head.st = st;
    }
    return &q->head;
}

static void sq_bind_int(struct sql_stmt *q, int pos, int64_t v)
{
    sqlite3_bind_int64(Q(q), pos, v);
}

static void sq_bind_text(struct sql_stmt *q, int pos, const char *s)
{
    if (s == NULL)
        sqlite3_bind_null(Q(q), pos);
    else
        sqlite3_bind_text(Q(q), pos, s, -1, SQLITE_STATIC);
}

static void sq_bind_blob(struct sql_stmt *q, int pos, const void *p, size_t len)
{
    if (p == NULL)
        sqlite3_bind_null(Q(q), pos);
    else /* an empty blob is not NULL */
        sqlite3_bind_blob64(Q(q), pos, len ? p : (const void *)"", len, SQLITE_STATIC);
}

static int sq_step(struct sql_stmt *q)
{
    switch (sqlite3_step(Q(q))) {
    case SQLITE_ROW:
        return SQL_ROW;
    case SQLITE_DONE:
        return SQL_DONE;
    case SQLITE_CONSTRAINT:
        return ERR_EXISTS;
    default:
        return ERR_DB;
    }
}

static int sq_columns(struct sql_stmt *q)
{
    return sqlite3_column_count(Q(q));
}

static bool sq_is_null(struct sql_stmt *q, int col)
{
    return sqlite3_column_type(Q(q), col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct sql_stmt *q, int col)
{
    return sqlite3_column_int64(Q(q), col);
}

static const uint8_t *sq_col_bytes(struct sql_stmt *q, int col, size_t *len)
{
    const uint8_t *b = sqlite3_column_blob(Q(q), col);

    *len = b != NULL ? (size_t)sqlite3_column_bytes(Q(q), col) : 0;
    /* an empty value has no pointer: give it one unless it is NULL */
    if (b == NULL && sqlite3_column_type(Q(q), col) != SQLITE_NULL)
        b = (const uint8_t *)"";
    return b;
}

static void sq_reset(struct sql_stmt *q)
{
    sqlite3_reset(Q(q));
    sqlite3_clear_bindings(Q(q));
}

static int64_t sq_changes(struct store *st)
{
    return sqlite3_changes(SQ(st)->db);
}

static const char *sq_errmsg(struct store *st)
{
    return sqlite3_errmsg(SQ(st)->db);
}

static int sq_exec(struct store *st, const char *sql)
{
    return exec_sql(SQ(st), sql);
}

static int sq_begin(struct store *st)
{
    return exec_sql(SQ(st), "BEGIN IMMEDIATE");
}

static int sq_commit(struct store *st)
{
    int rc = exec_sql(SQ(st), "COMMIT");

    if (rc != 0 && !sqlite3_get_autocommit(SQ(st)->db))
        exec_sql(SQ(st), "ROLLBACK");
    return rc;
}

static int sq_rollback(struct store *st)
{
    if (sqlite3_get_autocommit(SQ(st)->db))
        return 0;
    return exec_sql(SQ(st), "ROLLBACK");
}

/* One data directory belongs to one server process: it always leads. */
static int sq_leader(struct store *st, bool *yes)
{
    (void)st;
    *yes = true;
    return 0;
}

static void sq_scrub(struct store *st)
{
    struct store_sqlite *s = SQ(st);
    int logged = 0, moved = 0, r;

    r = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &logged, &moved);
    if (r != SQLITE_OK)
        log_warn("sqlite: the write-ahead log was not truncated (%s): superseded key pages stay "
                 "in it until the next checkpoint",
                 sqlite3_errstr(r));
}

/* ---- export and import (store_table_dump(), store_table_load()) ---- */

/* Prepare @sql built from a table's names; the statement is the caller's (sqlite3_finalize()). */
static int prepare_built(struct store_sqlite *s, const char *sql, sqlite3_stmt **q)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, q, NULL) != SQLITE_OK) {
        *q = NULL;
        return db_fail(s, "prepare");
    }
    return 0;
}

static int sq_table_dump(struct store *st, size_t table, store_row_fn row, void *ctx)
{
    struct store_sqlite *s = SQ(st);
    const struct store_table *t = &store_tables[table];
    struct store_value vals[32];
    sqlite3_stmt *q = NULL;
    char sql[1024];
    int rc = 0, step;

    if (t->ncols > sizeof(vals) / sizeof(vals[0]))
        return ERR_INTERNAL;
    snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY %s", t->columns, t->name, t->order);
    if ((rc = prepare_built(s, sql, &q)) != 0)
        return rc;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        for (size_t c = 0; c < t->ncols; c++) {
            struct store_value *v = &vals[c];
            memset(v, 0, sizeof(*v));
            switch (sqlite3_column_type(q, (int)c)) {
            case SQLITE_INTEGER:
                v->kind = STORE_VAL_INT;
                v->i = sqlite3_column_int64(q, (int)c);
                break;
            case SQLITE_TEXT:
                v->kind = STORE_VAL_TEXT;
                v->p = sqlite3_column_text(q, (int)c);
                v->len = (size_t)sqlite3_column_bytes(q, (int)c);
                break;
            case SQLITE_BLOB:
                v->kind = STORE_VAL_BLOB;
                v->p = sqlite3_column_blob(q, (int)c);
                v->len = (size_t)sqlite3_column_bytes(q, (int)c);
                if (v->p == NULL)
                    v->p = (const uint8_t *)""; /* an empty blob is not NULL */
                break;
            case SQLITE_NULL:
                v->kind = STORE_VAL_NULL;
                break;
            default: /* REAL: STRICT tables have no such column */
                log_error("sqlite: dump %s: unexpected column type", t->name);
                rc = ERR_DB;
                goto out;
            }
        }
        if ((rc = row(ctx, vals, t->ncols)) != 0)
            goto out;
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, "dump");
out:
    sqlite3_finalize(q);
    return rc;
}

static int sq_table_load(struct store *st, size_t table, const struct store_value *row, size_t n)
{
    struct store_sqlite *s = SQ(st);
    const struct store_table *t = &store_tables[table];
    sqlite3_stmt *q = NULL;
    char sql[1024], marks[128];
    size_t m = 0;
    int rc = 0, step;

    for (size_t c = 0; c < n && m + 2 < sizeof(marks); c++) {
        if (c)
            marks[m++] = ',';
        marks[m++] = '?';
    }
    marks[m] = '\0';
    snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (%s)%s", t->name, t->columns, marks,
             t->conflict);
    if ((rc = prepare_built(s, sql, &q)) != 0)
        return rc;
    for (size_t c = 0; c < n; c++) {
        const struct store_value *v = &row[c];
        int col = (int)c + 1;
        if (v->kind == STORE_VAL_INT)
            sqlite3_bind_int64(q, col, v->i);
        else if (v->kind == STORE_VAL_TEXT)
            sqlite3_bind_text(q, col, (const char *)v->p, (int)v->len, SQLITE_STATIC);
        else if (v->kind == STORE_VAL_BLOB)
            sqlite3_bind_blob(q, col, v->len ? v->p : (const uint8_t *)"", (int)v->len,
                              SQLITE_STATIC);
        else
            sqlite3_bind_null(q, col);
    }
    step = sqlite3_step(q);
    if (step == SQLITE_CONSTRAINT)
        rc = ERR_EXISTS;
    else if (step != SQLITE_DONE)
        rc = db_fail(s, "load");
    sqlite3_finalize(q);
    return rc;
}

/* Ids given explicitly move SQLite's rowid allocation along by themselves. */
static int sq_load_finish(struct store *st)
{
    (void)st;
    return 0;
}

/* inserts run at once: SQLite is in the process, a round trip costs nothing to save */
#define sq_send NULL

static const struct sql_driver sqlite_driver = SQL_DRIVER("sqlite", SQL_SQLITE, sq);
