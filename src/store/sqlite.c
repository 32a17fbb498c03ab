/*
 * sqlite.c - the SQLite backend of store.h.
 *
 * WAL journal, foreign keys, STRICT tables, secure_delete, synchronous=FULL (an answered write
 * survives a crash of the process and of the machine). Migrations are numbered and applied at open
 * under PRAGMA user_version. Statements are prepared once per connection and reused.
 */
#include "store/store.h"

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
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

enum stmt_id {
    ST_PING,
    ST_USER_INSERT,
    ST_USER_BY_NAME,
    ST_USER_BY_ID,
    ST_USER_LIST,
    ST_USER_UPDATE,
    ST_USER_COUNT,
    ST_USER_SEAL,
    ST_MEMO_LAST,
    ST_USER_LAST,
    ST_SESSION_INSERT,
    ST_SESSION_GET,
    ST_SESSION_TOUCH,
    ST_SESSION_DELETE,
    ST_SESSION_DELETE_USER,
    ST_SESSION_PURGE,
    ST_FAIL_INSERT,
    ST_FAIL_PRUNE,
    ST_FAIL_COUNT,
    ST_FAIL_CLEAR,
    ST_FAIL_TAKE,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_MEMO_INSERT,
    ST_MEMO_GET,
    ST_MEMO_UPDATE,
    ST_MEMO_SEAL,
    ST_MEMO_PAGE,
    ST_MEMO_LIST,
    ST_MEMBER_ADD,
    ST_MEMBER_DROP,
    ST_MEMBER_GET,
    ST_MEMBER_LIST,
    ST_SIG_ADD,
    ST_SIG_WITHDRAW,
    ST_SIG_HAS,
    ST_SIG_VOID,
    ST_SIG_LIST,
    ST_COMMENT_ADD,
    ST_COMMENT_LIST,
    ST_EVENT_ADD,
    ST_EVENT_LIST,
    ST_LEGACY_TEXTS,
    ST_LEGACY_ACTORS,
    ST_LEGACY_AUDIT_SET,
    ST_LEGACY_COMMENT_SET,
    ST_LEGACY_EVENT_ACTOR_SET,
    ST_LEGACY_EVENT_SET,
    ST_LEGACY_PEOPLE,
    ST_LEGACY_DRAFTER_SET,
    ST_LEGACY_MEMBER_SET,
    ST_LEGACY_SIGNER_SET,
    ST_LEGACY_KEY_SET,
    ST_MKEY_PUT,
    ST_MKEY_GET,
    ST_MKEY_OF,
    ST_MKEY_DELETE,
    ST_CKEY_GET,
    ST_CKEY_CREATE,
    ST_CKEY_ROTATE,
    ST_GRANT_PUT,
    ST_GRANT_GET,
    ST_REVOKE_MKEYS,
    ST_REVOKE_GRANT,
    ST_TOTP_GET,
    ST_TOTP_PUT,
    ST_TOTP_UPDATE,
    ST_TOTP_DELETE,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_MEMO_HEAD,
    ST_TLOG_SIZE,
    ST_TLOG_SET_SIZE,
    ST_TILE_GET,
    ST_TILE_PUT,
    ST_CP_LATEST,
    ST_CP_PUT,
    ST_AUDIT_LAST,
    ST_AUDIT_INSERT,
    ST_AUDIT_SET_HASH,
    ST_AUDIT_LIST,
    ST_OUTBOX_ADD,
    ST_OUTBOX_DUE,
    ST_OUTBOX_LEGACY,
    ST_OUTBOX_RESEAL,
    ST_OUTBOX_CLAIM,
    ST_OUTBOX_FINISH,
    ST_OUTBOX_LIST,
    ST_PREFS_GET,
    ST_PREFS_SET,
    ST__COUNT
};

#define USER_COLS                                                                                  \
    "id, username, display_name, email, roles, pwhash, disabled, created_at, updated_at, version," \
    " sign_pk, box_pk, key_salt, keys_wrapped, recovery_wrapped, key_ops, key_mem, enrol_hash,"    \
    " enrol_expires, recovery_at, flags, log_tag, reset_at, confirm_by, reset_memo, mac,"          \
    " key_binding"
#define MEMO_COLS                                                                                  \
    "m.id, m.public_id, m.drafter_id, m.state, m.title, m.body, m.digest, m.show_names,"           \
    " m.version, m.created_at, m.updated_at, m.filed_day, m.ack_day, m.ack_due, m.reply_due,"      \
    " m.reply_max, m.replied_day, m.closed_day, m.reason, m.reply, m.reply_note,"                  \
    " (SELECT count(*) FROM signatures s WHERE s.memo_id = m.id AND s.voided_at = 0),"             \
    " m.log_tag, m.log_salt, m.log_index, m.mac, m.drafter"
#define OUTBOX_COLS                                                                                \
    "o.id, o.dedupe, o.kind, o.user_id, '', o.rcpt, o.status, o.attempts,"                         \
    " o.next_at, o.created_at, o.sent_at"
#define SIG_COLS                                                                                   \
    "s.memo_id, s.user_id, '', '', s.note, s.vkey, s.created_at, s.voided_at, s.void_reason,"      \
    " s.who"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_PING] = "SELECT 1",
    /* ?26: the least id to give (store_user_create()); NULL gives SQLite's next one */
    [ST_USER_INSERT] =
        "INSERT INTO users (username, display_name, email, roles, pwhash, disabled,"
        " created_at, updated_at, version, sign_pk, box_pk, key_salt,"
        " keys_wrapped, key_ops, key_mem, enrol_hash, enrol_expires, recovery_at,"
        " flags, recovery_wrapped, log_tag, reset_at, confirm_by, reset_memo, mac,"
        " key_binding, id) VALUES (?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
        " CASE WHEN ?26 > (SELECT coalesce(max(id), 0) FROM users) THEN ?26 END)",
    [ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?",
    [ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?",
    [ST_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE username > ? ORDER BY username LIMIT ?",
    [ST_USER_UPDATE] = "UPDATE users SET display_name = ?, email = ?, roles = ?, pwhash = ?,"
                       " disabled = ?, updated_at = ?, version = version + 1, sign_pk = ?9,"
                       " box_pk = ?10, key_salt = ?11, keys_wrapped = ?12, recovery_wrapped = ?13,"
                       " key_ops = ?14, key_mem = ?15, enrol_hash = ?16, enrol_expires = ?17,"
                       " recovery_at = ?18, flags = ?19, log_tag = ?20, reset_at = ?21,"
                       " confirm_by = ?22, reset_memo = ?23, mac = ?24, key_binding = ?25"
                       " WHERE id = ?7 AND version = ?8",
    [ST_USER_COUNT] = "SELECT count(*) FROM users",
    [ST_USER_SEAL] = "UPDATE users SET mac = ?1 WHERE id = ?2",
    [ST_MEMO_LAST] = "SELECT coalesce(max(id), 0) FROM memos",
    [ST_USER_LAST] = "SELECT coalesce(max(id), 0) FROM users",
    [ST_SESSION_INSERT] =
        "INSERT INTO sessions (hash, user_id, created_at, last_seen, keys_wrapped, mac)"
        " VALUES (?,?,?,?,?,?)",
    [ST_SESSION_GET] =
        "SELECT user_id, created_at, last_seen, keys_wrapped, mac FROM sessions WHERE hash = ?",
    [ST_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ? WHERE hash = ?",
    [ST_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = ?",
    [ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?",
    [ST_SESSION_PURGE] = "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
    [ST_FAIL_INSERT] = "INSERT INTO login_failures (key, at) VALUES (?, ?)",
    [ST_FAIL_PRUNE] = "DELETE FROM login_failures WHERE key = ? AND at < ?",
    [ST_FAIL_COUNT] = "SELECT count(*), coalesce(max(at), 0) FROM login_failures"
                      " WHERE key = ? AND at >= ?",
    [ST_FAIL_CLEAR] = "DELETE FROM login_failures WHERE key = ?",
    [ST_FAIL_TAKE] = "DELETE FROM login_failures WHERE rowid = (SELECT rowid FROM login_failures"
                     " WHERE key = ? AND at = ? LIMIT 1)",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_MEMO_INSERT] = "INSERT INTO memos (public_id, drafter_id, state, title, body, show_names,"
                       " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
    [ST_MEMO_GET] = "SELECT " MEMO_COLS " FROM memos m WHERE m.public_id = ?",
    [ST_MEMO_UPDATE] =
        "UPDATE memos SET state = ?, title = ?, body = ?, digest = ?, show_names = ?,"
        " updated_at = ?, filed_day = ?, ack_day = ?, ack_due = ?, reply_due = ?, reply_max = ?,"
        " replied_day = ?, closed_day = ?, reason = ?, reply = ?, reply_note = ?,"
        " version = version + 1, log_tag = ?19, log_salt = ?20, log_index = ?21, mac = ?22"
        " WHERE id = ?17 AND version = ?18",
    [ST_MEMO_SEAL] = "UPDATE memos SET mac = ?1, drafter = coalesce(?3, drafter) WHERE id = ?2",
    [ST_MEMO_PAGE] = "SELECT " MEMO_COLS " FROM memos m WHERE m.id > ? ORDER BY m.id LIMIT ?",
    /* with the sealed id of the caller's relation row, which store.c checks */
    [ST_MEMO_LIST] =
        "SELECT " MEMO_COLS ", (SELECT mm.who FROM memo_members mm WHERE mm.memo_id = m.id"
        " AND mm.user_id = ?4) FROM memos m WHERE (?1 = 0 OR m.id < ?1) AND (?2 < 0 OR m.state = "
        "?2)"
        " AND ((?3 AND m.drafter_id = ?4 AND m.id > ?9)"
        "  OR (?5 != 0 AND m.id > ?9 AND EXISTS (SELECT 1 FROM memo_members mm"
        "      WHERE mm.memo_id = m.id"
        "      AND mm.user_id = ?4 AND (mm.relation & ?5) != 0 AND (mm.relation & ?8) = 0))"
        "  OR (?6 > 0 AND m.state >= ?6))"
        " ORDER BY m.id DESC LIMIT ?7",
    [ST_MEMBER_ADD] = "INSERT INTO memo_members (memo_id, user_id, relation, at, who)"
                      " VALUES (?,?,?,?,?)"
                      " ON CONFLICT (memo_id, user_id) DO UPDATE SET relation = relation | ?3,"
                      " who = ?5",
    [ST_MEMBER_DROP] = "UPDATE memo_members SET relation = relation & ~?3"
                       " WHERE memo_id = ?1 AND user_id = ?2",
    [ST_MEMBER_GET] = "SELECT relation, 0, who FROM memo_members WHERE memo_id = ? AND user_id = ?",
    /* store.c opens who each member is, names them and sorts them */
    [ST_MEMBER_LIST] = "SELECT user_id, '', '', relation, at, who FROM memo_members"
                       " WHERE memo_id = ? AND (relation & ?) != 0",
    [ST_SIG_ADD] = "INSERT INTO signatures (memo_id, user_id, note, vkey, created_at, who)"
                   " VALUES (?,?,?,?,?,?)",
    [ST_SIG_WITHDRAW] =
        "DELETE FROM signatures WHERE memo_id = ? AND user_id = ? AND voided_at = 0",
    [ST_SIG_HAS] = "SELECT 1, created_at, who FROM signatures WHERE memo_id = ? AND user_id = ?"
                   " AND voided_at = 0",
    [ST_SIG_VOID] = "UPDATE signatures SET voided_at = ?, void_reason = ?"
                    " WHERE memo_id = ? AND voided_at = 0",
    [ST_SIG_LIST] = "SELECT " SIG_COLS " FROM signatures s"
                    " WHERE s.memo_id = ? AND (? OR s.voided_at = 0) ORDER BY s.id",
    /* who acted is sealed (store.h, "Who"): store.c opens it and fills in the names */
    [ST_COMMENT_ADD] = "INSERT INTO comments (memo_id, author, body, at) VALUES (?,?,?,?)",
    [ST_COMMENT_LIST] = "SELECT id, coalesce(author_id, 0), '', '', body, at, author"
                        " FROM comments WHERE memo_id = ? ORDER BY id",
    [ST_EVENT_ADD] =
        "INSERT INTO memo_events (memo_id, kind, actor, detail, at) VALUES (?,?,?,?,?)",
    [ST_EVENT_LIST] = "SELECT id, kind, coalesce(actor_id, 0), '', detail, at, actor"
                      " FROM memo_events WHERE memo_id = ? ORDER BY id",
    [ST_LEGACY_ACTORS] =
        "SELECT 0, id, memo_id, id, actor_id, '' FROM audit WHERE actor IS NULL"
        " UNION ALL SELECT 1, id, memo_id, at, coalesce(author_id, 0), '' FROM comments"
        " WHERE author IS NULL"
        " UNION ALL SELECT 2, id, memo_id, at, coalesce(actor_id, 0), kind FROM memo_events"
        " WHERE actor IS NULL",
    [ST_LEGACY_AUDIT_SET] = "UPDATE audit SET actor = ?, actor_id = 0 WHERE id = ?",
    [ST_LEGACY_COMMENT_SET] = "UPDATE comments SET author = ?, author_id = NULL WHERE id = ?",
    [ST_LEGACY_EVENT_ACTOR_SET] = "UPDATE memo_events SET actor = ?, actor_id = NULL WHERE id = ?",
    [ST_LEGACY_TEXTS] =
        "SELECT 0, id, memo_id, coalesce(actor_id, 0), at, kind, detail FROM memo_events"
        " WHERE actor IS NULL AND ((kind IN ('invited', 'distributed') AND detail NOT GLOB "
        "'*[^0-9]*' AND detail != '')"
        " OR (kind = 'distributed' AND detail = 'configured principals'))",
    [ST_LEGACY_EVENT_SET] = "UPDATE memo_events SET detail = ? WHERE id = ?",
    /* an earlier version's rows naming accounts in clear (store.h, "Who"): every pseudonym is
     * at least 2^62 */
    [ST_LEGACY_PEOPLE] =
        "SELECT 0, id, 0, drafter_id, 0, NULL, NULL, public_id FROM memos WHERE drafter IS NULL"
        " AND drafter_id < 4611686018427387904"
        " UNION ALL SELECT 1, memo_id, 0, user_id, 0, NULL, NULL,"
        " (SELECT public_id FROM memos m WHERE m.id = memo_id) FROM memo_members"
        " WHERE who IS NULL AND user_id < 4611686018427387904"
        " UNION ALL SELECT 2, memo_id, id, user_id, created_at, note, vkey,"
        " (SELECT public_id FROM memos m WHERE m.id = memo_id) FROM signatures"
        " WHERE who IS NULL AND user_id < 4611686018427387904"
        " UNION ALL SELECT 3, memo_id, 0, user_id, 0, NULL, NULL, '' FROM memo_keys"
        " WHERE user_id > 0 AND user_id < 4611686018427387904",
    [ST_LEGACY_DRAFTER_SET] = "UPDATE memos SET drafter_id = ?3, drafter = ?4 WHERE id = ?1"
                              " AND drafter_id = ?2",
    [ST_LEGACY_MEMBER_SET] = "UPDATE memo_members SET user_id = ?3, who = ?4 WHERE memo_id = ?1"
                             " AND user_id = ?2",
    [ST_LEGACY_SIGNER_SET] = "UPDATE signatures SET user_id = ?3, who = ?4, note = ?5, vkey = ?6"
                             " WHERE id = ?1 AND user_id = ?2",
    [ST_LEGACY_KEY_SET] = "UPDATE memo_keys SET user_id = ?3 WHERE memo_id = ?1 AND user_id = ?2",
    [ST_MKEY_PUT] = "INSERT INTO memo_keys (memo_id, user_id, sealed, at) VALUES (?,?,?,?)"
                    " ON CONFLICT (memo_id, user_id) DO UPDATE SET sealed = ?3, at = ?4",
    [ST_MKEY_GET] = "SELECT sealed FROM memo_keys WHERE memo_id = ? AND user_id = ?",
    [ST_MKEY_OF] = "SELECT k.memo_id, k.sealed, coalesce(m.public_id, '') FROM memo_keys k"
                   " LEFT JOIN memos m ON m.id = k.memo_id WHERE k.user_id = ?"
                   " ORDER BY k.memo_id",
    [ST_MKEY_DELETE] = "DELETE FROM memo_keys WHERE memo_id = ? AND user_id = ? AND user_id != 0",
    [ST_CKEY_GET] = "SELECT pk FROM channel_key WHERE id = 1",
    [ST_CKEY_CREATE] = "INSERT INTO channel_key (id, pk, created_by, at) VALUES (1,?,?,?)",
    [ST_CKEY_ROTATE] = "UPDATE channel_key SET pk = ?, created_by = ?, at = ? WHERE id = 1",
    [ST_GRANT_PUT] = "INSERT INTO channel_grants (user_id, sealed, granted_by, at) VALUES (?,?,?,?)"
                     " ON CONFLICT (user_id) DO UPDATE SET sealed = ?2, granted_by = ?3, at = ?4",
    [ST_GRANT_GET] = "SELECT sealed FROM channel_grants WHERE user_id = ?",
    [ST_REVOKE_MKEYS] = "DELETE FROM memo_keys WHERE user_id = ? AND user_id != 0",
    [ST_REVOKE_GRANT] = "DELETE FROM channel_grants WHERE user_id = ?",
    [ST_TOTP_GET] = "SELECT sealed, enabled, last_step, codes, created_at, updated_at, version,"
                    " mac FROM user_totp WHERE user_id = ?",
    [ST_TOTP_PUT] = "INSERT INTO user_totp (user_id, sealed, enabled, last_step, codes, created_at,"
                    " updated_at, version, mac) VALUES (?1, ?2, 0, 0, NULL, ?3, ?3, 1, ?4)"
                    " ON CONFLICT (user_id) DO UPDATE SET sealed = ?2, last_step = 0,"
                    " codes = NULL, created_at = ?3, updated_at = ?3, version = 1, mac = ?4"
                    " WHERE user_totp.enabled = 0",
    [ST_TOTP_UPDATE] = "UPDATE user_totp SET enabled = ?1, last_step = ?2, codes = ?3,"
                       " updated_at = ?4, version = version + 1, mac = ?7 WHERE user_id = ?5"
                       " AND version = ?6",
    [ST_TOTP_DELETE] = "DELETE FROM user_totp WHERE user_id = ?",
    [ST_SAVEPOINT] = "SAVEPOINT item",
    [ST_RELEASE] = "RELEASE item",
    [ST_ROLLBACK_TO] = "ROLLBACK TO item",
    [ST_MEMO_HEAD] = "SELECT m.state, m.version, (SELECT count(*) FROM signatures s"
                     " WHERE s.memo_id = m.id AND s.voided_at = 0) FROM memos m"
                     " WHERE m.public_id = ?",
    [ST_TLOG_SIZE] = "SELECT size FROM tlog_state WHERE id = 1",
    [ST_TLOG_SET_SIZE] = "UPDATE tlog_state SET size = ? WHERE id = 1",
    [ST_TILE_GET] = "SELECT data, width FROM tlog_tiles WHERE level = ? AND idx = ?",
    [ST_TILE_PUT] = "INSERT INTO tlog_tiles (level, idx, width, data) VALUES (?,?,?,?)"
                    " ON CONFLICT (level, idx) DO UPDATE SET width = ?3, data = ?4"
                    " WHERE ?3 >= width",
    [ST_CP_LATEST] = "SELECT size, text FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
    [ST_CP_PUT] = "INSERT OR IGNORE INTO tlog_checkpoints (size, text, at) VALUES (?,?,?)",
    [ST_AUDIT_LAST] = "SELECT id, memo_id, actor_id, '', action, at, hash, actor FROM audit"
                      " ORDER BY id DESC LIMIT 1",
    [ST_AUDIT_INSERT] = "INSERT INTO audit (id, memo_id, actor_id, action, at, hash, actor)"
                        " VALUES (?,?,0,?,?,?,?)",
    [ST_AUDIT_SET_HASH] = "UPDATE audit SET hash = ? WHERE id = ?",
    [ST_AUDIT_LIST] = "SELECT id, memo_id, actor_id, '', action, at, hash, actor FROM audit"
                      " WHERE (?1 = 0 OR memo_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_OUTBOX_ADD] =
        "INSERT INTO outbox (dedupe, kind, user_id, rcpt, subject, body, next_at,"
        " created_at, mac) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (dedupe) DO NOTHING",
    [ST_OUTBOX_DUE] = "SELECT " OUTBOX_COLS ", o.subject, o.body, o.mac FROM outbox o"
                      ""
                      " WHERE o.status = 0 AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT ?",
    [ST_OUTBOX_LEGACY] = "SELECT " OUTBOX_COLS ", o.subject, o.body, o.mac FROM outbox o"
                         ""
                         " WHERE substr(o.body, 1, 7) != 'sealed:' ORDER BY o.id",
    [ST_OUTBOX_RESEAL] = "UPDATE outbox SET user_id = 0, rcpt = '', subject = '', body = ?2"
                         " WHERE id = ?1",
    [ST_OUTBOX_CLAIM] = "UPDATE outbox SET next_at = ?3 WHERE id = ?1 AND status = 0"
                        " AND next_at <= ?2",
    [ST_OUTBOX_FINISH] = "UPDATE outbox SET status = ?, attempts = ?, next_at = ?, sent_at = ?"
                         " WHERE id = ?",
    [ST_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox o"
                       " WHERE (?1 = 0 OR o.id < ?1) ORDER BY o.id DESC LIMIT ?2",
    [ST_PREFS_GET] = "SELECT off FROM notify_prefs WHERE user_id = ?",
    [ST_PREFS_SET] = "INSERT INTO notify_prefs (user_id, off) VALUES (?,?)"
                     " ON CONFLICT (user_id) DO UPDATE SET off = ?2",
};

struct store_sqlite {
    struct store base;           /* must be first */
    sqlite3 *db;                 /* the connection */
    sqlite3_stmt *st[ST__COUNT]; /* prepared lazily, reused, reset after each use */
};

static const struct store_ops sqlite_ops;

static struct store_sqlite *SQ(struct store *st)
{
    return (struct store_sqlite *)st;
}

static int db_fail(struct store_sqlite *s, const char *what)
{
    log_error("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return ERR_DB;
}

/* The cached statement @id, reset and with bindings cleared, or NULL (logged). */
static sqlite3_stmt *stmt(struct store_sqlite *s, enum stmt_id id)
{
    if (s->st[id] == NULL) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                               NULL) != SQLITE_OK) {
            db_fail(s, "prepare");
            return NULL;
        }
    }
    return s->st[id];
}

static void done(sqlite3_stmt *q)
{
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
}

/*
 * Step the bound statement @q for at most one row whose first column is an integer: 0 with it
 * in *@out, ERR_NOT_FOUND when there is no row, ERR_DB (logged as @what) on failure.
 */
static int row_int64(struct store_sqlite *s, sqlite3_stmt *q, const char *what, int64_t *out)
{
    int r = sqlite3_step(q), rc = 0;

    *out = 0;
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, what);
    done(q);
    return rc;
}

/* Run a statement that returns no rows; maps constraint violations to ERR_EXISTS. */
static int exec_stmt(struct store_sqlite *s, sqlite3_stmt *q, const char *what)
{
    int r = sqlite3_step(q);
    int rc = 0;

    if (r == SQLITE_CONSTRAINT)
        rc = ERR_EXISTS;
    else if (r != SQLITE_DONE)
        rc = db_fail(s, what);
    done(q);
    return rc;
}

static int exec_sql(struct store_sqlite *s, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
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
    if (version > N_MIGRATIONS) {
        err_set(err, errlen, "database schema %d is newer than this binary (%d)", version,
                N_MIGRATIONS);
        rc = ERR_DB;
        goto rollback;
    }
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

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
    struct store_sqlite *s = NULL;
    int rc = 0;

    *out = NULL;
    s = mem_calloc(1, sizeof(*s));
    if (s == NULL)
        return ERR_NOMEM;
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        rc = ERR_DB;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, 10000);
    if ((rc = exec_sql(s, "PRAGMA journal_mode = WAL;"
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA secure_delete = ON;")) != 0) {
        err_set(err, errlen, "cannot configure database %s", path);
        goto fail;
    }
    if ((rc = migrate(s, err, errlen)) != 0) {
        if (err != NULL && err[0] == '\0')
            err_set(err, errlen, "cannot migrate database %s", path);
        goto fail;
    }
    *out = &s->base;
    return 0;
fail:
    sqlite_ops.close(&s->base);
    return rc;
}

static void sq_close(struct store *st)
{
    struct store_sqlite *s = SQ(st);

    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
        log_error("sqlite: close: %s", sqlite3_errmsg(s->db));
    mem_free(s);
}

static int sq_ping(struct store *st)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_PING);
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = sqlite3_step(q) == SQLITE_ROW ? 0 : db_fail(s, "ping");
    done(q);
    return rc;
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

static void col_text(sqlite3_stmt *q, int col, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    str_copy(dst, len, t ? (const char *)t : "");
}

/* Copy a blob column of exactly @len bytes into @dst; false (and @dst zeroed) otherwise. */
static bool col_fixed(sqlite3_stmt *q, int col, uint8_t *dst, size_t len)
{
    const void *b = sqlite3_column_blob(q, col);

    if (b == NULL || (size_t)sqlite3_column_bytes(q, col) != len) {
        memset(dst, 0, len);
        return false;
    }
    memcpy(dst, b, len);
    return true;
}

/* A sealed id column (store.h, "Who"): false for SQL NULL (none); a value of another length
 * reads as zeros, which never open. */
static bool col_who(sqlite3_stmt *q, int col, uint8_t dst[STORE_WHO_LEN])
{
    if (sqlite3_column_type(q, col) == SQLITE_NULL) {
        memset(dst, 0, STORE_WHO_LEN);
        return false;
    }
    col_fixed(q, col, dst, STORE_WHO_LEN);
    return true;
}

/* A malloc'd copy of a blob or text column (NUL-terminated for convenience), or NULL for SQL
 * NULL. *@ok is cleared when the allocation fails. */
static uint8_t *col_dup(sqlite3_stmt *q, int col, size_t *len, bool *ok)
{
    const void *b;
    size_t n;
    uint8_t *out;

    if (len != NULL)
        *len = 0;
    if (sqlite3_column_type(q, col) == SQLITE_NULL)
        return NULL;
    b = sqlite3_column_blob(q, col);
    n = (size_t)sqlite3_column_bytes(q, col);
    out = mem_alloc(n + 1);
    if (out == NULL) {
        *ok = false;
        return NULL;
    }
    if (n > 0)
        memcpy(out, b, n);
    out[n] = '\0';
    if (len != NULL)
        *len = n;
    return out;
}

static void user_from_row(sqlite3_stmt *q, struct user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(q, 0);
    col_text(q, 1, u->username, sizeof(u->username));
    col_text(q, 2, u->display_name, sizeof(u->display_name));
    col_text(q, 3, u->email, sizeof(u->email));
    u->roles = (unsigned)sqlite3_column_int64(q, 4);
    col_text(q, 5, u->pwhash, sizeof(u->pwhash));
    u->disabled = sqlite3_column_int(q, 6) != 0;
    u->created_at = sqlite3_column_int64(q, 7);
    u->updated_at = sqlite3_column_int64(q, 8);
    u->version = sqlite3_column_int64(q, 9);
    u->has_keys = col_fixed(q, 10, u->sign_pk, sizeof(u->sign_pk)) &&
                  col_fixed(q, 11, u->box_pk, sizeof(u->box_pk)) &&
                  col_fixed(q, 12, u->key_salt, sizeof(u->key_salt)) &&
                  col_fixed(q, 13, u->keys_wrapped, sizeof(u->keys_wrapped));
    u->has_recovery = col_fixed(q, 14, u->recovery_wrapped, sizeof(u->recovery_wrapped));
    u->key_ops = sqlite3_column_int64(q, 15);
    u->key_mem = sqlite3_column_int64(q, 16);
    u->has_enrol = col_fixed(q, 17, u->enrol_hash, sizeof(u->enrol_hash));
    u->enrol_expires = sqlite3_column_int64(q, 18);
    u->recovery_at = sqlite3_column_int64(q, 19);
    u->flags = (unsigned)sqlite3_column_int64(q, 20);
    u->has_log_tag = col_fixed(q, 21, u->log_tag, sizeof(u->log_tag));
    u->reset_at = sqlite3_column_int64(q, 22);
    u->confirm_by = sqlite3_column_int64(q, 23);
    u->reset_memo = sqlite3_column_int64(q, 24);
    col_fixed(q, 25, u->mac, sizeof(u->mac)); /* NULL before migration 10's adoption */
    col_text(q, 26, u->key_binding, sizeof(u->key_binding));
}

/* Bind @u's key cost, enrolment code, recovery date and flags as parameters @first..@first+5,
 * and its recovery wrap as @first+6. */
static void bind_user_state(sqlite3_stmt *q, const struct user *u, int first)
{
    sqlite3_bind_int64(q, first, u->key_ops);
    sqlite3_bind_int64(q, first + 1, u->key_mem);
    if (u->has_enrol)
        sqlite3_bind_blob(q, first + 2, u->enrol_hash, sizeof(u->enrol_hash), SQLITE_STATIC);
    sqlite3_bind_int64(q, first + 3, u->enrol_expires);
    sqlite3_bind_int64(q, first + 4, u->recovery_at);
    sqlite3_bind_int64(q, first + 5, u->flags);
    if (u->has_recovery)
        sqlite3_bind_blob(q, first + 6, u->recovery_wrapped, sizeof(u->recovery_wrapped),
                          SQLITE_STATIC);
    if (u->has_log_tag)
        sqlite3_bind_blob(q, first + 7, u->log_tag, sizeof(u->log_tag), SQLITE_STATIC);
    sqlite3_bind_int64(q, first + 8, u->reset_at);
    sqlite3_bind_int64(q, first + 9, u->confirm_by);
    sqlite3_bind_int64(q, first + 10, u->reset_memo);
}

/* Bind @u's public keys, salt and wrapped keys as parameters @first..@first+3 (NULL without
 * keys). */
static void bind_user_keys(sqlite3_stmt *q, const struct user *u, int first)
{
    if (!u->has_keys)
        return;
    sqlite3_bind_blob(q, first, u->sign_pk, sizeof(u->sign_pk), SQLITE_STATIC);
    sqlite3_bind_blob(q, first + 1, u->box_pk, sizeof(u->box_pk), SQLITE_STATIC);
    sqlite3_bind_blob(q, first + 2, u->key_salt, sizeof(u->key_salt), SQLITE_STATIC);
    sqlite3_bind_blob(q, first + 3, u->keys_wrapped, sizeof(u->keys_wrapped), SQLITE_STATIC);
}

static int sq_user_create(struct store *st, struct user *u)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_INSERT);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, u->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, u->display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, u->email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, u->roles);
    sqlite3_bind_text(q, 5, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, u->disabled);
    sqlite3_bind_int64(q, 7, u->created_at);
    sqlite3_bind_int64(q, 8, u->created_at);
    bind_user_keys(q, u, 9);
    bind_user_state(q, u, 13);
    sqlite3_bind_blob(q, 24, u->mac, sizeof(u->mac), SQLITE_STATIC);
    sqlite3_bind_text(q, 25, u->key_binding, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 26, u->id);
    rc = exec_stmt(s, q, "user insert");
    if (rc == 0) {
        u->id = sqlite3_last_insert_rowid(s->db);
        u->version = 1;
        u->updated_at = u->created_at;
    }
    return rc;
}

static int user_get(struct store_sqlite *s, sqlite3_stmt *q, struct user *out)
{
    int r = sqlite3_step(q), rc = 0;

    if (r == SQLITE_ROW)
        user_from_row(q, out);
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, "user get");
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    done(q);
    return rc;
}

static int sq_user_get_by_name(struct store *st, const char *username, struct user *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_BY_NAME);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, username, -1, SQLITE_STATIC);
    return user_get(s, q, out);
}

static int sq_user_get_by_id(struct store *st, int64_t id, struct user *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_BY_ID);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, id);
    return user_get(s, q, out);
}

static int sq_user_list(struct store *st, const char *after, int limit, struct user **out,
                        size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_LIST);
    struct user *arr = NULL;
    size_t n = 0;
    int r, rc = 0;

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    if (limit <= 0)
        return 0;
    arr = mem_calloc((size_t)limit, sizeof(*arr));
    if (arr == NULL)
        return ERR_NOMEM;
    sqlite3_bind_text(q, 1, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, limit);
    while ((r = sqlite3_step(q)) == SQLITE_ROW && n < (size_t)limit)
        user_from_row(q, &arr[n++]);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = db_fail(s, "user list");
    done(q);
    if (rc != 0) {
        mem_free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

static int sq_user_update(struct store *st, struct user *u)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_UPDATE);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, u->display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, u->email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, u->roles);
    sqlite3_bind_text(q, 4, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, u->disabled);
    sqlite3_bind_int64(q, 6, u->updated_at);
    sqlite3_bind_int64(q, 7, u->id);
    sqlite3_bind_int64(q, 8, u->version);
    bind_user_keys(q, u, 9);
    if (u->has_recovery)
        sqlite3_bind_blob(q, 13, u->recovery_wrapped, sizeof(u->recovery_wrapped), SQLITE_STATIC);
    sqlite3_bind_int64(q, 14, u->key_ops);
    sqlite3_bind_int64(q, 15, u->key_mem);
    if (u->has_enrol)
        sqlite3_bind_blob(q, 16, u->enrol_hash, sizeof(u->enrol_hash), SQLITE_STATIC);
    sqlite3_bind_int64(q, 17, u->enrol_expires);
    sqlite3_bind_int64(q, 18, u->recovery_at);
    sqlite3_bind_int64(q, 19, u->flags);
    if (u->has_log_tag)
        sqlite3_bind_blob(q, 20, u->log_tag, sizeof(u->log_tag), SQLITE_STATIC);
    sqlite3_bind_int64(q, 21, u->reset_at);
    sqlite3_bind_int64(q, 22, u->confirm_by);
    sqlite3_bind_int64(q, 23, u->reset_memo);
    sqlite3_bind_blob(q, 24, u->mac, sizeof(u->mac), SQLITE_STATIC);
    sqlite3_bind_text(q, 25, u->key_binding, -1, SQLITE_STATIC);
    rc = exec_stmt(s, q, "user update");
    if (rc == 0) {
        if (sqlite3_changes(s->db) == 0)
            return ERR_CONFLICT;
        u->version++;
    }
    return rc;
}

/* The integrity MAC of a row just inserted: it covers the id the insert assigned. */
static int sq_user_seal(struct store *st, int64_t id, const uint8_t mac[STORE_MAC_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_SEAL);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, mac, STORE_MAC_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, id);
    rc = exec_stmt(s, q, "user seal");
    return rc == 0 && sqlite3_changes(s->db) != 1 ? ERR_DB : rc;
}

static int sq_user_count(struct store *st, int64_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_COUNT);
    int rc;

    *count = 0;
    if (q == NULL)
        return ERR_DB;
    /* count(*) always gives a row */
    rc = row_int64(s, q, "user count", count);
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

static int last_id(struct store_sqlite *s, enum stmt_id which, const char *what, int64_t *id)
{
    sqlite3_stmt *q = stmt(s, which);
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = row_int64(s, q, what, id);
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

static int sq_memo_last_id(struct store *st, int64_t *id)
{
    return last_id(SQ(st), ST_MEMO_LAST, "memo last id", id);
}

static int sq_user_last_id(struct store *st, int64_t *id)
{
    return last_id(SQ(st), ST_USER_LAST, "user last id", id);
}

static int sq_session_create(struct store *st, const struct session *se)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_INSERT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, se->hash, HASH_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, se->user_id);
    sqlite3_bind_int64(q, 3, se->created_at);
    sqlite3_bind_int64(q, 4, se->last_seen);
    if (se->has_keys)
        sqlite3_bind_blob(q, 5, se->keys_wrapped, sizeof(se->keys_wrapped), SQLITE_STATIC);
    sqlite3_bind_blob(q, 6, se->mac, sizeof(se->mac), SQLITE_STATIC);
    return exec_stmt(s, q, "session insert");
}

static int sq_session_get(struct store *st, const uint8_t hash[HASH_SHA256_LEN],
                          struct session *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_GET);
    int r, rc = 0;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, hash, HASH_SHA256_LEN, SQLITE_STATIC);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        memcpy(out->hash, hash, HASH_SHA256_LEN);
        out->user_id = sqlite3_column_int64(q, 0);
        out->created_at = sqlite3_column_int64(q, 1);
        out->last_seen = sqlite3_column_int64(q, 2);
        out->has_keys = col_fixed(q, 3, out->keys_wrapped, sizeof(out->keys_wrapped));
        col_fixed(q, 4, out->mac, sizeof(out->mac));
    } else if (r == SQLITE_DONE) {
        rc = ERR_NOT_FOUND;
    } else {
        rc = db_fail(s, "session get");
    }
    done(q);
    return rc;
}

static int sq_session_touch(struct store *st, const uint8_t hash[HASH_SHA256_LEN], int64_t now)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_TOUCH);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_blob(q, 2, hash, HASH_SHA256_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "session touch");
}

static int sq_session_delete(struct store *st, const uint8_t hash[HASH_SHA256_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_DELETE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, hash, HASH_SHA256_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "session delete");
}

static int sq_session_delete_user(struct store *st, int64_t user_id)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_DELETE_USER);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    return exec_stmt(s, q, "session delete user");
}

static int sq_session_purge(struct store *st, int64_t idle_before, int64_t created_before)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_PURGE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, idle_before);
    sqlite3_bind_int64(q, 2, created_before);
    return exec_stmt(s, q, "session purge");
}

static int sq_login_failure_add(struct store *st, const char *key, int64_t now)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_FAIL_INSERT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    return exec_stmt(s, q, "login failure insert");
}

static int sq_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                                  int64_t *newest)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q;
    int rc;

    *count = 0;
    *newest = 0;
    q = stmt(s, ST_FAIL_PRUNE);
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, since);
    if ((rc = exec_stmt(s, q, "login failure prune")) != 0)
        return rc;
    q = stmt(s, ST_FAIL_COUNT);
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, since);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *count = sqlite3_column_int(q, 0);
        *newest = sqlite3_column_int64(q, 1);
    } else {
        rc = db_fail(s, "login failure count");
    }
    done(q);
    return rc;
}

static int sq_login_failure_take(struct store *st, const char *key, int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_FAIL_TAKE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, at);
    return exec_stmt(s, q, "login failure take");
}

static int sq_login_failure_clear(struct store *st, const char *key)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_FAIL_CLEAR);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    return exec_stmt(s, q, "login failure clear");
}

static int run_simple(struct store *st, enum stmt_id id, const char *what)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, id);

    if (q == NULL)
        return ERR_DB;
    return exec_stmt(s, q, what);
}

static int sq_begin(struct store *st)
{
    return run_simple(st, ST_BEGIN, "begin");
}

static int sq_commit(struct store *st)
{
    int rc = run_simple(st, ST_COMMIT, "commit");

    if (rc != 0 && !sqlite3_get_autocommit(SQ(st)->db))
        run_simple(st, ST_ROLLBACK, "rollback");
    return rc;
}

static int sq_rollback(struct store *st)
{
    if (sqlite3_get_autocommit(SQ(st)->db))
        return 0;
    return run_simple(st, ST_ROLLBACK, "rollback");
}

/* Bind a byte buffer, or SQL NULL when @p is NULL. */
static void bind_bytes(sqlite3_stmt *q, int col, const uint8_t *p, size_t len)
{
    if (p == NULL)
        sqlite3_bind_null(q, col);
    else
        sqlite3_bind_blob64(q, col, len ? p : (const uint8_t *)"", len, SQLITE_STATIC);
}

static int sq_memo_create(struct store *st, struct memo *m)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_INSERT);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, m->public_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, m->drafter_ref);
    sqlite3_bind_int(q, 3, m->state);
    bind_bytes(q, 4, m->title ? m->title : (const uint8_t *)"", m->title_len);
    bind_bytes(q, 5, m->body ? m->body : (const uint8_t *)"", m->body_len);
    sqlite3_bind_int(q, 6, m->show_names);
    sqlite3_bind_int64(q, 7, m->created_at);
    sqlite3_bind_int64(q, 8, m->created_at);
    rc = exec_stmt(s, q, "memo insert");
    if (rc == 0) {
        m->id = sqlite3_last_insert_rowid(s->db);
        m->version = 1;
        m->updated_at = m->created_at;
    }
    return rc;
}

static int memo_from_row(sqlite3_stmt *q, struct memo *m)
{
    bool ok = true;

    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(q, 0);
    col_text(q, 1, m->public_id, sizeof(m->public_id));
    m->drafter_ref = sqlite3_column_int64(q, 2); /* store.c opens the drafter */
    /* the whole stored value: one past int's range must fail the MAC, not pass as its low bits */
    m->state = memo_state_col(sqlite3_column_int64(q, 3));
    m->title = col_dup(q, 4, &m->title_len, &ok);
    m->body = col_dup(q, 5, &m->body_len, &ok);
    m->has_digest = col_fixed(q, 6, m->digest, sizeof(m->digest));
    m->show_names = sqlite3_column_int(q, 7) != 0;
    m->version = sqlite3_column_int64(q, 8);
    m->created_at = sqlite3_column_int64(q, 9);
    m->updated_at = sqlite3_column_int64(q, 10);
    m->filed_day = sqlite3_column_int64(q, 11);
    m->ack_day = sqlite3_column_int64(q, 12);
    m->ack_due = sqlite3_column_int64(q, 13);
    m->reply_due = sqlite3_column_int64(q, 14);
    m->reply_max = sqlite3_column_int64(q, 15);
    m->replied_day = sqlite3_column_int64(q, 16);
    m->closed_day = sqlite3_column_int64(q, 17);
    m->reason = col_dup(q, 18, &m->reason_len, &ok);
    m->reply = col_dup(q, 19, &m->reply_len, &ok);
    m->reply_note = col_dup(q, 20, &m->reply_note_len, &ok);
    m->signer_count = sqlite3_column_int(q, 21);
    m->has_log = col_fixed(q, 22, m->log_tag, sizeof(m->log_tag)) &&
                 col_fixed(q, 23, m->log_salt, sizeof(m->log_salt));
    m->log_index = sqlite3_column_int64(q, 24);
    col_fixed(q, 25, m->mac, sizeof(m->mac)); /* NULL before adoption: zero */
    m->has_drafter = col_who(q, 26, m->drafter);
    if (sqlite3_column_count(q) > 27)
        m->has_member = col_who(q, 27, m->member);
    if (!ok) {
        store_memo_release(m);
        return ERR_NOMEM;
    }
    return 0;
}

static int sq_memo_get(struct store *st, const char *public_id, struct memo *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_GET);
    int r, rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, public_id, -1, SQLITE_STATIC);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW)
        rc = memo_from_row(q, out);
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, "memo get");
    done(q);
    return rc;
}

static int sq_memo_update(struct store *st, struct memo *m)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_UPDATE);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int(q, 1, m->state);
    bind_bytes(q, 2, m->title ? m->title : (const uint8_t *)"", m->title_len);
    bind_bytes(q, 3, m->body ? m->body : (const uint8_t *)"", m->body_len);
    bind_bytes(q, 4, m->has_digest ? m->digest : NULL, sizeof(m->digest));
    sqlite3_bind_int(q, 5, m->show_names);
    sqlite3_bind_int64(q, 6, m->updated_at);
    sqlite3_bind_int64(q, 7, m->filed_day);
    sqlite3_bind_int64(q, 8, m->ack_day);
    sqlite3_bind_int64(q, 9, m->ack_due);
    sqlite3_bind_int64(q, 10, m->reply_due);
    sqlite3_bind_int64(q, 11, m->reply_max);
    sqlite3_bind_int64(q, 12, m->replied_day);
    sqlite3_bind_int64(q, 13, m->closed_day);
    bind_bytes(q, 14, m->reason, m->reason_len);
    bind_bytes(q, 15, m->reply, m->reply_len);
    bind_bytes(q, 16, m->reply_note, m->reply_note_len);
    sqlite3_bind_int64(q, 17, m->id);
    sqlite3_bind_int64(q, 18, m->version);
    bind_bytes(q, 19, m->has_log ? m->log_tag : NULL, sizeof(m->log_tag));
    bind_bytes(q, 20, m->has_log ? m->log_salt : NULL, sizeof(m->log_salt));
    sqlite3_bind_int64(q, 21, m->log_index);
    sqlite3_bind_blob(q, 22, m->mac, sizeof(m->mac), SQLITE_STATIC);
    rc = exec_stmt(s, q, "memo update");
    if (rc == 0) {
        if (sqlite3_changes(s->db) == 0)
            return ERR_CONFLICT;
        m->version++;
    }
    return rc;
}

static int sq_memo_list(struct store *st, const struct memo_filter *f, struct memo **out,
                        size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_LIST);
    struct memo *arr = NULL;
    size_t n = 0;
    int r, rc = 0;

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    if (f->limit <= 0)
        return 0;
    arr = mem_calloc((size_t)f->limit, sizeof(*arr));
    if (arr == NULL)
        return ERR_NOMEM;
    sqlite3_bind_int64(q, 1, f->after);
    sqlite3_bind_int(q, 2, f->state);
    sqlite3_bind_int(q, 3, f->drafted);
    sqlite3_bind_int64(q, 4, f->user_id);
    sqlite3_bind_int64(q, 5, f->relations);
    sqlite3_bind_int(q, 6, f->all_from);
    sqlite3_bind_int(q, 7, f->limit);
    sqlite3_bind_int64(q, 8, f->excluded);
    sqlite3_bind_int64(q, 9, f->since_id);
    while (rc == 0 && n < (size_t)f->limit && (r = sqlite3_step(q)) == SQLITE_ROW) {
        rc = memo_from_row(q, &arr[n]);
        if (rc == 0) {
            /* checked before the body goes (store.c drops a row that fails) */
            int chk = integ_memo_check(st, &arr[n]);
            arr[n].tampered = chk == ERR_INTEGRITY;
            if (chk != 0 && chk != ERR_INTEGRITY)
                rc = chk;
            /* lists carry no body */
            mem_free(arr[n].body);
            arr[n].body = NULL;
            arr[n].body_len = 0;
            n++;
        }
    }
    if (rc == 0 && n < (size_t)f->limit && r != SQLITE_DONE)
        rc = db_fail(s, "memo list");
    done(q);
    if (rc != 0) {
        store_memo_list_free(arr, n);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

static int collect(struct store_sqlite *s, sqlite3_stmt *q, size_t size,
                   int (*fill)(sqlite3_stmt *q, void *item), void (*release)(void *arr, size_t n),
                   const char *what, void **out, size_t *count);

static int sq_memo_seal(struct store *st, int64_t id, const uint8_t *drafter,
                        const uint8_t mac[STORE_MAC_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_SEAL);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, mac, STORE_MAC_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, id);
    bind_bytes(q, 3, drafter, drafter != NULL ? STORE_WHO_LEN : 0);
    return exec_stmt(s, q, "memo seal");
}

static int fill_memo(sqlite3_stmt *q, void *item)
{
    return memo_from_row(q, item);
}

static void release_memos(void *arr, size_t n)
{
    store_memo_list_free(arr, n);
}

static int sq_memo_page(struct store *st, int64_t after, int limit, struct memo **out,
                        size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_PAGE);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit);
    return collect(s, q, sizeof(**out), fill_memo, release_memos, "memo page", (void **)out, count);
}

static int sq_member_add(struct store *st, int64_t memo_id, int64_t ref,
                         const uint8_t who[STORE_WHO_LEN], unsigned relation, int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMBER_ADD);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, ref);
    sqlite3_bind_int64(q, 3, relation);
    sqlite3_bind_int64(q, 4, at);
    sqlite3_bind_blob(q, 5, who, STORE_WHO_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "member add");
}

static int sq_member_drop(struct store *st, int64_t memo_id, int64_t user_id, unsigned relation)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMBER_DROP);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, user_id);
    sqlite3_bind_int64(q, 3, relation);
    return exec_stmt(s, q, "member drop");
}

/* One account's row of a memo (statement @id: value, time, sealed id), by its pseudonym. */
static int related(struct store_sqlite *s, enum stmt_id id, int64_t memo_id, int64_t ref,
                   const char *what, struct store_related *out)
{
    sqlite3_stmt *q = stmt(s, id);
    int r, rc = 0;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, ref);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        out->found = true;
        out->value = sqlite3_column_int64(q, 0);
        out->at = sqlite3_column_int64(q, 1);
        out->has_who = col_who(q, 2, out->who);
    } else if (r != SQLITE_DONE) {
        rc = db_fail(s, what);
    }
    done(q);
    return rc;
}

static int sq_member_get(struct store *st, int64_t memo_id, int64_t ref, struct store_related *out)
{
    return related(SQ(st), ST_MEMBER_GET, memo_id, ref, "member get", out);
}

/* Grow *@arr (of @size-byte items, *@cap of them) so that index @n fits. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *p;
    size_t c;

    if (n < *cap)
        return 0;
    c = *cap ? *cap * 2 : 16;
    p = mem_realloc(*arr, c * size);
    if (p == NULL)
        return ERR_NOMEM;
    memset((char *)p + *cap * size, 0, (c - *cap) * size);
    *arr = p;
    *cap = c;
    return 0;
}

/*
 * Step the bound statement @q to its end, appending one @size-byte item per row filled by @fill
 * (which returns 0 or ERR_NOMEM). On failure the items so far are released with @release.
 * *@out is the array (the caller frees it with @release), *@count its length.
 */
static int collect(struct store_sqlite *s, sqlite3_stmt *q, size_t size,
                   int (*fill)(sqlite3_stmt *q, void *item), void (*release)(void *arr, size_t n),
                   const char *what, void **out, size_t *count)
{
    void *arr = NULL;
    size_t n = 0, cap = 0;
    int r, rc = 0;

    *out = NULL;
    *count = 0;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if ((rc = grow(&arr, &cap, n, size)) != 0)
            break;
        rc = fill(q, (char *)arr + n * size);
        n++;
        if (rc != 0)
            break;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = db_fail(s, what);
    done(q);
    if (rc != 0) {
        release(arr, n);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

static int fill_member(sqlite3_stmt *q, void *item)
{
    struct memo_member *m = item;

    m->ref = sqlite3_column_int64(q, 0);
    m->relation = (unsigned)sqlite3_column_int64(q, 3);
    m->at = sqlite3_column_int64(q, 4);
    m->has_who = col_who(q, 5, m->who);
    return 0;
}

static void release_plain(void *arr, size_t n)
{
    mem_free(arr);
}

static int sq_member_list(struct store *st, int64_t memo_id, unsigned relation,
                          struct memo_member **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMBER_LIST);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, relation);
    return collect(s, q, sizeof(**out), fill_member, release_plain, "member list", (void **)out,
                   count);
}

static int sq_signature_add(struct store *st, const struct signature *sig)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SIG_ADD);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, sig->memo_id);
    sqlite3_bind_int64(q, 2, sig->ref);
    sqlite3_bind_text(q, 3, sig->note, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, sig->vkey, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, sig->created_at);
    sqlite3_bind_blob(q, 6, sig->who, STORE_WHO_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "signature add");
}

static int sq_signature_withdraw(struct store *st, int64_t memo_id, int64_t user_id)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SIG_WITHDRAW);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, user_id);
    rc = exec_stmt(s, q, "signature withdraw");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

static int sq_signature_has(struct store *st, int64_t memo_id, int64_t ref,
                            struct store_related *out)
{
    return related(SQ(st), ST_SIG_HAS, memo_id, ref, "signature has", out);
}

static int sq_signature_void_all(struct store *st, int64_t memo_id, const char *reason, int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SIG_VOID);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, at);
    sqlite3_bind_text(q, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, memo_id);
    return exec_stmt(s, q, "signature void");
}

static int fill_signature(sqlite3_stmt *q, void *item)
{
    struct signature *g = item;
    bool ok = true;

    g->memo_id = sqlite3_column_int64(q, 0);
    g->ref = sqlite3_column_int64(q, 1); /* store.c opens the signer */
    g->has_who = col_who(q, 9, g->who);
    g->note = (char *)col_dup(q, 4, NULL, &ok);
    g->vkey = (char *)col_dup(q, 5, NULL, &ok);
    g->created_at = sqlite3_column_int64(q, 6);
    g->voided_at = sqlite3_column_int64(q, 7);
    g->void_reason = (char *)col_dup(q, 8, NULL, &ok);
    return ok ? 0 : ERR_NOMEM;
}

static void release_signatures(void *arr, size_t n)
{
    store_signature_list_free(arr, n);
}

static int sq_signature_list(struct store *st, int64_t memo_id, bool include_void,
                             struct signature **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SIG_LIST);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int(q, 2, include_void);
    return collect(s, q, sizeof(**out), fill_signature, release_signatures, "signature list",
                   (void **)out, count);
}

static int sq_comment_add(struct store *st, int64_t memo_id, struct memo_comment *c)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_COMMENT_ADD);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_blob(q, 2, c->author, STORE_WHO_LEN, SQLITE_STATIC);
    bind_bytes(q, 3, c->body ? c->body : (const uint8_t *)"", c->body_len);
    sqlite3_bind_int64(q, 4, c->at);
    rc = exec_stmt(s, q, "comment add");
    if (rc == 0)
        c->id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static int fill_comment(sqlite3_stmt *q, void *item)
{
    struct memo_comment *c = item;
    bool ok = true;

    c->id = sqlite3_column_int64(q, 0);
    c->author_id = sqlite3_column_int64(q, 1);
    col_text(q, 2, c->username, sizeof(c->username));
    col_text(q, 3, c->display_name, sizeof(c->display_name));
    c->body = col_dup(q, 4, &c->body_len, &ok);
    c->at = sqlite3_column_int64(q, 5);
    c->has_author = col_who(q, 6, c->author);
    return ok ? 0 : ERR_NOMEM;
}

static void release_comments(void *arr, size_t n)
{
    store_comment_list_free(arr, n);
}

static int sq_comment_list(struct store *st, int64_t memo_id, struct memo_comment **out,
                           size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_COMMENT_LIST);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    return collect(s, q, sizeof(**out), fill_comment, release_comments, "comment list",
                   (void **)out, count);
}

static int sq_event_add(struct store *st, int64_t memo_id, const char *kind,
                        const uint8_t actor[STORE_WHO_LEN], const char *detail, int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_EVENT_ADD);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 3, actor, STORE_WHO_LEN, SQLITE_STATIC);
    if (detail != NULL)
        sqlite3_bind_text(q, 4, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, at);
    return exec_stmt(s, q, "event add");
}

static int fill_event(sqlite3_stmt *q, void *item)
{
    struct memo_event *e = item;
    bool ok = true;

    e->id = sqlite3_column_int64(q, 0);
    col_text(q, 1, e->kind, sizeof(e->kind));
    e->actor_id = sqlite3_column_int64(q, 2);
    col_text(q, 3, e->username, sizeof(e->username));
    e->detail = (char *)col_dup(q, 4, NULL, &ok);
    e->at = sqlite3_column_int64(q, 5);
    e->has_actor = col_who(q, 6, e->actor);
    return ok ? 0 : ERR_NOMEM;
}

static void release_events(void *arr, size_t n)
{
    store_event_list_free(arr, n);
}

static int sq_event_list(struct store *st, int64_t memo_id, struct memo_event **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_EVENT_LIST);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    return collect(s, q, sizeof(**out), fill_event, release_events, "event list", (void **)out,
                   count);
}

static int fill_legacy(sqlite3_stmt *q, void *item)
{
    struct legacy_text *t = item;
    bool ok = true;

    t->table = STORE_LEGACY_EVENT;
    t->id = sqlite3_column_int64(q, 1);
    t->memo_id = sqlite3_column_int64(q, 2);
    t->who = sqlite3_column_int64(q, 3);
    t->at = sqlite3_column_int64(q, 4);
    col_text(q, 5, t->kind, sizeof(t->kind));
    t->text = (char *)col_dup(q, 6, NULL, &ok);
    return ok ? 0 : ERR_NOMEM;
}

static void release_legacy(void *arr, size_t n)
{
    store_legacy_texts_free(arr, n);
}

static int sq_legacy_texts(struct store *st, struct legacy_text **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_LEGACY_TEXTS);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    return collect(s, q, sizeof(**out), fill_legacy, release_legacy, "legacy texts", (void **)out,
                   count);
}

static int sq_legacy_text_set(struct store *st, enum store_legacy table, int64_t id,
                              const char *text)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_LEGACY_EVENT_SET);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, id);
    return exec_stmt(s, q, "legacy text");
}

static int fill_legacy_person(sqlite3_stmt *q, void *item)
{
    struct legacy_person *p = item;
    bool ok = true;

    p->table = (enum store_person)sqlite3_column_int(q, 0);
    p->memo_id = sqlite3_column_int64(q, 1);
    p->id = sqlite3_column_int64(q, 2);
    p->user_id = sqlite3_column_int64(q, 3);
    p->at = sqlite3_column_int64(q, 4);
    p->note = (char *)col_dup(q, 5, NULL, &ok);
    p->vkey = (char *)col_dup(q, 6, NULL, &ok);
    col_text(q, 7, p->public_id, sizeof(p->public_id));
    return ok ? 0 : ERR_NOMEM;
}

static void release_legacy_people(void *arr, size_t n)
{
    store_legacy_people_free(arr, n);
}

static int sq_legacy_people(struct store *st, struct legacy_person **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_LEGACY_PEOPLE);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    return collect(s, q, sizeof(**out), fill_legacy_person, release_legacy_people, "legacy people",
                   (void **)out, count);
}

static int sq_legacy_person_set(struct store *st, const struct legacy_person *p, int64_t ref,
                                const uint8_t who[STORE_WHO_LEN], const char *note,
                                const char *vkey)
{
    static const enum stmt_id ids[] = {[STORE_PERSON_DRAFTER] = ST_LEGACY_DRAFTER_SET,
                                       [STORE_PERSON_MEMBER] = ST_LEGACY_MEMBER_SET,
                                       [STORE_PERSON_SIGNER] = ST_LEGACY_SIGNER_SET,
                                       [STORE_PERSON_KEY] = ST_LEGACY_KEY_SET};
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ids[p->table]);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, p->table == STORE_PERSON_SIGNER ? p->id : p->memo_id);
    sqlite3_bind_int64(q, 2, p->user_id);
    sqlite3_bind_int64(q, 3, ref);
    if (p->table != STORE_PERSON_KEY)
        sqlite3_bind_blob(q, 4, who, STORE_WHO_LEN, SQLITE_STATIC);
    if (p->table == STORE_PERSON_SIGNER) {
        sqlite3_bind_text(q, 5, note, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, vkey, -1, SQLITE_STATIC);
    }
    return exec_stmt(s, q, "legacy person");
}

static int fill_legacy_actor(sqlite3_stmt *q, void *item)
{
    struct legacy_actor *a = item;
    int t = sqlite3_column_int(q, 0);

    a->table = t == 0 ? STORE_WHO_AUDIT : t == 1 ? STORE_WHO_COMMENT : STORE_WHO_EVENT;
    a->id = sqlite3_column_int64(q, 1);
    a->memo_id = sqlite3_column_int64(q, 2);
    a->row = sqlite3_column_int64(q, 3);
    a->who = sqlite3_column_int64(q, 4);
    col_text(q, 5, a->kind, sizeof(a->kind));
    return 0;
}

static int sq_legacy_actors(struct store *st, struct legacy_actor **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_LEGACY_ACTORS);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    return collect(s, q, sizeof(**out), fill_legacy_actor, release_plain, "legacy actors",
                   (void **)out, count);
}

static int sq_legacy_actor_set(struct store *st, enum store_who table, int64_t id,
                               const uint8_t who[STORE_WHO_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, table == STORE_WHO_AUDIT     ? ST_LEGACY_AUDIT_SET
                              : table == STORE_WHO_COMMENT ? ST_LEGACY_COMMENT_SET
                                                           : ST_LEGACY_EVENT_ACTOR_SET);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, who, STORE_WHO_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, id);
    return exec_stmt(s, q, "legacy actor");
}

/* An envelope column: sealed || mac (STORE_SEALED_LEN + STORE_MAC_LEN bytes), or a sealed key
 * alone as written before migration 10 (then the MAC reads as zero and fails its check).
 * ERR_INTEGRITY for any other length. */
static int col_envelope(sqlite3_stmt *q, int col, uint8_t sealed[STORE_SEALED_LEN],
                        uint8_t mac[STORE_MAC_LEN])
{
    const uint8_t *b = sqlite3_column_blob(q, col);
    size_t n = (size_t)sqlite3_column_bytes(q, col);

    memset(mac, 0, STORE_MAC_LEN);
    if (b == NULL || (n != STORE_SEALED_LEN && n != STORE_SEALED_LEN + STORE_MAC_LEN)) {
        memset(sealed, 0, STORE_SEALED_LEN);
        return ERR_INTEGRITY;
    }
    memcpy(sealed, b, STORE_SEALED_LEN);
    if (n > STORE_SEALED_LEN)
        memcpy(mac, b + STORE_SEALED_LEN, STORE_MAC_LEN);
    return 0;
}

/* Bind sealed || mac as parameter @col (the buffer must outlive the statement's step). */
static void bind_envelope(sqlite3_stmt *q, int col, uint8_t buf[STORE_SEALED_LEN + STORE_MAC_LEN],
                          const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN])
{
    memcpy(buf, sealed, STORE_SEALED_LEN);
    memcpy(buf + STORE_SEALED_LEN, mac, STORE_MAC_LEN);
    sqlite3_bind_blob(q, col, buf, STORE_SEALED_LEN + STORE_MAC_LEN, SQLITE_STATIC);
}

/* Run @q (bound) expecting at most one row whose first column is an envelope. */
static int get_envelope(struct store_sqlite *s, sqlite3_stmt *q, uint8_t sealed[STORE_SEALED_LEN],
                        uint8_t mac[STORE_MAC_LEN], const char *what)
{
    int r = sqlite3_step(q), rc = 0;

    if (r == SQLITE_ROW)
        rc = col_envelope(q, 0, sealed, mac);
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, what);
    if (rc != 0) {
        memset(sealed, 0, STORE_SEALED_LEN);
        memset(mac, 0, STORE_MAC_LEN);
    }
    done(q);
    return rc;
}

static int sq_memo_key_put(struct store *st, int64_t memo_id, int64_t user_id,
                           const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN],
                           int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MKEY_PUT);
    uint8_t buf[STORE_SEALED_LEN + STORE_MAC_LEN];

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, user_id);
    bind_envelope(q, 3, buf, sealed, mac);
    sqlite3_bind_int64(q, 4, at);
    return exec_stmt(s, q, "memo key put");
}

/* Run @q (bound) expecting at most one row whose first column is a blob of @len bytes. */
static int get_fixed(struct store_sqlite *s, sqlite3_stmt *q, uint8_t *out, size_t len,
                     const char *what)
{
    int r = sqlite3_step(q), rc = 0;

    if (r == SQLITE_ROW)
        rc = col_fixed(q, 0, out, len) ? 0 : ERR_DB;
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, what);
    if (rc != 0)
        memset(out, 0, len);
    done(q);
    return rc;
}

static int sq_memo_key_get(struct store *st, int64_t memo_id, int64_t user_id,
                           uint8_t sealed[STORE_SEALED_LEN], uint8_t mac[STORE_MAC_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MKEY_GET);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, user_id);
    return get_envelope(s, q, sealed, mac, "memo key get");
}

static int sq_memo_key_delete(struct store *st, int64_t memo_id, int64_t user_id)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MKEY_DELETE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, user_id);
    return exec_stmt(s, q, "memo key delete");
}

static int fill_key_row(sqlite3_stmt *q, void *item)
{
    struct memo_key_row *k = item;

    k->memo_id = sqlite3_column_int64(q, 0);
    col_text(q, 2, k->public_id, sizeof(k->public_id));
    return col_envelope(q, 1, k->sealed, k->mac);
}

static int sq_memo_keys_of(struct store *st, int64_t user_id, struct memo_key_row **out,
                           size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MKEY_OF);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    return collect(s, q, sizeof(**out), fill_key_row, release_plain, "memo keys of", (void **)out,
                   count);
}

static int sq_channel_key_get(struct store *st, uint8_t pk[STORE_PUB_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_CKEY_GET);

    if (q == NULL)
        return ERR_DB;
    return get_fixed(s, q, pk, STORE_PUB_LEN, "channel key get");
}

static int sq_channel_key_create(struct store *st, const uint8_t pk[STORE_PUB_LEN], int64_t by,
                                 int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_CKEY_CREATE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, pk, STORE_PUB_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, by);
    sqlite3_bind_int64(q, 3, at);
    return exec_stmt(s, q, "channel key create");
}

static int sq_channel_key_rotate(struct store *st, const uint8_t pk[STORE_PUB_LEN], int64_t by,
                                 int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_CKEY_ROTATE);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, pk, STORE_PUB_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, by);
    sqlite3_bind_int64(q, 3, at);
    rc = exec_stmt(s, q, "channel key rotate");
    return rc == 0 && sqlite3_changes(s->db) == 0 ? ERR_NOT_FOUND : rc;
}

static int sq_channel_grant_put(struct store *st, int64_t user_id,
                                const uint8_t sealed[STORE_SEALED_LEN],
                                const uint8_t mac[STORE_MAC_LEN], int64_t by, int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_GRANT_PUT);
    uint8_t buf[STORE_SEALED_LEN + STORE_MAC_LEN];

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    bind_envelope(q, 2, buf, sealed, mac);
    sqlite3_bind_int64(q, 3, by);
    sqlite3_bind_int64(q, 4, at);
    return exec_stmt(s, q, "channel grant put");
}

static int sq_channel_grant_get(struct store *st, int64_t user_id, uint8_t sealed[STORE_SEALED_LEN],
                                uint8_t mac[STORE_MAC_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_GRANT_GET);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    return get_envelope(s, q, sealed, mac, "channel grant get");
}

static int sq_user_revoke_keys(struct store *st, int64_t user_id, int64_t ref, unsigned what)
{
    struct store_sqlite *s = SQ(st);
    enum stmt_id ids[2] = {ST_REVOKE_MKEYS, ST_REVOKE_GRANT};
    int rc = 0;

    for (int i = 0; i < 2 && rc == 0; i++) {
        sqlite3_stmt *q;
        if (!(what & (1u << i)))
            continue;
        q = stmt(s, ids[i]);
        if (q == NULL)
            return ERR_DB;
        /* memo keys are held by pseudonym (store.h, "Who"), grants by account */
        sqlite3_bind_int64(q, 1, i == 0 ? ref : user_id);
        rc = exec_stmt(s, q, "revoke keys");
    }
    return rc;
}

static int sq_totp_get(struct store *st, int64_t user_id, struct user_totp *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TOTP_GET);
    int r, rc = 0;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        out->user_id = user_id;
        if (!col_fixed(q, 0, out->sealed, sizeof(out->sealed)))
            rc = ERR_DB;
        out->enabled = sqlite3_column_int(q, 1) != 0;
        out->last_step = sqlite3_column_int64(q, 2);
        /* NULL until confirmed: no codes yet */
        if (sqlite3_column_type(q, 3) != SQLITE_NULL &&
            !col_fixed(q, 3, &out->codes[0][0], sizeof(out->codes)))
            rc = ERR_DB;
        out->created_at = sqlite3_column_int64(q, 4);
        out->updated_at = sqlite3_column_int64(q, 5);
        out->version = sqlite3_column_int64(q, 6);
        col_fixed(q, 7, out->mac, sizeof(out->mac));
    } else if (r == SQLITE_DONE) {
        rc = ERR_NOT_FOUND;
    } else {
        rc = db_fail(s, "totp get");
    }
    done(q);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

static int sq_totp_put(struct store *st, struct user_totp *t)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TOTP_PUT);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, t->user_id);
    sqlite3_bind_blob(q, 2, t->sealed, sizeof(t->sealed), SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, t->created_at);
    sqlite3_bind_blob(q, 4, t->mac, sizeof(t->mac), SQLITE_STATIC);
    rc = exec_stmt(s, q, "totp put");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        return ERR_EXISTS;
    if (rc == 0) {
        t->enabled = false;
        t->last_step = 0;
        memset(t->codes, 0, sizeof(t->codes));
        t->updated_at = t->created_at;
        t->version = 1;
    }
    return rc;
}

static int sq_totp_update(struct store *st, struct user_totp *t)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TOTP_UPDATE);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int(q, 1, t->enabled);
    sqlite3_bind_int64(q, 2, t->last_step);
    sqlite3_bind_blob(q, 3, t->codes, sizeof(t->codes), SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, t->updated_at);
    sqlite3_bind_int64(q, 5, t->user_id);
    sqlite3_bind_int64(q, 6, t->version);
    sqlite3_bind_blob(q, 7, t->mac, sizeof(t->mac), SQLITE_STATIC);
    rc = exec_stmt(s, q, "totp update");
    if (rc == 0) {
        if (sqlite3_changes(s->db) == 0)
            return ERR_CONFLICT;
        t->version++;
    }
    return rc;
}

static int sq_totp_delete(struct store *st, int64_t user_id)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TOTP_DELETE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    return exec_stmt(s, q, "totp delete");
}

static int fill_audit(sqlite3_stmt *q, void *item)
{
    struct audit_record *a = item;

    a->id = sqlite3_column_int64(q, 0);
    a->memo_id = sqlite3_column_int64(q, 1);
    a->actor_id = sqlite3_column_int64(q, 2);
    col_text(q, 3, a->username, sizeof(a->username));
    col_text(q, 4, a->action, sizeof(a->action));
    a->at = sqlite3_column_int64(q, 5);
    col_fixed(q, 6, a->hash, sizeof(a->hash));
    a->has_actor = col_who(q, 7, a->actor);
    return 0;
}

static int sq_audit_last(struct store *st, struct audit_record *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_AUDIT_LAST);
    int r, rc = 0;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    r = sqlite3_step(q);
    if (r == SQLITE_ROW)
        fill_audit(q, out);
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, "audit last");
    done(q);
    return rc;
}

static int sq_audit_set_hash(struct store *st, int64_t id, const uint8_t hash[32])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_AUDIT_SET_HASH);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, id);
    return exec_stmt(s, q, "audit set hash");
}

static int sq_audit_insert(struct store *st, const struct audit_record *a)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_AUDIT_INSERT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, a->id);
    sqlite3_bind_int64(q, 2, a->memo_id);
    sqlite3_bind_text(q, 3, a->action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, a->at);
    sqlite3_bind_blob(q, 5, a->hash, sizeof(a->hash), SQLITE_STATIC);
    sqlite3_bind_blob(q, 6, a->actor, STORE_WHO_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "audit insert");
}

static int sq_audit_list(struct store *st, int64_t memo_id, int64_t after, int limit,
                         struct audit_record **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_AUDIT_LIST);

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, memo_id);
    sqlite3_bind_int64(q, 2, after);
    sqlite3_bind_int(q, 3, limit);
    return collect(s, q, sizeof(**out), fill_audit, release_plain, "audit list", (void **)out,
                   count);
}

static int sq_savepoint(struct store *st)
{
    return run_simple(st, ST_SAVEPOINT, "savepoint");
}

static int sq_savepoint_release(struct store *st)
{
    return run_simple(st, ST_RELEASE, "release");
}

static int sq_savepoint_rollback(struct store *st)
{
    int rc = run_simple(st, ST_ROLLBACK_TO, "rollback to");

    return rc != 0 ? rc : run_simple(st, ST_RELEASE, "release");
}

static int sq_memo_head(struct store *st, const char *public_id, int *state, int64_t *version,
                        int *signer_count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_MEMO_HEAD);
    int r, rc = 0;

    *state = 0;
    *version = 0;
    *signer_count = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, public_id, -1, SQLITE_STATIC);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        *state = sqlite3_column_int(q, 0);
        *version = sqlite3_column_int64(q, 1);
        *signer_count = sqlite3_column_int(q, 2);
    } else if (r == SQLITE_DONE) {
        rc = ERR_NOT_FOUND;
    } else {
        rc = db_fail(s, "memo head");
    }
    done(q);
    return rc;
}

/* One data directory belongs to one server process: it always leads. */
static int sq_leader(struct store *st, bool *yes)
{
    *yes = true;
    return 0;
}

static int sq_tlog_size(struct store *st, uint64_t *size)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TLOG_SIZE);
    int64_t v = 0;
    int rc;

    *size = 0;
    if (q == NULL)
        return ERR_DB;
    /* migration 4 made the one row */
    rc = row_int64(s, q, "tlog size", &v);
    *size = (uint64_t)v;
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

static int sq_tlog_set_size(struct store *st, uint64_t size)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TLOG_SET_SIZE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, (int64_t)size);
    return exec_stmt(s, q, "tlog set size");
}

static int sq_tlog_tile_get(struct store *st, int level, uint64_t index, uint8_t **data,
                            size_t *len, unsigned *width)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TILE_GET);
    bool ok = true;
    int r, rc = 0;

    *data = NULL;
    *len = 0;
    *width = 0;
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int(q, 1, level);
    sqlite3_bind_int64(q, 2, (int64_t)index);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        *data = col_dup(q, 0, len, &ok);
        *width = (unsigned)sqlite3_column_int(q, 1);
        if (!ok)
            rc = ERR_NOMEM;
    } else if (r == SQLITE_DONE) {
        rc = ERR_NOT_FOUND;
    } else {
        rc = db_fail(s, "tile get");
    }
    done(q);
    return rc;
}

static int sq_tlog_tile_put(struct store *st, int level, uint64_t index, unsigned width,
                            const uint8_t *data, size_t len)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_TILE_PUT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int(q, 1, level);
    sqlite3_bind_int64(q, 2, (int64_t)index);
    sqlite3_bind_int(q, 3, (int)width);
    sqlite3_bind_blob64(q, 4, data, len, SQLITE_STATIC);
    return exec_stmt(s, q, "tile put");
}

static int sq_tlog_checkpoint_latest(struct store *st, uint64_t *size, char **text)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_CP_LATEST);
    bool ok = true;
    int r, rc = 0;

    *size = 0;
    *text = NULL;
    if (q == NULL)
        return ERR_DB;
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        *size = (uint64_t)sqlite3_column_int64(q, 0);
        *text = (char *)col_dup(q, 1, NULL, &ok);
        if (!ok)
            rc = ERR_NOMEM;
    } else if (r == SQLITE_DONE) {
        rc = ERR_NOT_FOUND;
    } else {
        rc = db_fail(s, "checkpoint latest");
    }
    done(q);
    return rc;
}

static int sq_tlog_checkpoint_put(struct store *st, uint64_t size, const char *text, int64_t at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_CP_PUT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, (int64_t)size);
    sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, at);
    return exec_stmt(s, q, "checkpoint put");
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

static int sq_outbox_add(struct store *st, const struct outbox_item *it)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_ADD);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, it->dedupe, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, it->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, it->user_id);
    sqlite3_bind_text(q, 4, it->rcpt, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, it->subject ? it->subject : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, it->body ? it->body : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, it->next_at);
    sqlite3_bind_int64(q, 8, it->created_at);
    sqlite3_bind_blob(q, 9, it->mac, sizeof(it->mac), SQLITE_STATIC);
    return exec_stmt(s, q, "outbox add");
}

/* The status columns (OUTBOX_COLS) of a row into @item; with @content, subject and body too. */
static int fill_outbox_row(sqlite3_stmt *q, struct outbox_item *o, bool content)
{
    o->id = sqlite3_column_int64(q, 0);
    col_text(q, 1, o->dedupe, sizeof(o->dedupe));
    col_text(q, 2, o->kind, sizeof(o->kind));
    o->user_id = sqlite3_column_int64(q, 3);
    col_text(q, 5, o->rcpt, sizeof(o->rcpt));
    o->status = sqlite3_column_int(q, 6);
    o->attempts = sqlite3_column_int(q, 7);
    o->next_at = sqlite3_column_int64(q, 8);
    o->created_at = sqlite3_column_int64(q, 9);
    o->sent_at = sqlite3_column_int64(q, 10);
    if (content) {
        o->subject = mem_strdup((const char *)sqlite3_column_text(q, 11));
        o->body = mem_strdup((const char *)sqlite3_column_text(q, 12));
        if (o->subject == NULL || o->body == NULL)
            return ERR_NOMEM;
        col_fixed(q, 13, o->mac, sizeof(o->mac));
    }
    return 0;
}

static int fill_outbox(sqlite3_stmt *q, void *item)
{
    return fill_outbox_row(q, item, false);
}

static int fill_outbox_content(sqlite3_stmt *q, void *item)
{
    return fill_outbox_row(q, item, true);
}

static void release_outbox(void *arr, size_t n)
{
    store_outbox_list_free(arr, n);
}

static int sq_outbox_due(struct store *st, int64_t now, int limit, struct outbox_item **out,
                         size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_DUE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_int(q, 2, limit);
    return collect(s, q, sizeof(**out), fill_outbox_content, release_outbox, "outbox due",
                   (void **)out, count);
}

static int sq_outbox_legacy(struct store *st, struct outbox_item **out, size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_LEGACY);

    if (q == NULL)
        return ERR_DB;
    return collect(s, q, sizeof(**out), fill_outbox_content, release_outbox, "outbox legacy",
                   (void **)out, count);
}

static int sq_outbox_reseal(struct store *st, int64_t id, const char *sealed)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_RESEAL);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, sealed, -1, SQLITE_STATIC);
    return exec_stmt(s, q, "outbox reseal");
}

static int sq_outbox_claim(struct store *st, int64_t id, int64_t now, int64_t until)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_CLAIM);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, now);
    sqlite3_bind_int64(q, 3, until);
    rc = exec_stmt(s, q, "outbox claim");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = ERR_CONFLICT;
    return rc;
}

static int sq_outbox_finish(struct store *st, int64_t id, int status, int attempts, int64_t next_at,
                            int64_t sent_at)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_FINISH);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int(q, 1, status);
    sqlite3_bind_int(q, 2, attempts);
    sqlite3_bind_int64(q, 3, next_at);
    sqlite3_bind_int64(q, 4, sent_at);
    sqlite3_bind_int64(q, 5, id);
    return exec_stmt(s, q, "outbox finish");
}

static int sq_outbox_list(struct store *st, int64_t after, int limit, struct outbox_item **out,
                          size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_OUTBOX_LIST);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, limit);
    return collect(s, q, sizeof(**out), fill_outbox, release_outbox, "outbox list", (void **)out,
                   count);
}

static int sq_notify_prefs_get(struct store *st, int64_t user_id, unsigned *off)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_PREFS_GET);
    int64_t v = 0;
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    rc = row_int64(s, q, "prefs get", &v);
    *off = rc == 0 ? (unsigned)v : 0;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int sq_notify_prefs_set(struct store *st, int64_t user_id, unsigned off)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_PREFS_SET);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    sqlite3_bind_int64(q, 2, off);
    return exec_stmt(s, q, "prefs set");
}

static int sq_table_rows(struct store *st, size_t table, int64_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = NULL;
    char sql[256];
    int rc;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", store_tables[table].name);
    if ((rc = prepare_built(s, sql, &q)) != 0)
        return rc;
    rc = row_int64(s, q, "count", count);
    sqlite3_finalize(q);
    return rc;
}

/* Ids given explicitly move SQLite's rowid allocation along by themselves. */
static int sq_load_finish(struct store *st)
{
    (void)st;
    return 0;
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .ping = sq_ping,
    .scrub = sq_scrub,
    .user_create = sq_user_create,
    .user_get_by_name = sq_user_get_by_name,
    .user_get_by_id = sq_user_get_by_id,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_count = sq_user_count,
    .user_seal = sq_user_seal,
    .memo_last_id = sq_memo_last_id,
    .user_last_id = sq_user_last_id,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .session_delete_user = sq_session_delete_user,
    .session_purge = sq_session_purge,
    .login_failure_add = sq_login_failure_add,
    .login_failure_take = sq_login_failure_take,
    .login_failure_count = sq_login_failure_count,
    .login_failure_clear = sq_login_failure_clear,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .memo_create = sq_memo_create,
    .memo_get = sq_memo_get,
    .memo_update = sq_memo_update,
    .memo_seal = sq_memo_seal,
    .memo_page = sq_memo_page,
    .memo_list = sq_memo_list,
    .member_add = sq_member_add,
    .member_drop = sq_member_drop,
    .member_get = sq_member_get,
    .member_list = sq_member_list,
    .signature_add = sq_signature_add,
    .signature_withdraw = sq_signature_withdraw,
    .signature_has = sq_signature_has,
    .signature_void_all = sq_signature_void_all,
    .signature_list = sq_signature_list,
    .comment_add = sq_comment_add,
    .comment_list = sq_comment_list,
    .event_add = sq_event_add,
    .event_list = sq_event_list,
    .legacy_texts = sq_legacy_texts,
    .legacy_actors = sq_legacy_actors,
    .legacy_actor_set = sq_legacy_actor_set,
    .legacy_people = sq_legacy_people,
    .legacy_person_set = sq_legacy_person_set,
    .legacy_text_set = sq_legacy_text_set,
    .memo_key_put = sq_memo_key_put,
    .memo_key_get = sq_memo_key_get,
    .memo_keys_of = sq_memo_keys_of,
    .memo_key_delete = sq_memo_key_delete,
    .channel_key_get = sq_channel_key_get,
    .channel_key_create = sq_channel_key_create,
    .channel_key_rotate = sq_channel_key_rotate,
    .channel_grant_put = sq_channel_grant_put,
    .channel_grant_get = sq_channel_grant_get,
    .user_revoke_keys = sq_user_revoke_keys,
    .totp_get = sq_totp_get,
    .totp_put = sq_totp_put,
    .totp_update = sq_totp_update,
    .totp_delete = sq_totp_delete,
    .savepoint = sq_savepoint,
    .savepoint_release = sq_savepoint_release,
    .savepoint_rollback = sq_savepoint_rollback,
    .memo_head = sq_memo_head,
    .leader = sq_leader,
    .outbox_add = sq_outbox_add,
    .outbox_due = sq_outbox_due,
    .outbox_legacy = sq_outbox_legacy,
    .outbox_reseal = sq_outbox_reseal,
    .outbox_claim = sq_outbox_claim,
    .outbox_finish = sq_outbox_finish,
    .outbox_list = sq_outbox_list,
    .notify_prefs_get = sq_notify_prefs_get,
    .notify_prefs_set = sq_notify_prefs_set,
    .tlog_size = sq_tlog_size,
    .tlog_set_size = sq_tlog_set_size,
    .tlog_tile_get = sq_tlog_tile_get,
    .tlog_tile_put = sq_tlog_tile_put,
    .tlog_checkpoint_latest = sq_tlog_checkpoint_latest,
    .tlog_checkpoint_put = sq_tlog_checkpoint_put,
    .audit_last = sq_audit_last,
    .audit_insert = sq_audit_insert,
    .audit_set_hash = sq_audit_set_hash,
    .audit_list = sq_audit_list,
    .table_dump = sq_table_dump,
    .table_load = sq_table_load,
    .table_rows = sq_table_rows,
    .load_finish = sq_load_finish,
};
