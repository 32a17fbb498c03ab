/*
 * sql.c - every statement of the store, written once for SQLite and PostgreSQL, and the
 * operations of sql.h that run them through a driver.
 *
 * The statements are portable SQL with numbered placeholders: INSERT ... ON CONFLICT DO NOTHING
 * and RETURNING (SQLite 3.35 and later) instead of relying on a constraint error (PostgreSQL
 * aborts a whole transaction on one), CAST(?N AS bigint) wherever PostgreSQL could not otherwise
 * tell a parameter's type. The few that cannot be written once are in dialect[] below.
 */
#include "store/sql.h"

#include "store/integrity.h"
#include "store/tables.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "crypto/random.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    ST_MEMO_INSERT,
    ST_MEMO_GET,
    ST_MEMO_UPDATE,
    ST_MEMO_SEAL,
    ST_MEMO_DELETE,
    ST_MEMO_GONE,
    ST_MEMO_DROP_KEYS,
    ST_MEMO_DROP_MEMBERS,
    ST_MEMO_DROP_SIGNATURES,
    ST_MEMO_DROP_COMMENTS,
    ST_MEMO_DROP_EVENTS,
    ST_MEMO_PAGE,
    ST_MEMO_LIST,
    ST_MEMO_BY_STATE,
    ST_MEMO_LIST_MINE,
    ST_MEMBER_ADD,
    ST_MEMBER_DROP,
    ST_MEMBER_GET,
    ST_MEMBER_LIST,
    ST_MEMBER_GET_MANY,
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
    ST_MKEY_OF_CHANNEL,
    ST_MKEY_DELETE,
    ST_CKEY_GET,
    ST_CKEY_CREATE,
    ST_CKEY_ROTATE,
    ST_GRANT_PUT,
    ST_GRANT_GET,
    ST_GRANT_DELETE,
    ST_GRANTS_OF,
    ST_REVOKE_MKEYS,
    ST_REVOKE_GRANT,
    ST_TOTP_GET,
    ST_TOTP_PUT,
    ST_TOTP_UPDATE,
    ST_TOTP_DELETE,
    ST_MEMO_HEAD,
    ST_TLOG_SIZE,
    ST_TLOG_SET_SIZE,
    ST_TILE_GET,
    ST_TILE_PUT,
    ST_CP_LATEST,
    ST_CP_AT,
    ST_OUTBOX_COUNTS,
    ST_CP_PUT,
    ST_CP_GET,
    ST_CP_WITNESSED,
    ST_CP_COSIGN,
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
    ST_LANG_GET,
    ST_LANG_SET,
    ST_CAL_ADD,
    ST_CAL_UPDATE,
    ST_CAL_LIST,
    ST_CHAN_ADD,
    ST_CHAN_UPDATE,
    ST_CHAN_LIST,
    ST_PK_ADD,
    ST_PK_LIST,
    ST_PK_FIND,
    ST_PK_USED,
    ST_PK_DELETE,
    ST_PK_DELETE_ALL,
    ST_CH_SWEEP,
    ST_CH_PUT,
    ST_CH_TAKE,
    ST_CH_PEEK,
    ST_SSO_ADD,
    ST_SSO_GET,
    ST_SSO_FIND,
    ST_SSO_DELETE,
    ST_ATT_ADD,
    ST_ATT_GET,
    ST_ATT_LIST,
    ST_ATT_UPDATE,
    ST_ATT_DELETE,
    ST_CHUNK_PUT,
    ST_CHUNK_GET,
    ST_CHUNK_DROP,
    ST_MEMO_DROP_CHUNKS,
    ST_MEMO_DROP_ATTS,
    ST_HOLD_ADD,
    ST_HOLD_LIST,
    ST_HOLD_LIFT,
    ST_HOLD_SEAL,
    ST_TOMB_ADD,
    ST_TOMB_LIST,
    ST__COUNT
};

#define USER_COLS                                                                                  \
    "id, username, display_name, email, roles, pwhash, disabled, created_at, updated_at, version," \
    " sign_pk, box_pk, key_salt, keys_wrapped, recovery_wrapped, key_ops, key_mem, enrol_hash,"    \
    " enrol_expires, recovery_at, flags, log_tag, reset_at, confirm_by, reset_memo, mac,"          \
    " key_binding, channels, language"
#define ATT_COLS                                                                                   \
    "id, memo_id, public_id, position, size, received, chunks, complete, meta, stream, created_at"
#define MEMO_COLS                                                                                  \
    "m.id, m.public_id, m.drafter_id, m.state, m.title, m.body, m.digest, m.show_names,"           \
    " m.version, m.created_at, m.updated_at, m.filed_day, m.ack_day, m.ack_due, m.reply_due,"      \
    " m.reply_max, m.replied_day, m.closed_day, m.reason, m.reply, m.reply_note,"                  \
    " m.signers,"                                                                                  \
    " m.log_tag, m.log_salt, m.log_index, m.mac, m.drafter, m.files, m.channel_id"
#define OUTBOX_COLS                                                                                \
    "o.id, o.dedupe, o.kind, o.user_id, '', o.rcpt, o.status, o.attempts,"                         \
    " o.next_at, o.created_at, o.sent_at"
#define SIG_COLS                                                                                   \
    "s.memo_id, s.user_id, '', '', s.note, s.vkey, s.created_at, s.voided_at, s.void_reason,"      \
    " s.who"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_PING] = "SELECT 1",
    [ST_USER_INSERT] = NULL, /* dialect[] */
    [ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?1",
    [ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [ST_USER_LIST] =
        "SELECT " USER_COLS " FROM users WHERE username > ?1 ORDER BY username LIMIT ?2",
    [ST_USER_UPDATE] = "UPDATE users SET display_name = ?1, email = ?2, roles = ?3, pwhash = ?4,"
                       " disabled = ?5, updated_at = ?6, version = version + 1, sign_pk = ?9,"
                       " box_pk = ?10, key_salt = ?11, keys_wrapped = ?12, recovery_wrapped = ?13,"
                       " key_ops = ?14, key_mem = ?15, enrol_hash = ?16, enrol_expires = ?17,"
                       " recovery_at = ?18, flags = ?19, log_tag = ?20, reset_at = ?21,"
                       " confirm_by = ?22, reset_memo = ?23, mac = ?24, key_binding = ?25,"
                       " channels = ?26, language = ?27 WHERE id = ?7 AND version = ?8",
    [ST_USER_COUNT] = "SELECT count(*) FROM users",
    [ST_USER_SEAL] = "UPDATE users SET mac = ?1 WHERE id = ?2",
    [ST_MEMO_LAST] = "SELECT coalesce(max(id), 0) FROM memos",
    [ST_USER_LAST] = "SELECT coalesce(max(id), 0) FROM users",
    [ST_SESSION_INSERT] =
        "INSERT INTO sessions (hash, user_id, created_at, last_seen, keys_wrapped, mac)"
        " VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT DO NOTHING",
    [ST_SESSION_GET] =
        "SELECT user_id, created_at, last_seen, keys_wrapped, mac FROM sessions WHERE hash = ?1",
    [ST_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?1 WHERE hash = ?2",
    [ST_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = ?1",
    [ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [ST_SESSION_PURGE] = "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
    [ST_FAIL_INSERT] = "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
    [ST_FAIL_PRUNE] = "DELETE FROM login_failures WHERE key = ?1 AND at < ?2",
    [ST_FAIL_COUNT] = "SELECT count(*), coalesce(max(at), 0) FROM login_failures"
                      " WHERE key = ?1 AND at >= ?2",
    [ST_FAIL_CLEAR] = "DELETE FROM login_failures WHERE key = ?1",
    [ST_FAIL_TAKE] = NULL,   /* dialect[]: one row of several alike */
    [ST_MEMO_INSERT] = NULL, /* dialect[]: never the id of a deleted memo */
    [ST_MEMO_GET] = "SELECT " MEMO_COLS " FROM memos m WHERE m.public_id = ?1",
    [ST_MEMO_UPDATE] =
        "UPDATE memos SET state = ?1, title = ?2, body = ?3, digest = ?4, show_names = ?5,"
        " updated_at = ?6, filed_day = ?7, ack_day = ?8, ack_due = ?9, reply_due = ?10, reply_max "
        "= ?11,"
        " replied_day = ?12, closed_day = ?13, reason = ?14, reply = ?15, reply_note = ?16,"
        " version = version + 1, log_tag = ?19, log_salt = ?20, log_index = ?21, mac = ?22,"
        " files = ?23, channel_id = ?24 WHERE id = ?17 AND version = ?18",
    [ST_MEMO_SEAL] = "UPDATE memos SET mac = ?1, drafter = coalesce(?3, drafter) WHERE id = ?2",
    /* a deletion: what hangs off the memo, then its row (at the version read), then its id kept */
    [ST_MEMO_DROP_KEYS] = "DELETE FROM memo_keys WHERE memo_id = ?1",
    [ST_MEMO_DROP_MEMBERS] = "DELETE FROM memo_members WHERE memo_id = ?1",
    [ST_MEMO_DROP_SIGNATURES] = "DELETE FROM signatures WHERE memo_id = ?1",
    [ST_MEMO_DROP_COMMENTS] = "DELETE FROM comments WHERE memo_id = ?1",
    [ST_MEMO_DROP_EVENTS] = "DELETE FROM memo_events WHERE memo_id = ?1",
    [ST_MEMO_DELETE] = "DELETE FROM memos WHERE id = ?1 AND version = ?2",
    [ST_MEMO_GONE] = "INSERT INTO memo_gone (id) VALUES (?1) ON CONFLICT DO NOTHING",
    [ST_MEMO_PAGE] = "SELECT " MEMO_COLS " FROM memos m WHERE m.id > ?1 ORDER BY m.id LIMIT ?2",
    /* with the sealed id of the caller's relation row, which store.c checks */
    [ST_MEMO_LIST] =
        "SELECT " MEMO_COLS ", (SELECT mm.who FROM memo_members mm WHERE mm.memo_id = m.id"
        " AND mm.user_id = CAST(?4 AS bigint)) FROM memos m"
        " WHERE (CAST(?1 AS bigint) = 0 OR m.id < ?1) AND (CAST(?2 AS bigint) < 0 OR m.state = ?2)"
        " AND ((CAST(?3 AS bigint) <> 0 AND m.drafter_id = ?4 AND m.id > CAST(?9 AS bigint))"
        "  OR (CAST(?5 AS bigint) <> 0 AND m.id > ?9 AND EXISTS (SELECT 1 FROM memo_members mm"
        "      WHERE mm.memo_id = m.id"
        "      AND mm.user_id = ?4 AND (mm.relation & ?5) <> 0 AND (mm.relation & ?8) = 0))"
        "  OR (CAST(?6 AS bigint) > 0 AND m.state >= ?6 AND (CAST(?10 AS bigint) = 0"
        "      OR ((CAST(?10 AS bigint) >> CAST(m.channel_id - 1 AS integer)) & 1) = 1)))"
        " ORDER BY m.id DESC LIMIT ?7",
    /* ST_MEMO_LIST when only the state filters (an officer's, the periodic work's): on the
     * index by state, from the newest down, never a scan of every memo */
    [ST_MEMO_BY_STATE] =
        "SELECT " MEMO_COLS ", (SELECT mm.who FROM memo_members mm WHERE mm.memo_id = m.id"
        " AND mm.user_id = CAST(?4 AS bigint)) FROM memos m"
        " WHERE m.state = ?2 AND m.id < ?1 AND (CAST(?5 AS bigint) = 0"
        " OR ((CAST(?5 AS bigint) >> CAST(m.channel_id - 1 AS integer)) & 1) = 1)"
        " ORDER BY m.id DESC LIMIT ?3",
    /* ST_MEMO_LIST without the officers' "every memo from a state on": the memos drafted and
     * those related, each from its index (a staff member's list finds their few memos without
     * walking every other), newest first; ?1 is never 0 here, ?6 always 0 */
    [ST_MEMO_LIST_MINE] =
        "SELECT " MEMO_COLS ", (SELECT mm.who FROM memo_members mm WHERE mm.memo_id = m.id"
        " AND mm.user_id = CAST(?4 AS bigint)) FROM memos m"
        " WHERE m.id IN (SELECT d.id FROM memos d WHERE CAST(?3 AS bigint) <> 0"
        "  AND d.drafter_id = ?4 AND d.id > CAST(?9 AS bigint) AND d.id < ?1"
        " UNION ALL SELECT r.memo_id FROM memo_members r WHERE CAST(?5 AS bigint) <> 0"
        "  AND r.user_id = ?4 AND (r.relation & ?5) <> 0 AND (r.relation & ?8) = 0"
        "  AND r.memo_id > ?9 AND r.memo_id < ?1)"
        " AND (CAST(?2 AS bigint) < 0 OR m.state = ?2) AND CAST(?6 AS bigint) = 0"
        " ORDER BY m.id DESC LIMIT ?7",
    [ST_MEMBER_ADD] = "INSERT INTO memo_members (memo_id, user_id, relation, at, who)"
                      " VALUES (?1,?2,?3,?4,?5)"
                      " ON CONFLICT (memo_id, user_id)"
                      " DO UPDATE SET relation = memo_members.relation | excluded.relation,"
                      " who = excluded.who",
    [ST_MEMBER_DROP] = "UPDATE memo_members SET relation = relation & ~CAST(?3 AS bigint)"
                       " WHERE memo_id = ?1 AND user_id = ?2",
    [ST_MEMBER_GET] =
        "SELECT relation, 0, who FROM memo_members WHERE memo_id = ?1 AND user_id = ?2",
    /* store.c opens who each member is, names them and sorts them */
    [ST_MEMBER_LIST] = "SELECT user_id, '', '', relation, at, who FROM memo_members"
                       " WHERE memo_id = ?1 AND (relation & ?2) <> 0",
    /* STORE_MEMBERS_MANY placeholders after the memo's: ?2 .. ?17 */
    [ST_MEMBER_GET_MANY] =
        "SELECT user_id, '', '', relation, at, who FROM memo_members"
        " WHERE memo_id = ?1 AND user_id IN"
        " (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    [ST_SIG_ADD] = "INSERT INTO signatures (memo_id, user_id, note, vkey, created_at, who)"
                   " VALUES (?1,?2,?3,?4,?5,?6)"
                   " ON CONFLICT (memo_id, user_id) WHERE voided_at = 0 DO NOTHING",
    [ST_SIG_WITHDRAW] =
        "DELETE FROM signatures WHERE memo_id = ?1 AND user_id = ?2 AND voided_at = 0",
    [ST_SIG_HAS] = "SELECT 1, created_at, who FROM signatures WHERE memo_id = ?1 AND user_id = ?2"
                   " AND voided_at = 0",
    [ST_SIG_VOID] = "UPDATE signatures SET voided_at = ?1, void_reason = ?2"
                    " WHERE memo_id = ?3 AND voided_at = 0",
    [ST_SIG_LIST] = "SELECT " SIG_COLS " FROM signatures s"
                    " WHERE s.memo_id = ?1 AND (CAST(?2 AS bigint) <> 0 OR s.voided_at = 0)"
                    " ORDER BY s.id",
    /* who acted is sealed (store.h, "Who"): store.c opens it and fills in the names */
    [ST_COMMENT_ADD] = "INSERT INTO comments (memo_id, author, body, at) VALUES (?1,?2,?3,?4)"
                       " RETURNING id",
    [ST_COMMENT_LIST] = "SELECT id, coalesce(author_id, 0), '', '', body, at, author"
                        " FROM comments WHERE memo_id = ?1 ORDER BY id",
    [ST_EVENT_ADD] =
        "INSERT INTO memo_events (memo_id, kind, actor, detail, at) VALUES (?1,?2,?3,?4,?5)",
    [ST_EVENT_LIST] = "SELECT id, kind, coalesce(actor_id, 0), '', detail, at, actor"
                      " FROM memo_events WHERE memo_id = ?1 ORDER BY id",
    [ST_LEGACY_ACTORS] =
        "SELECT 0, id, memo_id, id, actor_id, '' FROM audit WHERE actor IS NULL"
        " UNION ALL SELECT 1, id, memo_id, at, coalesce(author_id, 0), '' FROM comments"
        " WHERE author IS NULL"
        " UNION ALL SELECT 2, id, memo_id, at, coalesce(actor_id, 0), kind FROM memo_events"
        " WHERE actor IS NULL",
    [ST_LEGACY_AUDIT_SET] = "UPDATE audit SET actor = ?1, actor_id = 0 WHERE id = ?2",
    [ST_LEGACY_COMMENT_SET] = "UPDATE comments SET author = ?1, author_id = NULL WHERE id = ?2",
    [ST_LEGACY_EVENT_ACTOR_SET] =
        "UPDATE memo_events SET actor = ?1, actor_id = NULL WHERE id = ?2",
    [ST_LEGACY_TEXTS] = NULL, /* dialect[]: a detail of digits only */
    [ST_LEGACY_EVENT_SET] = "UPDATE memo_events SET detail = ?1 WHERE id = ?2",
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
    [ST_MKEY_PUT] = "INSERT INTO memo_keys (memo_id, user_id, sealed, at) VALUES (?1,?2,?3,?4)"
                    " ON CONFLICT (memo_id, user_id) DO UPDATE SET sealed = ?3, at = ?4",
    [ST_MKEY_GET] = "SELECT sealed FROM memo_keys WHERE memo_id = ?1 AND user_id = ?2",
    [ST_MKEY_OF] = "SELECT k.memo_id, k.sealed, coalesce(m.public_id, '') FROM memo_keys k"
                   " LEFT JOIN memos m ON m.id = k.memo_id WHERE k.user_id = ?1"
                   " ORDER BY k.memo_id",
    [ST_MKEY_DELETE] = "DELETE FROM memo_keys WHERE memo_id = ?1 AND user_id = ?2 AND user_id != 0",
    [ST_MKEY_OF_CHANNEL] = "SELECT k.memo_id, k.sealed, m.public_id FROM memo_keys k"
                           " JOIN memos m ON m.id = k.memo_id WHERE k.user_id = ?1"
                           " AND m.channel_id = ?2 ORDER BY k.memo_id",
    [ST_CKEY_GET] = "SELECT pk FROM channel_key WHERE id = ?1",
    [ST_CKEY_CREATE] = "INSERT INTO channel_key (id, pk, created_by, at) VALUES (?4,?1,?2,?3)"
                       " ON CONFLICT DO NOTHING",
    [ST_CKEY_ROTATE] = "UPDATE channel_key SET pk = ?1, created_by = ?2, at = ?3 WHERE id = ?4",
    [ST_GRANT_PUT] =
        "INSERT INTO channel_grants (user_id, sealed, granted_by, at, channel_id)"
        " VALUES (?1,?2,?3,?4,?5) ON CONFLICT (user_id, channel_id) DO UPDATE SET sealed = ?2,"
        " granted_by = ?3, at = ?4",
    [ST_GRANT_GET] = "SELECT sealed FROM channel_grants WHERE user_id = ?1 AND channel_id = ?2",
    [ST_GRANT_DELETE] = "DELETE FROM channel_grants WHERE user_id = ?1 AND channel_id = ?2",
    [ST_GRANTS_OF] = "SELECT channel_id, sealed, '' FROM channel_grants WHERE user_id = ?1"
                     " ORDER BY channel_id",
    [ST_REVOKE_MKEYS] = "DELETE FROM memo_keys WHERE user_id = ?1 AND user_id != 0",
    [ST_REVOKE_GRANT] = "DELETE FROM channel_grants WHERE user_id = ?1",
    [ST_TOTP_GET] = "SELECT sealed, enabled, last_step, codes, created_at, updated_at, version,"
                    " mac FROM user_totp WHERE user_id = ?1",
    [ST_TOTP_PUT] = "INSERT INTO user_totp (user_id, sealed, enabled, last_step, codes, created_at,"
                    " updated_at, version, mac) VALUES (?1, ?2, 0, 0, NULL, ?3, ?3, 1, ?4)"
                    " ON CONFLICT (user_id) DO UPDATE SET sealed = ?2, last_step = 0,"
                    " codes = NULL, created_at = ?3, updated_at = ?3, version = 1, mac = ?4"
                    " WHERE user_totp.enabled = 0",
    [ST_TOTP_UPDATE] = "UPDATE user_totp SET enabled = ?1, last_step = ?2, codes = ?3,"
                       " updated_at = ?4, version = version + 1, mac = ?7 WHERE user_id = ?5"
                       " AND version = ?6",
    [ST_TOTP_DELETE] = "DELETE FROM user_totp WHERE user_id = ?1",
    [ST_MEMO_HEAD] = "SELECT m.state, m.version, m.signers FROM memos m WHERE m.public_id = ?1",
    [ST_TLOG_SIZE] = "SELECT size FROM tlog_state WHERE id = 1",
    [ST_TLOG_SET_SIZE] = "UPDATE tlog_state SET size = ?1 WHERE id = 1",
    [ST_TILE_GET] = "SELECT data, width FROM tlog_tiles WHERE level = ?1 AND idx = ?2",
    [ST_TILE_PUT] = "INSERT INTO tlog_tiles (level, idx, width, data) VALUES (?1,?2,?3,?4)"
                    " ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width,"
                    " data = excluded.data WHERE excluded.width >= tlog_tiles.width",
    [ST_CP_LATEST] = "SELECT size, text FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
    [ST_CP_AT] = "SELECT at FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
    [ST_OUTBOX_COUNTS] = "SELECT status, count(*) FROM outbox GROUP BY status",
    [ST_CP_PUT] = "INSERT INTO tlog_checkpoints (size, text, at) VALUES (?1,?2,?3)"
                  " ON CONFLICT (size) DO NOTHING",
    [ST_CP_GET] = "SELECT size, text, cosigs FROM tlog_checkpoints WHERE size = ?1",
    [ST_CP_WITNESSED] = "SELECT size, text FROM tlog_checkpoints WHERE cosigs >= ?1"
                        " ORDER BY size DESC LIMIT 1",
    [ST_CP_COSIGN] = "UPDATE tlog_checkpoints SET text = ?2, cosigs = ?3 WHERE size = ?1",
    [ST_AUDIT_LAST] = "SELECT id, memo_id, actor_id, '', action, at, hash, actor FROM audit"
                      " ORDER BY id DESC LIMIT 1",
    [ST_AUDIT_INSERT] = "INSERT INTO audit (id, memo_id, actor_id, action, at, hash, actor)"
                        " VALUES (?1,?2,0,?3,?4,?5,?6) ON CONFLICT DO NOTHING",
    [ST_AUDIT_SET_HASH] = "UPDATE audit SET hash = ?1 WHERE id = ?2",
    [ST_AUDIT_LIST] = "SELECT id, memo_id, actor_id, '', action, at, hash, actor FROM audit"
                      " WHERE (CAST(?1 AS bigint) = 0 OR memo_id = ?1) AND id > ?2"
                      " ORDER BY id LIMIT ?3",
    [ST_OUTBOX_ADD] =
        "INSERT INTO outbox (dedupe, kind, user_id, rcpt, subject, body, next_at,"
        " created_at, mac) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT (dedupe) DO NOTHING",
    [ST_OUTBOX_DUE] = "SELECT " OUTBOX_COLS ", o.subject, o.body, o.mac FROM outbox o"
                      " WHERE o.status = 0 AND o.next_at <= ?1 ORDER BY o.next_at, o.id LIMIT ?2",
    [ST_OUTBOX_LEGACY] = "SELECT " OUTBOX_COLS ", o.subject, o.body, o.mac FROM outbox o"
                         " WHERE substr(o.body, 1, 7) != 'sealed:' ORDER BY o.id",
    [ST_OUTBOX_RESEAL] = "UPDATE outbox SET user_id = 0, rcpt = '', subject = '', body = ?2"
                         " WHERE id = ?1",
    [ST_OUTBOX_CLAIM] = "UPDATE outbox SET next_at = ?3 WHERE id = ?1 AND status = 0"
                        " AND next_at <= ?2",
    [ST_OUTBOX_FINISH] = "UPDATE outbox SET status = ?1, attempts = ?2, next_at = ?3, sent_at = ?4"
                         " WHERE id = ?5",
    [ST_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox o"
                       " WHERE (CAST(?1 AS bigint) = 0 OR o.id < ?1) ORDER BY o.id DESC LIMIT ?2",
    [ST_PREFS_GET] = "SELECT off FROM notify_prefs WHERE user_id = ?1",
    [ST_PREFS_SET] = "INSERT INTO notify_prefs (user_id, off) VALUES (?1,?2)"
                     " ON CONFLICT (user_id) DO UPDATE SET off = ?2",
    /* the account's language, in its row (migration 28; notify_prefs.language before) */
    [ST_LANG_GET] = "SELECT language FROM users WHERE id = ?1",
    [ST_LANG_SET] = "UPDATE users SET language = ?2, version = version + 1 WHERE id = ?1",
    [ST_CAL_ADD] = "INSERT INTO calendar (kind, first_day, last_day, reason, created_at,"
                   " removed_at, mac) VALUES (?1,?2,?3,?4,?5,?6,?7) RETURNING id",
    [ST_CAL_UPDATE] = "UPDATE calendar SET last_day = ?2, removed_at = ?3, mac = ?4 WHERE id = ?1",
    [ST_CAL_LIST] = "SELECT id, kind, first_day, last_day, reason, created_at, removed_at, mac"
                    " FROM calendar ORDER BY id",
    /* a channel's number is the next one: numbers are public (the log's channel line) and
     * dense, never a database's sequence */
    [ST_CHAN_ADD] = "INSERT INTO channels (id, slug, name, settings, created_at, mac, version)"
                    " SELECT greatest_id, ?1, ?2, ?3, ?4, ?5, ?6 FROM (SELECT"
                    " CASE WHEN coalesce(max(id), 0) + 1 > ?7 THEN coalesce(max(id), 0) + 1"
                    " ELSE ?7 END AS greatest_id FROM channels) AS n RETURNING id",
    [ST_CHAN_UPDATE] = "UPDATE channels SET name = ?2, settings = ?3, mac = ?4, version = ?5"
                       " WHERE id = ?1",
    [ST_CHAN_LIST] = "SELECT id, slug, name, settings, created_at, mac, version FROM channels"
                     " ORDER BY id",
#define PK_COLS                                                                                    \
    "id, user_id, cred_id, alg, pk, sign_count, name, prf_salt, wrapped, created_at,"              \
    " last_used_at, mac"
    [ST_PK_ADD] = "INSERT INTO passkeys (user_id, cred_id, alg, pk, sign_count, name, prf_salt,"
                  " wrapped, created_at, last_used_at, mac)"
                  " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
                  " ON CONFLICT (cred_id) DO NOTHING RETURNING id",
    [ST_PK_LIST] = "SELECT " PK_COLS " FROM passkeys WHERE user_id = ?1 ORDER BY id",
    [ST_PK_FIND] = "SELECT " PK_COLS " FROM passkeys WHERE cred_id = ?1",
    [ST_PK_USED] = "UPDATE passkeys SET sign_count = ?2, last_used_at = ?3, mac = ?4"
                   " WHERE id = ?1 AND sign_count = ?5",
    [ST_PK_DELETE] = "DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2",
    [ST_PK_DELETE_ALL] = "DELETE FROM passkeys WHERE user_id = ?1",
    [ST_CH_SWEEP] = "DELETE FROM webauthn_challenges WHERE expires_at < ?1",
    [ST_CH_PUT] = "INSERT INTO webauthn_challenges (hash, user_id, purpose, expires_at, mac)"
                  " VALUES (?1,?2,?3,?4,?5)",
    [ST_CH_TAKE] = "DELETE FROM webauthn_challenges WHERE hash = ?1"
                   " RETURNING user_id, purpose, expires_at, mac",
    [ST_CH_PEEK] = "SELECT user_id, purpose, expires_at, mac FROM webauthn_challenges"
                   " WHERE hash = ?1",
    [ST_SSO_ADD] = "INSERT INTO sso_links (user_id, issuer, subject, linked_at, mac)"
                   " VALUES (?1,?2,?3,?4,?5) ON CONFLICT DO NOTHING",
    [ST_SSO_GET] = "SELECT user_id, issuer, subject, linked_at, mac FROM sso_links"
                   " WHERE user_id = ?1",
    [ST_SSO_FIND] = "SELECT user_id, issuer, subject, linked_at, mac FROM sso_links"
                    " WHERE issuer = ?1 AND subject = ?2",
    [ST_SSO_DELETE] = "DELETE FROM sso_links WHERE user_id = ?1",
    [ST_ATT_ADD] = "INSERT INTO attachments (memo_id, public_id, position, size, meta, stream,"
                   " created_at, received, chunks, complete) VALUES (?1, ?2, (SELECT"
                   " coalesce(max(position), 0) + 1 FROM attachments WHERE memo_id = ?1), ?3,"
                   " ?4, ?5, ?6, ?7, ?8, ?9)"
                   " ON CONFLICT DO NOTHING RETURNING id",
    [ST_ATT_GET] = "SELECT " ATT_COLS " FROM attachments WHERE memo_id = ?1 AND public_id = ?2",
    [ST_ATT_LIST] = "SELECT " ATT_COLS " FROM attachments WHERE memo_id = ?1 ORDER BY position",
    [ST_ATT_UPDATE] = "UPDATE attachments SET received = ?3, chunks = ?4, complete = ?5,"
                      " stream = ?6 WHERE id = ?1 AND received = ?2 AND complete = 0",
    [ST_ATT_DELETE] = "DELETE FROM attachments WHERE id = ?1",
    [ST_CHUNK_PUT] = "INSERT INTO attachment_chunks (att_id, seq, data) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT DO NOTHING",
    [ST_CHUNK_GET] = "SELECT data FROM attachment_chunks WHERE att_id = ?1 AND seq = ?2",
    [ST_CHUNK_DROP] = "DELETE FROM attachment_chunks WHERE att_id = ?1",
    [ST_MEMO_DROP_CHUNKS] = "DELETE FROM attachment_chunks WHERE att_id IN (SELECT id FROM"
                            " attachments WHERE memo_id = ?1)",
    [ST_MEMO_DROP_ATTS] = "DELETE FROM attachments WHERE memo_id = ?1",
    [ST_HOLD_ADD] = "INSERT INTO holds (memo, from_day, to_day, reason, placed_by, placed_at, mac)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    [ST_HOLD_LIST] = "SELECT id, memo, from_day, to_day, reason, placed_by, placed_at, lifted_by,"
                     " lifted_at, lift_reason, mac FROM holds ORDER BY id",
    [ST_HOLD_LIFT] = "UPDATE holds SET lifted_by = ?2, lifted_at = ?3, lift_reason = ?4, mac = ?5"
                     " WHERE id = ?1 AND lifted_at = 0",
    [ST_HOLD_SEAL] = "UPDATE holds SET mac = ?2 WHERE id = ?1",
    [ST_TOMB_ADD] = "INSERT INTO tombstones (public_id, state, final_at, shredded_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    [ST_TOMB_LIST] = "SELECT public_id, state, final_at, shredded_at FROM tombstones"
                     " ORDER BY shredded_at DESC, public_id LIMIT ?1",
#undef PK_COLS
};

/* The statements the two dialects cannot share. */
#define USER_INSERT(ID)                                                                            \
    "INSERT INTO users (username, display_name, email, roles, pwhash, disabled,"                   \
    " created_at, updated_at, version, sign_pk, box_pk, key_salt,"                                 \
    " keys_wrapped, key_ops, key_mem, enrol_hash, enrol_expires, recovery_at,"                     \
    " flags, recovery_wrapped, log_tag, reset_at, confirm_by, reset_memo, mac,"                    \
    " key_binding, channels, language, id) VALUES "                                                \
    "(?1,?2,?3,?4,?5,?6,?7,?8,1,?9,?10,?11,?12,?13,?14,?15,?16,"                                   \
    "?17,?18,?19,?20,?21,?22,?23,?24,?25,?27,?28," ID ") ON CONFLICT DO NOTHING RETURNING id"
#define MEMO_INSERT(ID)                                                                            \
    "INSERT INTO memos (public_id, drafter_id, state, title, body, show_names, created_at,"        \
    " updated_at, channel_id, id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9," ID ")"                      \
    " ON CONFLICT DO NOTHING RETURNING id"
#define LEGACY_TEXTS(DIGITS)                                                                       \
    "SELECT 0, id, memo_id, coalesce(actor_id, 0), at, kind, detail FROM memo_events"              \
    " WHERE actor IS NULL AND ((kind IN ('invited', 'distributed') AND " DIGITS ")"                \
    " OR (kind = 'distributed' AND detail = 'configured principals'))"
static const struct {
    enum stmt_id id;
    const char *text[SQL__DIALECTS];
} dialect[] = {
    /* ?26: the least id to give (store_user_create()); SQLite gives its next rowid for NULL */
    {ST_USER_INSERT,
     {USER_INSERT("CASE WHEN ?26 > (SELECT coalesce(max(id), 0) FROM users) THEN ?26 END"),
      USER_INSERT(
          "greatest(nextval(pg_get_serial_sequence('users', 'id')), CAST(?26 AS bigint))")}},
    /* one of several rows alike: SQLite's rowid, PostgreSQL's ctid */
    {ST_FAIL_TAKE,
     {"DELETE FROM login_failures WHERE rowid = (SELECT rowid FROM login_failures"
      " WHERE key = ?1 AND at = ?2 LIMIT 1)",
      "DELETE FROM login_failures WHERE ctid = (SELECT ctid FROM login_failures"
      " WHERE key = ?1 AND at = ?2 LIMIT 1)"}},
    /* the id: none; it is above every memo's and every deleted one's (SQLite: NULL, its next
     * rowid, unless a deleted memo had the highest id; PostgreSQL: its identity, unless an import
     * set that below them) */
    {ST_MEMO_INSERT,
     {MEMO_INSERT("(SELECT max(id) + 1 FROM memo_gone"
                  " WHERE id > (SELECT coalesce(max(id), 0) FROM memos))"),
      MEMO_INSERT("greatest(nextval(pg_get_serial_sequence('memos', 'id')),"
                  " (SELECT coalesce(max(id), 0) + 1 FROM memos),"
                  " (SELECT coalesce(max(id), 0) + 1 FROM memo_gone))")}},
    /* a detail of digits only: GLOB against a regular expression */
    {ST_LEGACY_TEXTS,
     {LEGACY_TEXTS("detail NOT GLOB '*[^0-9]*' AND detail != ''"),
      LEGACY_TEXTS("detail ~ '^[0-9]+$'")}},
};

/* "SELECT count(*) FROM <table>" of each of store_tables[], after the named statements. */
#define ST_TABLE_ROWS ST__COUNT
_Static_assert(ST__COUNT + STORE_TABLES_MAX <= SQL_MAX_STMT, "SQL_MAX_STMT is too small");

static int db_fail(struct store *st, const char *what)
{
    /* a statement that failed because a deferred insert before it did: the driver logged that
     * one (store_defer(): the caller tries again without deferring) */
    if (st->defer_failed) {
        log_msg(LOG_DEBUG, "%s: %s: %s", st->drv->name, what, st->drv->errmsg(st));
        return ERR_DB;
    }
    metrics_db_error();
    log_error("%s: %s: %s", st->drv->name, what, st->drv->errmsg(st));
    return ERR_DB;
}

/* The statement @id with @text, prepared, reset and with no parameter bound (NULL on failure,
 * logged). */
static struct sql_stmt *prep_text(struct store *st, int id, const char *text)
{
    struct sql_stmt *q = st->drv->prepare(st, id, text);

    if (q == NULL) {
        db_fail(st, "prepare");
    } else {
        st->drv->reset(q);
        q->write = strncmp(text, "SELECT", 6) != 0;
    }
    return q;
}

static struct sql_stmt *prep(struct store *st, enum stmt_id id)
{
    const char *text = stmt_sql[id];

    for (size_t i = 0; text == NULL && i < sizeof(dialect) / sizeof(dialect[0]); i++)
        if (dialect[i].id == id)
            text = dialect[i].text[st->drv->dialect];
    return prep_text(st, (int)id, text);
}

/* A statement's parameters, in order from ?1: PREP(st, ST_X, INT(id), TEXT(name), ...). */
struct arg {
    enum { A_INT, A_TEXT, A_BLOB } kind;
    int64_t i;
    const void *p; /* text or bytes: NULL binds SQL NULL; not copied */
    size_t len;
};
#define INT(v) ((struct arg){A_INT, (int64_t)(v), NULL, 0})
#define TEXT(s) ((struct arg){A_TEXT, 0, (s), 0})
#define BLOB(b, n) ((struct arg){A_BLOB, 0, (b), (n)})
#define ARGS(...)                                                                                  \
    (const struct arg[]){__VA_ARGS__}, sizeof((struct arg[]){__VA_ARGS__}) / sizeof(struct arg)
#define PREP(st, id, ...) prep_args(st, id, ARGS(__VA_ARGS__))
/* run a statement with its parameters: exec_stmt(), insert_stmt() */
#define EXEC(st, id, what, ...) exec_args(st, id, what, false, ARGS(__VA_ARGS__))
#define INSERT(st, id, what, ...) exec_args(st, id, what, true, ARGS(__VA_ARGS__))
/* run a statement with its parameters, one item per row into *out (collect()) */
#define LIST(st, id, what, fill, release, out, count, ...)                                         \
    list_args(st, id, what, sizeof(**(out)), fill, release, (void **)(out), count,                 \
              ARGS(__VA_ARGS__))

static void bind_int(struct sql_stmt *q, int pos, int64_t v)
{
    q->st->drv->bind_int(q, pos, v);
}

/* Text, or SQL NULL when @s is NULL; not copied (it must outlive the step). */
static void bind_text(struct sql_stmt *q, int pos, const char *s)
{
    q->st->drv->bind_text(q, pos, s);
}

/* Bytes, or SQL NULL when @p is NULL; not copied (they must outlive the step). */
static void bind_blob(struct sql_stmt *q, int pos, const void *p, size_t len)
{
    q->st->drv->bind_blob(q, pos, p, len);
}

/* SQL_ROW, SQL_DONE, ERR_EXISTS or ERR_DB (not yet logged: db_fail()). */
static int step(struct sql_stmt *q)
{
    int rc;

    if (q->write) /* before it runs: a failed write may have written (the read cache) */
        q->st->writes++;
    rc = q->st->drv->step(q);
    if (q->write && !q->st->in_txn) /* a commit of its own: every connection's cache too */
        store_changed();
    return rc;
}

/* Reset @q after its last step (nothing for NULL, a statement that could not be prepared). A
 * write outside a transaction with RETURNING commits only here, in SQLite: the caches look again
 * after it too (step() told them before, for the writes that commit at their step). */
static void done(struct sql_stmt *q)
{
    if (q != NULL) {
        q->st->drv->reset(q);
        if (q->write && !q->st->in_txn)
            store_changed();
    }
}

static int64_t col_int(struct sql_stmt *q, int col)
{
    return q->st->drv->col_int(q, col);
}

static bool is_null(struct sql_stmt *q, int col)
{
    return q->st->drv->is_null(q, col);
}

static int columns(struct sql_stmt *q)
{
    return q->st->drv->columns(q);
}

static int64_t changes(struct store *st)
{
    return st->drv->changes(st);
}

/* Step the bound statement @q to its first row: 0, ERR_NOT_FOUND when there is none, ERR_DB
 * (logged as @what) on failure. The caller reads the row, then done(). */
static int first_row(struct store *st, struct sql_stmt *q, const char *what)
{
    int r = step(q);

    return r == SQL_ROW ? 0 : r == SQL_DONE ? ERR_NOT_FOUND : db_fail(st, what);
}

/*
 * Step the bound statement @q for at most one row whose first column is an integer: 0 with it
 * in *@out, ERR_NOT_FOUND when there is no row, ERR_DB (logged as @what) on failure.
 */
static int row_int64(struct store *st, struct sql_stmt *q, const char *what, int64_t *out)
{
    int r = step(q), rc;

    *out = 0;
    if (r == SQL_ROW)
        *out = col_int(q, 0);
    /* an insert's constraint is ERR_EXISTS */
    rc = r == SQL_ROW ? 0 : r == SQL_DONE ? ERR_NOT_FOUND : r == ERR_EXISTS ? r : db_fail(st, what);
    done(q);
    return rc;
}

/* Run a statement that returns no rows: 0, ERR_EXISTS for a constraint, ERR_DB (logged). */
static int exec_stmt(struct store *st, struct sql_stmt *q, const char *what)
{
    int r = step(q), rc = 0;

    if (r == ERR_EXISTS)
        rc = ERR_EXISTS;
    else if (r != SQL_DONE && r != SQL_ROW)
        rc = db_fail(st, what);
    done(q);
    return rc;
}

/* Run an insert that writes nothing on a clash (ON CONFLICT DO NOTHING): ERR_EXISTS then. In a
 * transaction that defers its inserts (store_defer()), sent without waiting where the driver
 * can: a clash then fails the next statement, or the commit (sql.h, send). */
static int insert_stmt(struct store *st, struct sql_stmt *q, const char *what)
{
    if (st->defer && st->in_txn && st->drv->send != NULL) {
        int rc;
        st->writes++; /* as step() counts it */
        rc = st->drv->send(q) == 0 ? 0 : db_fail(st, what);
        done(q);
        return rc;
    }
    int rc = exec_stmt(st, q, what);

    return rc == 0 && changes(st) == 0 ? ERR_EXISTS : rc;
}

/* Run an insert ... RETURNING id: the id in *@id, ERR_EXISTS (and *@id as it was) when nothing
 * was written. */
static int insert_id(struct store *st, struct sql_stmt *q, const char *what, int64_t *id)
{
    int64_t got = 0;
    int rc = row_int64(st, q, what, &got);

    if (rc == 0)
        *id = got;
    return rc == ERR_NOT_FOUND ? ERR_EXISTS : rc;
}

/* The statement @id prepared with the @n parameters @a bound from ?1 (NULL on failure, logged). */
static struct sql_stmt *prep_args(struct store *st, enum stmt_id id, const struct arg *a, size_t n)
{
    struct sql_stmt *q = prep(st, id);

    for (size_t i = 0; q != NULL && i < n; i++) {
        int pos = (int)i + 1;
        if (a[i].kind == A_INT)
            bind_int(q, pos, a[i].i);
        else if (a[i].kind == A_TEXT)
            bind_text(q, pos, a[i].p);
        else
            bind_blob(q, pos, a[i].p, a[i].len);
    }
    return q;
}

static int exec_args(struct store *st, enum stmt_id id, const char *what, bool insert,
                     const struct arg *a, size_t n)
{
    struct sql_stmt *q = prep_args(st, id, a, n);

    if (q == NULL)
        return ERR_DB;
    return insert ? insert_stmt(st, q, what) : exec_stmt(st, q, what);
}

static int collect(struct store *st, struct sql_stmt *q, size_t size,
                   int (*fill)(struct sql_stmt *q, void *item),
                   void (*release)(void *arr, size_t n), const char *what, void **out,
                   size_t *count);

static int list_args(struct store *st, enum stmt_id id, const char *what, size_t size,
                     int (*fill)(struct sql_stmt *q, void *item),
                     void (*release)(void *arr, size_t n), void **out, size_t *count,
                     const struct arg *a, size_t n)
{
    return collect(st, prep_args(st, id, a, n), size, fill, release, what, out, count);
}

static void col_text(struct sql_stmt *q, int col, char *dst, size_t len)
{
    size_t n = 0;
    const uint8_t *b = q->st->drv->col_bytes(q, col, &n);

    if (len == 0)
        return;
    if (b == NULL)
        n = 0;
    if (n >= len)
        n = len - 1;
    if (n > 0)
        memcpy(dst, b, n);
    dst[n] = '\0'; /* cut short as str_copy() cuts; a NUL inside ends it there too */
}

/* Copy a blob column of exactly @len bytes into @dst; false (and @dst zeroed) otherwise. */
static bool col_fixed(struct sql_stmt *q, int col, uint8_t *dst, size_t len)
{
    size_t n = 0;
    const uint8_t *b = q->st->drv->col_bytes(q, col, &n);

    if (b == NULL || n != len) {
        memset(dst, 0, len);
        return false;
    }
    memcpy(dst, b, len);
    return true;
}

/* A sealed id column (store.h, "Who"): false for SQL NULL (none); a value of another length
 * reads as zeros, which never open. */
static bool col_who(struct sql_stmt *q, int col, uint8_t dst[STORE_WHO_LEN])
{
    if (is_null(q, col)) {
        memset(dst, 0, STORE_WHO_LEN);
        return false;
    }
    col_fixed(q, col, dst, STORE_WHO_LEN);
    return true;
}

/* A malloc'd copy of a blob or text column (NUL-terminated for convenience), or NULL for SQL
 * NULL. *@ok is cleared when an allocation fails. */
static uint8_t *col_dup(struct sql_stmt *q, int col, size_t *len, bool *ok)
{
    const uint8_t *b;
    size_t n = 0;
    uint8_t *out;

    if (len != NULL)
        *len = 0;
    if (is_null(q, col))
        return NULL;
    b = q->st->drv->col_bytes(q, col, &n);
    if (b == NULL || (out = mem_alloc(n + 1)) == NULL) {
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

static void user_from_row(struct sql_stmt *q, struct user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = col_int(q, 0);
    col_text(q, 1, u->username, sizeof(u->username));
    col_text(q, 2, u->display_name, sizeof(u->display_name));
    col_text(q, 3, u->email, sizeof(u->email));
    u->roles = (unsigned)col_int(q, 4);
    col_text(q, 5, u->pwhash, sizeof(u->pwhash));
    u->disabled = (int)col_int(q, 6) != 0;
    u->created_at = col_int(q, 7);
    u->updated_at = col_int(q, 8);
    u->version = col_int(q, 9);
    u->has_keys = col_fixed(q, 10, u->sign_pk, sizeof(u->sign_pk)) &&
                  col_fixed(q, 11, u->box_pk, sizeof(u->box_pk)) &&
                  col_fixed(q, 12, u->key_salt, sizeof(u->key_salt)) &&
                  col_fixed(q, 13, u->keys_wrapped, sizeof(u->keys_wrapped));
    u->has_recovery = col_fixed(q, 14, u->recovery_wrapped, sizeof(u->recovery_wrapped));
    u->key_ops = col_int(q, 15);
    u->key_mem = col_int(q, 16);
    u->has_enrol = col_fixed(q, 17, u->enrol_hash, sizeof(u->enrol_hash));
    u->enrol_expires = col_int(q, 18);
    u->recovery_at = col_int(q, 19);
    u->flags = (unsigned)col_int(q, 20);
    u->has_log_tag = col_fixed(q, 21, u->log_tag, sizeof(u->log_tag));
    u->reset_at = col_int(q, 22);
    u->confirm_by = col_int(q, 23);
    u->reset_memo = col_int(q, 24);
    col_fixed(q, 25, u->mac, sizeof(u->mac)); /* NULL before migration 10's adoption */
    col_text(q, 26, u->key_binding, sizeof(u->key_binding));
    u->channels = (uint64_t)col_int(q, 27);
    col_text(q, 28, u->language, sizeof(u->language));
}

/* @u's public keys, salt and wrapped keys (NULL without keys), four parameters; and a byte field
 * that is NULL when @has is false. */
#define USER_KEYS(u)                                                                               \
    BLOB((u)->has_keys ? (u)->sign_pk : NULL, sizeof((u)->sign_pk)),                               \
        BLOB((u)->has_keys ? (u)->box_pk : NULL, sizeof((u)->box_pk)),                             \
        BLOB((u)->has_keys ? (u)->key_salt : NULL, sizeof((u)->key_salt)),                         \
        BLOB((u)->has_keys ? (u)->keys_wrapped : NULL, sizeof((u)->keys_wrapped))
#define MAYBE(has, field) BLOB((has) ? (field) : NULL, sizeof(field))

int sql_user_create(struct store *st, struct user *u)
{
    struct sql_stmt *q = PREP(
        st, ST_USER_INSERT, TEXT(u->username), TEXT(u->display_name), TEXT(u->email), INT(u->roles),
        TEXT(u->pwhash), INT(u->disabled), INT(u->created_at), INT(u->created_at), USER_KEYS(u),
        INT(u->key_ops), INT(u->key_mem), MAYBE(u->has_enrol, u->enrol_hash), INT(u->enrol_expires),
        INT(u->recovery_at), INT(u->flags), MAYBE(u->has_recovery, u->recovery_wrapped),
        MAYBE(u->has_log_tag, u->log_tag), INT(u->reset_at), INT(u->confirm_by), INT(u->reset_memo),
        BLOB(u->mac, sizeof(u->mac)), TEXT(u->key_binding), INT(u->id), INT((int64_t)u->channels),
        TEXT(u->language));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = insert_id(st, q, "user insert", &u->id);
    if (rc == 0) {
        u->version = 1;
        u->updated_at = u->created_at;
    }
    return rc;
}

/* The one row of @q (prepared and bound; NULL when that failed) as an account in @out. */
static int user_get(struct store *st, struct sql_stmt *q, struct user *out)
{
    int rc = q != NULL ? first_row(st, q, "user get") : ERR_DB;

    if (rc == 0)
        user_from_row(q, out);
    else
        memset(out, 0, sizeof(*out));
    done(q);
    return rc;
}

int sql_user_get_by_name(struct store *st, const char *username, struct user *out)
{
    return user_get(st, PREP(st, ST_USER_BY_NAME, TEXT(username)), out);
}

int sql_user_get_by_id(struct store *st, int64_t id, struct user *out)
{
    return user_get(st, PREP(st, ST_USER_BY_ID, INT(id)), out);
}

int sql_user_list(struct store *st, const char *after, int limit, struct user **out, size_t *count)
{
    struct sql_stmt *q;
    struct user *arr = NULL;
    size_t n = 0;
    int r, rc = 0;

    *out = NULL;
    *count = 0;
    if (limit <= 0)
        return 0;
    if ((arr = mem_calloc((size_t)limit, sizeof(*arr))) == NULL)
        return ERR_NOMEM;
    if ((q = PREP(st, ST_USER_LIST, TEXT(after ? after : ""), INT(limit))) == NULL) {
        mem_free(arr);
        return ERR_DB;
    }
    while ((r = step(q)) == SQL_ROW && n < (size_t)limit)
        user_from_row(q, &arr[n++]);
    if (r != SQL_ROW && r != SQL_DONE)
        rc = db_fail(st, "user list");
    done(q);
    if (rc != 0) {
        mem_free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

int sql_user_update(struct store *st, struct user *u)
{
    int rc = EXEC(st, ST_USER_UPDATE, "user update", TEXT(u->display_name), TEXT(u->email),
                  INT(u->roles), TEXT(u->pwhash), INT(u->disabled), INT(u->updated_at), INT(u->id),
                  INT(u->version), USER_KEYS(u), MAYBE(u->has_recovery, u->recovery_wrapped),
                  INT(u->key_ops), INT(u->key_mem), MAYBE(u->has_enrol, u->enrol_hash),
                  INT(u->enrol_expires), INT(u->recovery_at), INT(u->flags),
                  MAYBE(u->has_log_tag, u->log_tag), INT(u->reset_at), INT(u->confirm_by),
                  INT(u->reset_memo), BLOB(u->mac, sizeof(u->mac)), TEXT(u->key_binding),
                  INT((int64_t)u->channels), TEXT(u->language));

    if (rc == 0) {
        if (changes(st) == 0)
            return ERR_CONFLICT;
        u->version++;
    }
    return rc;
}

/* The integrity MAC of a row just inserted: it covers the id the insert assigned. */
int sql_user_seal(struct store *st, int64_t id, const uint8_t mac[STORE_MAC_LEN])
{
    struct sql_stmt *q = PREP(st, ST_USER_SEAL, BLOB(mac, STORE_MAC_LEN), INT(id));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "user seal");
    return rc == 0 && changes(st) != 1 ? ERR_DB : rc;
}

int sql_user_count(struct store *st, int64_t *count)
{
    struct sql_stmt *q = prep(st, ST_USER_COUNT);
    int rc;

    *count = 0;
    if (q == NULL)
        return ERR_DB;
    /* count(*) always gives a row */
    rc = row_int64(st, q, "user count", count);
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

int sql_ops_figures(struct store *st, struct store_ops_figures *out)
{
    struct sql_stmt *q = prep(st, ST_OUTBOX_COUNTS);
    int r, rc;

    if (q == NULL)
        return ERR_DB;
    while ((r = step(q)) == SQL_ROW) {
        int64_t status = col_int(q, 0);
        if (status >= 0 && status < 3)
            out->outbox[status] = col_int(q, 1);
    }
    done(q);
    if (r != SQL_DONE)
        return db_fail(st, "outbox counts");
    if ((q = prep(st, ST_CP_AT)) == NULL)
        return ERR_DB;
    rc = row_int64(st, q, "checkpoint time", &out->checkpoint_at);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int last_id(struct store *st, enum stmt_id which, const char *what, int64_t *id)
{
    struct sql_stmt *q = prep(st, which);
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = row_int64(st, q, what, id);
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

int sql_memo_last_id(struct store *st, int64_t *id)
{
    return last_id(st, ST_MEMO_LAST, "memo last id", id);
}

int sql_user_last_id(struct store *st, int64_t *id)
{
    return last_id(st, ST_USER_LAST, "user last id", id);
}

int sql_session_create(struct store *st, const struct session *se)
{
    return INSERT(st, ST_SESSION_INSERT, "session insert", BLOB(se->hash, HASH_SHA256_LEN),
                  INT(se->user_id), INT(se->created_at), INT(se->last_seen),
                  BLOB(se->has_keys ? se->keys_wrapped : NULL, sizeof(se->keys_wrapped)),
                  BLOB(se->mac, sizeof(se->mac)));
}

int sql_session_get(struct store *st, const uint8_t hash[HASH_SHA256_LEN], struct session *out)
{
    struct sql_stmt *q = PREP(st, ST_SESSION_GET, BLOB(hash, HASH_SHA256_LEN));
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "session get")) == 0) {
        memcpy(out->hash, hash, HASH_SHA256_LEN);
        out->user_id = col_int(q, 0);
        out->created_at = col_int(q, 1);
        out->last_seen = col_int(q, 2);
        out->has_keys = col_fixed(q, 3, out->keys_wrapped, sizeof(out->keys_wrapped));
        col_fixed(q, 4, out->mac, sizeof(out->mac));
    }
    done(q);
    return rc;
}

int sql_session_touch(struct store *st, const uint8_t hash[HASH_SHA256_LEN], int64_t now)
{
    return EXEC(st, ST_SESSION_TOUCH, "session touch", INT(now), BLOB(hash, HASH_SHA256_LEN));
}

int sql_session_delete(struct store *st, const uint8_t hash[HASH_SHA256_LEN])
{
    return EXEC(st, ST_SESSION_DELETE, "session delete", BLOB(hash, HASH_SHA256_LEN));
}

int sql_session_delete_user(struct store *st, int64_t user_id)
{
    return EXEC(st, ST_SESSION_DELETE_USER, "session delete user", INT(user_id));
}

int sql_session_purge(struct store *st, int64_t idle_before, int64_t created_before)
{
    return EXEC(st, ST_SESSION_PURGE, "session purge", INT(idle_before), INT(created_before));
}

int sql_login_failure_add(struct store *st, const char *key, int64_t now)
{
    return EXEC(st, ST_FAIL_INSERT, "login failure insert", TEXT(key), INT(now));
}

int sql_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                            int64_t *newest)
{
    struct sql_stmt *q;
    int rc;

    *count = 0;
    *newest = 0;
    if ((rc = EXEC(st, ST_FAIL_PRUNE, "login failure prune", TEXT(key), INT(since))) != 0)
        return rc;
    if ((q = PREP(st, ST_FAIL_COUNT, TEXT(key), INT(since))) == NULL)
        return ERR_DB;
    if (step(q) == SQL_ROW) {
        *count = (int)col_int(q, 0);
        *newest = col_int(q, 1);
    } else {
        rc = db_fail(st, "login failure count");
    }
    done(q);
    return rc;
}

int sql_login_failure_take(struct store *st, const char *key, int64_t at)
{
    return EXEC(st, ST_FAIL_TAKE, "login failure take", TEXT(key), INT(at));
}

int sql_login_failure_clear(struct store *st, const char *key)
{
    return EXEC(st, ST_FAIL_CLEAR, "login failure clear", TEXT(key));
}

int sql_memo_create(struct store *st, struct memo *m)
{
    struct sql_stmt *q =
        PREP(st, ST_MEMO_INSERT, TEXT(m->public_id), INT(m->drafter_ref), INT(m->state),
             BLOB(m->title ? m->title : (const uint8_t *)"", m->title_len),
             BLOB(m->body ? m->body : (const uint8_t *)"", m->body_len), INT(m->show_names),
             INT(m->created_at), INT(m->created_at), INT(m->channel_id));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = insert_id(st, q, "memo insert", &m->id);
    if (rc == 0) {
        m->version = 1;
        m->updated_at = m->created_at;
    }
    return rc;
}

static int memo_from_row(struct sql_stmt *q, struct memo *m)
{
    bool ok = true;

    memset(m, 0, sizeof(*m));
    m->id = col_int(q, 0);
    col_text(q, 1, m->public_id, sizeof(m->public_id));
    m->drafter_ref = col_int(q, 2); /* store.c opens the drafter */
    /* the whole stored value: one past int's range must fail the MAC, not pass as its low bits */
    m->state = memo_state_col(col_int(q, 3));
    m->title = col_dup(q, 4, &m->title_len, &ok);
    m->body = col_dup(q, 5, &m->body_len, &ok);
    m->has_digest = col_fixed(q, 6, m->digest, sizeof(m->digest));
    m->show_names = (int)col_int(q, 7) != 0;
    m->version = col_int(q, 8);
    m->created_at = col_int(q, 9);
    m->updated_at = col_int(q, 10);
    m->filed_day = col_int(q, 11);
    m->ack_day = col_int(q, 12);
    m->ack_due = col_int(q, 13);
    m->reply_due = col_int(q, 14);
    m->reply_max = col_int(q, 15);
    m->replied_day = col_int(q, 16);
    m->closed_day = col_int(q, 17);
    m->reason = col_dup(q, 18, &m->reason_len, &ok);
    m->reply = col_dup(q, 19, &m->reply_len, &ok);
    m->reply_note = col_dup(q, 20, &m->reply_note_len, &ok);
    m->signer_count = (int)col_int(q, 21);
    m->has_log = col_fixed(q, 22, m->log_tag, sizeof(m->log_tag)) &&
                 col_fixed(q, 23, m->log_salt, sizeof(m->log_salt));
    m->log_index = col_int(q, 24);
    col_fixed(q, 25, m->mac, sizeof(m->mac)); /* NULL before adoption: zero */
    m->has_drafter = col_who(q, 26, m->drafter);
    m->has_files = col_fixed(q, 27, m->files, sizeof(m->files));
    m->channel_id = col_int(q, 28);
    if (columns(q) > 29)
        m->has_member = col_who(q, 29, m->member);
    if (!ok) {
        store_memo_release(m);
        return ERR_NOMEM;
    }
    return 0;
}

int sql_memo_get(struct store *st, const char *public_id, struct memo *out)
{
    struct sql_stmt *q = PREP(st, ST_MEMO_GET, TEXT(public_id));
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "memo get")) == 0)
        rc = memo_from_row(q, out);
    done(q);
    return rc;
}

int sql_memo_delete(struct store *st, const struct memo *m)
{
    static const enum stmt_id parts[] = {
        ST_MEMO_DROP_KEYS,   ST_MEMO_DROP_MEMBERS, ST_MEMO_DROP_SIGNATURES, ST_MEMO_DROP_COMMENTS,
        ST_MEMO_DROP_EVENTS, ST_MEMO_DROP_CHUNKS,  ST_MEMO_DROP_ATTS};
    struct sql_stmt *q;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(parts) / sizeof(parts[0]); i++)
        rc = EXEC(st, parts[i], "memo delete", INT(m->id));
    if (rc != 0)
        return rc;
    if ((q = PREP(st, ST_MEMO_DELETE, INT(m->id), INT(m->version))) == NULL)
        return ERR_DB;
    if ((rc = exec_stmt(st, q, "memo delete")) != 0)
        return rc;
    if (changes(st) == 0)
        return ERR_CONFLICT;
    return EXEC(st, ST_MEMO_GONE, "memo gone", INT(m->id));
}

int sql_memo_update(struct store *st, struct memo *m)
{
    struct sql_stmt *q = PREP(
        st, ST_MEMO_UPDATE, INT(m->state),
        BLOB(m->title ? m->title : (const uint8_t *)"", m->title_len),
        BLOB(m->body ? m->body : (const uint8_t *)"", m->body_len),
        BLOB(m->has_digest ? m->digest : NULL, sizeof(m->digest)), INT(m->show_names),
        INT(m->updated_at), INT(m->filed_day), INT(m->ack_day), INT(m->ack_due), INT(m->reply_due),
        INT(m->reply_max), INT(m->replied_day), INT(m->closed_day), BLOB(m->reason, m->reason_len),
        BLOB(m->reply, m->reply_len), BLOB(m->reply_note, m->reply_note_len), INT(m->id),
        INT(m->version), BLOB(m->has_log ? m->log_tag : NULL, sizeof(m->log_tag)),
        BLOB(m->has_log ? m->log_salt : NULL, sizeof(m->log_salt)), INT(m->log_index),
        BLOB(m->mac, sizeof(m->mac)), BLOB(m->has_files ? m->files : NULL, sizeof(m->files)),
        INT(m->channel_id));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "memo update");
    if (rc == 0) {
        if (changes(st) == 0)
            return ERR_CONFLICT;
        m->version++;
    }
    return rc;
}

int sql_memo_list(struct store *st, const struct memo_filter *f, struct memo **out, size_t *count)
{
    struct sql_stmt *q;
    struct memo *arr = NULL;
    size_t n = 0;
    int r = SQL_DONE, rc = 0;

    *out = NULL;
    *count = 0;
    if (f->limit <= 0)
        return 0;
    if ((arr = mem_calloc((size_t)f->limit, sizeof(*arr))) == NULL)
        return ERR_NOMEM;
    if (f->state >= 0 && f->all_from > 0 && f->state >= f->all_from && !f->drafted &&
        f->relations == 0)
        q = PREP(st, ST_MEMO_BY_STATE, INT(f->after > 0 ? f->after : INT64_MAX), INT(f->state),
                 INT(f->limit), INT(f->user_id), INT((int64_t)f->channels));
    else if (f->all_from <= 0)
        q = PREP(st, ST_MEMO_LIST_MINE, INT(f->after > 0 ? f->after : INT64_MAX), INT(f->state),
                 INT(f->drafted), INT(f->user_id), INT(f->relations), INT(0), INT(f->limit),
                 INT(f->excluded), INT(f->since_id));
    else
        q = PREP(st, ST_MEMO_LIST, INT(f->after), INT(f->state), INT(f->drafted), INT(f->user_id),
                 INT(f->relations), INT(f->all_from), INT(f->limit), INT(f->excluded),
                 INT(f->since_id), INT((int64_t)f->channels));
    if (q == NULL) {
        mem_free(arr);
        return ERR_DB;
    }
    while (rc == 0 && n < (size_t)f->limit && (r = step(q)) == SQL_ROW) {
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
    if (rc == 0 && n < (size_t)f->limit && r != SQL_DONE)
        rc = db_fail(st, "memo list");
    done(q);
    if (rc != 0) {
        store_memo_list_free(arr, n);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

int sql_memo_seal(struct store *st, int64_t id, const uint8_t *drafter,
                  const uint8_t mac[STORE_MAC_LEN])
{
    return EXEC(st, ST_MEMO_SEAL, "memo seal", BLOB(mac, STORE_MAC_LEN), INT(id),
                BLOB(drafter, drafter != NULL ? STORE_WHO_LEN : 0));
}

static int fill_memo(struct sql_stmt *q, void *item)
{
    return memo_from_row(q, item);
}

static void release_memos(void *arr, size_t n)
{
    store_memo_list_free(arr, n);
}

int sql_memo_page(struct store *st, int64_t after, int limit, struct memo **out, size_t *count)
{
    return LIST(st, ST_MEMO_PAGE, "memo page", fill_memo, release_memos, out, count, INT(after),
                INT(limit));
}

int sql_member_add(struct store *st, int64_t memo_id, int64_t ref, const uint8_t who[STORE_WHO_LEN],
                   unsigned relation, int64_t at)
{
    return EXEC(st, ST_MEMBER_ADD, "member add", INT(memo_id), INT(ref), INT(relation), INT(at),
                BLOB(who, STORE_WHO_LEN));
}

int sql_member_drop(struct store *st, int64_t memo_id, int64_t user_id, unsigned relation)
{
    return EXEC(st, ST_MEMBER_DROP, "member drop", INT(memo_id), INT(user_id), INT(relation));
}

/* One account's row of a memo (statement @id: value, time, sealed id), by its pseudonym. */
static int related(struct store *st, enum stmt_id id, int64_t memo_id, int64_t ref,
                   const char *what, struct store_related *out)
{
    struct sql_stmt *q = PREP(st, id, INT(memo_id), INT(ref));
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, what)) == 0) {
        out->found = true;
        out->value = col_int(q, 0);
        out->at = col_int(q, 1);
        out->has_who = col_who(q, 2, out->who);
    }
    done(q);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int sql_member_get(struct store *st, int64_t memo_id, int64_t ref, struct store_related *out)
{
    return related(st, ST_MEMBER_GET, memo_id, ref, "member get", out);
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
static int collect(struct store *st, struct sql_stmt *q, size_t size,
                   int (*fill)(struct sql_stmt *q, void *item),
                   void (*release)(void *arr, size_t n), const char *what, void **out,
                   size_t *count)
{
    void *arr = NULL;
    size_t n = 0, cap = 0;
    int r, rc = 0;

    *out = NULL;
    *count = 0;
    if (q == NULL) /* could not be prepared (logged) */
        return ERR_DB;
    while ((r = step(q)) == SQL_ROW) {
        if ((rc = grow(&arr, &cap, n, size)) != 0)
            break;
        rc = fill(q, (char *)arr + n * size);
        n++;
        if (rc != 0)
            break;
    }
    if (rc == 0 && r != SQL_DONE)
        rc = db_fail(st, what);
    done(q);
    if (rc != 0) {
        release(arr, n);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

static int fill_member(struct sql_stmt *q, void *item)
{
    struct memo_member *m = item;

    m->ref = col_int(q, 0);
    m->relation = (unsigned)col_int(q, 3);
    m->at = col_int(q, 4);
    m->has_who = col_who(q, 5, m->who);
    return 0;
}

static void release_plain(void *arr, size_t n)
{
    mem_free(arr);
}

int sql_member_list(struct store *st, int64_t memo_id, unsigned relation, struct memo_member **out,
                    size_t *count)
{
    return LIST(st, ST_MEMBER_LIST, "member list", fill_member, release_plain, out, count,
                INT(memo_id), INT(relation));
}

_Static_assert(STORE_MEMBERS_MANY == 16, "ST_MEMBER_GET_MANY has 16 placeholders for accounts");

int sql_member_get_many(struct store *st, int64_t memo_id, const int64_t *refs, size_t n,
                        struct memo_member **out, size_t *count)
{
    struct arg a[1 + STORE_MEMBERS_MANY];

    *out = NULL;
    *count = 0;
    if (n == 0 || n > STORE_MEMBERS_MANY)
        return ERR_INVALID;
    a[0] = INT(memo_id);
    for (size_t i = 0; i < STORE_MEMBERS_MANY; i++) /* the unused ones NULL: IN never matches */
        a[1 + i] = i < n ? INT(refs[i]) : TEXT(NULL);
    return list_args(st, ST_MEMBER_GET_MANY, "member get many", sizeof(**out), fill_member,
                     release_plain, (void **)out, count, a, 1 + STORE_MEMBERS_MANY);
}

int sql_signature_add(struct store *st, const struct signature *sig)
{
    return INSERT(st, ST_SIG_ADD, "signature add", INT(sig->memo_id), INT(sig->ref),
                  TEXT(sig->note), TEXT(sig->vkey), INT(sig->created_at),
                  BLOB(sig->who, STORE_WHO_LEN));
}

int sql_signature_withdraw(struct store *st, int64_t memo_id, int64_t user_id)
{
    struct sql_stmt *q = PREP(st, ST_SIG_WITHDRAW, INT(memo_id), INT(user_id));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "signature withdraw");
    if (rc == 0 && changes(st) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

int sql_signature_has(struct store *st, int64_t memo_id, int64_t ref, struct store_related *out)
{
    return related(st, ST_SIG_HAS, memo_id, ref, "signature has", out);
}

int sql_signature_void_all(struct store *st, int64_t memo_id, const char *reason, int64_t at)
{
    return EXEC(st, ST_SIG_VOID, "signature void", INT(at), TEXT(reason), INT(memo_id));
}

static int fill_signature(struct sql_stmt *q, void *item)
{
    struct signature *g = item;
    bool ok = true;

    g->memo_id = col_int(q, 0);
    g->ref = col_int(q, 1); /* store.c opens the signer */
    g->has_who = col_who(q, 9, g->who);
    g->note = (char *)col_dup(q, 4, NULL, &ok);
    g->vkey = (char *)col_dup(q, 5, NULL, &ok);
    g->created_at = col_int(q, 6);
    g->voided_at = col_int(q, 7);
    g->void_reason = (char *)col_dup(q, 8, NULL, &ok);
    return ok ? 0 : ERR_NOMEM;
}

static void release_signatures(void *arr, size_t n)
{
    store_signature_list_free(arr, n);
}

int sql_signature_list(struct store *st, int64_t memo_id, bool include_void, struct signature **out,
                       size_t *count)
{
    return LIST(st, ST_SIG_LIST, "signature list", fill_signature, release_signatures, out, count,
                INT(memo_id), INT(include_void));
}

int sql_comment_add(struct store *st, int64_t memo_id, struct memo_comment *c)
{
    struct sql_stmt *q =
        PREP(st, ST_COMMENT_ADD, INT(memo_id), BLOB(c->author, STORE_WHO_LEN),
             BLOB(c->body ? c->body : (const uint8_t *)"", c->body_len), INT(c->at));

    if (q == NULL)
        return ERR_DB;
    return insert_id(st, q, "comment add", &c->id);
}

static int fill_comment(struct sql_stmt *q, void *item)
{
    struct memo_comment *c = item;
    bool ok = true;

    c->id = col_int(q, 0);
    c->author_id = col_int(q, 1);
    col_text(q, 2, c->username, sizeof(c->username));
    col_text(q, 3, c->display_name, sizeof(c->display_name));
    c->body = col_dup(q, 4, &c->body_len, &ok);
    c->at = col_int(q, 5);
    c->has_author = col_who(q, 6, c->author);
    return ok ? 0 : ERR_NOMEM;
}

static void release_comments(void *arr, size_t n)
{
    store_comment_list_free(arr, n);
}

int sql_comment_list(struct store *st, int64_t memo_id, struct memo_comment **out, size_t *count)
{
    return LIST(st, ST_COMMENT_LIST, "comment list", fill_comment, release_comments, out, count,
                INT(memo_id));
}

int sql_event_add(struct store *st, int64_t memo_id, const char *kind,
                  const uint8_t actor[STORE_WHO_LEN], const char *detail, int64_t at)
{
    return EXEC(st, ST_EVENT_ADD, "event add", INT(memo_id), TEXT(kind), BLOB(actor, STORE_WHO_LEN),
                TEXT(detail), INT(at));
}

static int fill_event(struct sql_stmt *q, void *item)
{
    struct memo_event *e = item;
    bool ok = true;

    e->id = col_int(q, 0);
    col_text(q, 1, e->kind, sizeof(e->kind));
    e->actor_id = col_int(q, 2);
    col_text(q, 3, e->username, sizeof(e->username));
    e->detail = (char *)col_dup(q, 4, NULL, &ok);
    e->at = col_int(q, 5);
    e->has_actor = col_who(q, 6, e->actor);
    return ok ? 0 : ERR_NOMEM;
}

static void release_events(void *arr, size_t n)
{
    store_event_list_free(arr, n);
}

int sql_event_list(struct store *st, int64_t memo_id, struct memo_event **out, size_t *count)
{
    return LIST(st, ST_EVENT_LIST, "event list", fill_event, release_events, out, count,
                INT(memo_id));
}

static int fill_legacy(struct sql_stmt *q, void *item)
{
    struct legacy_text *t = item;
    bool ok = true;

    t->table = STORE_LEGACY_EVENT;
    t->id = col_int(q, 1);
    t->memo_id = col_int(q, 2);
    t->who = col_int(q, 3);
    t->at = col_int(q, 4);
    col_text(q, 5, t->kind, sizeof(t->kind));
    t->text = (char *)col_dup(q, 6, NULL, &ok);
    return ok ? 0 : ERR_NOMEM;
}

static void release_legacy(void *arr, size_t n)
{
    store_legacy_texts_free(arr, n);
}

int sql_legacy_texts(struct store *st, struct legacy_text **out, size_t *count)
{
    return collect(st, prep(st, ST_LEGACY_TEXTS), sizeof(**out), fill_legacy, release_legacy,
                   "legacy texts", (void **)out, count);
}

int sql_legacy_text_set(struct store *st, enum store_legacy table, int64_t id, const char *text)
{
    return EXEC(st, ST_LEGACY_EVENT_SET, "legacy text", TEXT(text), INT(id));
}

static int fill_legacy_person(struct sql_stmt *q, void *item)
{
    struct legacy_person *p = item;
    bool ok = true;

    p->table = (enum store_person)(int)col_int(q, 0);
    p->memo_id = col_int(q, 1);
    p->id = col_int(q, 2);
    p->user_id = col_int(q, 3);
    p->at = col_int(q, 4);
    p->note = (char *)col_dup(q, 5, NULL, &ok);
    p->vkey = (char *)col_dup(q, 6, NULL, &ok);
    col_text(q, 7, p->public_id, sizeof(p->public_id));
    return ok ? 0 : ERR_NOMEM;
}

static void release_legacy_people(void *arr, size_t n)
{
    store_legacy_people_free(arr, n);
}

int sql_legacy_people(struct store *st, struct legacy_person **out, size_t *count)
{
    return collect(st, prep(st, ST_LEGACY_PEOPLE), sizeof(**out), fill_legacy_person,
                   release_legacy_people, "legacy people", (void **)out, count);
}

int sql_legacy_person_set(struct store *st, const struct legacy_person *p, int64_t ref,
                          const uint8_t who[STORE_WHO_LEN], const char *note, const char *vkey)
{
    static const enum stmt_id ids[] = {[STORE_PERSON_DRAFTER] = ST_LEGACY_DRAFTER_SET,
                                       [STORE_PERSON_MEMBER] = ST_LEGACY_MEMBER_SET,
                                       [STORE_PERSON_SIGNER] = ST_LEGACY_SIGNER_SET,
                                       [STORE_PERSON_KEY] = ST_LEGACY_KEY_SET};

    /* a statement ignores the parameters past its own (a memo key's row has no who) */
    return EXEC(st, ids[p->table], "legacy person",
                INT(p->table == STORE_PERSON_SIGNER ? p->id : p->memo_id), INT(p->user_id),
                INT(ref), BLOB(who, STORE_WHO_LEN), TEXT(note), TEXT(vkey));
}

static int fill_legacy_actor(struct sql_stmt *q, void *item)
{
    struct legacy_actor *a = item;
    int t = (int)col_int(q, 0);

    a->table = t == 0 ? STORE_WHO_AUDIT : t == 1 ? STORE_WHO_COMMENT : STORE_WHO_EVENT;
    a->id = col_int(q, 1);
    a->memo_id = col_int(q, 2);
    a->row = col_int(q, 3);
    a->who = col_int(q, 4);
    col_text(q, 5, a->kind, sizeof(a->kind));
    return 0;
}

int sql_legacy_actors(struct store *st, struct legacy_actor **out, size_t *count)
{
    return collect(st, prep(st, ST_LEGACY_ACTORS), sizeof(**out), fill_legacy_actor, release_plain,
                   "legacy actors", (void **)out, count);
}

int sql_legacy_actor_set(struct store *st, enum store_who table, int64_t id,
                         const uint8_t who[STORE_WHO_LEN])
{
    return EXEC(st,
                table == STORE_WHO_AUDIT     ? ST_LEGACY_AUDIT_SET
                : table == STORE_WHO_COMMENT ? ST_LEGACY_COMMENT_SET
                                             : ST_LEGACY_EVENT_ACTOR_SET,
                "legacy actor", BLOB(who, STORE_WHO_LEN), INT(id));
}

/* An envelope column: sealed || mac (STORE_SEALED_LEN + STORE_MAC_LEN bytes), or a sealed key
 * alone as written before migration 10 (then the MAC reads as zero and fails its check).
 * ERR_INTEGRITY for any other length. */
static int col_envelope(struct sql_stmt *q, int col, uint8_t sealed[STORE_SEALED_LEN],
                        uint8_t mac[STORE_MAC_LEN])
{
    size_t n = 0;
    const uint8_t *b = q->st->drv->col_bytes(q, col, &n);

    memset(mac, 0, STORE_MAC_LEN);
    if (b == NULL || (n != STORE_SEALED_LEN && n != STORE_SEALED_LEN + STORE_MAC_LEN)) {
        memset(sealed, 0, STORE_SEALED_LEN);
        /* a value that could not be read for want of memory is not a forged one */
        return b == NULL && !is_null(q, col) ? ERR_NOMEM : ERR_INTEGRITY;
    }
    memcpy(sealed, b, STORE_SEALED_LEN);
    if (n > STORE_SEALED_LEN)
        memcpy(mac, b + STORE_SEALED_LEN, STORE_MAC_LEN);
    return 0;
}

/* sealed || mac in @buf, as a parameter (@buf must outlive the statement's step). */
static struct arg envelope(uint8_t buf[STORE_SEALED_LEN + STORE_MAC_LEN],
                           const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN])
{
    memcpy(buf, sealed, STORE_SEALED_LEN);
    memcpy(buf + STORE_SEALED_LEN, mac, STORE_MAC_LEN);
    return BLOB(buf, STORE_SEALED_LEN + STORE_MAC_LEN);
}

/* Run @q (bound) expecting at most one row whose first column is an envelope. */
static int get_envelope(struct store *st, struct sql_stmt *q, uint8_t sealed[STORE_SEALED_LEN],
                        uint8_t mac[STORE_MAC_LEN], const char *what)
{
    int rc = q != NULL ? first_row(st, q, what) : ERR_DB;

    if (rc == 0)
        rc = col_envelope(q, 0, sealed, mac);
    if (rc != 0) {
        memset(sealed, 0, STORE_SEALED_LEN);
        memset(mac, 0, STORE_MAC_LEN);
    }
    done(q);
    return rc;
}

int sql_memo_key_put(struct store *st, int64_t memo_id, int64_t user_id,
                     const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN],
                     int64_t at)
{
    uint8_t buf[STORE_SEALED_LEN + STORE_MAC_LEN];

    return EXEC(st, ST_MKEY_PUT, "memo key put", INT(memo_id), INT(user_id),
                envelope(buf, sealed, mac), INT(at));
}

/* Run @q (bound) expecting at most one row whose first column is a blob of @len bytes. */
static int get_fixed(struct store *st, struct sql_stmt *q, uint8_t *out, size_t len,
                     const char *what)
{
    int rc = q != NULL ? first_row(st, q, what) : ERR_DB;

    if (rc == 0 && !col_fixed(q, 0, out, len))
        rc = ERR_DB;
    if (rc != 0)
        memset(out, 0, len);
    done(q);
    return rc;
}

int sql_memo_key_get(struct store *st, int64_t memo_id, int64_t user_id,
                     uint8_t sealed[STORE_SEALED_LEN], uint8_t mac[STORE_MAC_LEN])
{
    return get_envelope(st, PREP(st, ST_MKEY_GET, INT(memo_id), INT(user_id)), sealed, mac,
                        "memo key get");
}

int sql_memo_key_delete(struct store *st, int64_t memo_id, int64_t user_id)
{
    return EXEC(st, ST_MKEY_DELETE, "memo key delete", INT(memo_id), INT(user_id));
}

static int fill_key_row(struct sql_stmt *q, void *item)
{
    struct memo_key_row *k = item;

    k->memo_id = col_int(q, 0);
    col_text(q, 2, k->public_id, sizeof(k->public_id));
    return col_envelope(q, 1, k->sealed, k->mac);
}

int sql_memo_keys_of(struct store *st, int64_t user_id, struct memo_key_row **out, size_t *count)
{
    return LIST(st, ST_MKEY_OF, "memo keys of", fill_key_row, release_plain, out, count,
                INT(user_id));
}

int sql_memo_keys_of_channel(struct store *st, int64_t user_id, int64_t channel,
                             struct memo_key_row **out, size_t *count)
{
    return LIST(st, ST_MKEY_OF_CHANNEL, "memo keys of channel", fill_key_row, release_plain, out,
                count, INT(user_id), INT(channel));
}

int sql_channel_key_get(struct store *st, int64_t channel, uint8_t pk[STORE_PUB_LEN])
{
    return get_fixed(st, PREP(st, ST_CKEY_GET, INT(channel)), pk, STORE_PUB_LEN, "channel key get");
}

int sql_channel_key_create(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                           int64_t by, int64_t at)
{
    return INSERT(st, ST_CKEY_CREATE, "channel key create", BLOB(pk, STORE_PUB_LEN), INT(by),
                  INT(at), INT(channel));
}

int sql_channel_key_rotate(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                           int64_t by, int64_t at)
{
    struct sql_stmt *q =
        PREP(st, ST_CKEY_ROTATE, BLOB(pk, STORE_PUB_LEN), INT(by), INT(at), INT(channel));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "channel key rotate");
    return rc == 0 && changes(st) == 0 ? ERR_NOT_FOUND : rc;
}

int sql_channel_grant_put(struct store *st, int64_t channel, int64_t user_id,
                          const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN],
                          int64_t by, int64_t at)
{
    uint8_t buf[STORE_SEALED_LEN + STORE_MAC_LEN];

    return EXEC(st, ST_GRANT_PUT, "channel grant put", INT(user_id), envelope(buf, sealed, mac),
                INT(by), INT(at), INT(channel));
}

int sql_channel_grant_get(struct store *st, int64_t channel, int64_t user_id,
                          uint8_t sealed[STORE_SEALED_LEN], uint8_t mac[STORE_MAC_LEN])
{
    return get_envelope(st, PREP(st, ST_GRANT_GET, INT(user_id), INT(channel)), sealed, mac,
                        "channel grant get");
}

int sql_channel_grant_delete(struct store *st, int64_t channel, int64_t user_id)
{
    return EXEC(st, ST_GRANT_DELETE, "channel grant delete", INT(user_id), INT(channel));
}

int sql_channel_grants_of(struct store *st, int64_t user_id, struct memo_key_row **out,
                          size_t *count)
{
    return LIST(st, ST_GRANTS_OF, "channel grants of", fill_key_row, release_plain, out, count,
                INT(user_id));
}

int sql_user_revoke_keys(struct store *st, int64_t user_id, int64_t ref, unsigned what)
{
    enum stmt_id ids[2] = {ST_REVOKE_MKEYS, ST_REVOKE_GRANT};
    int rc = 0;

    /* memo keys are held by pseudonym (store.h, "Who"), grants by account */
    for (int i = 0; i < 2 && rc == 0; i++)
        if (what & (1u << i))
            rc = EXEC(st, ids[i], "revoke keys", INT(i == 0 ? ref : user_id));
    return rc;
}

int sql_totp_get(struct store *st, int64_t user_id, struct user_totp *out)
{
    struct sql_stmt *q = PREP(st, ST_TOTP_GET, INT(user_id));
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "totp get")) == 0) {
        out->user_id = user_id;
        if (!col_fixed(q, 0, out->sealed, sizeof(out->sealed)))
            rc = ERR_DB;
        out->enabled = (int)col_int(q, 1) != 0;
        out->last_step = col_int(q, 2);
        /* NULL until confirmed: no codes yet */
        if (!is_null(q, 3) && !col_fixed(q, 3, &out->codes[0][0], sizeof(out->codes)))
            rc = ERR_DB;
        out->created_at = col_int(q, 4);
        out->updated_at = col_int(q, 5);
        out->version = col_int(q, 6);
        col_fixed(q, 7, out->mac, sizeof(out->mac));
    }
    done(q);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

int sql_totp_put(struct store *st, struct user_totp *t)
{
    struct sql_stmt *q = PREP(st, ST_TOTP_PUT, INT(t->user_id), BLOB(t->sealed, sizeof(t->sealed)),
                              INT(t->created_at), BLOB(t->mac, sizeof(t->mac)));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "totp put");
    if (rc == 0 && changes(st) == 0)
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

int sql_totp_update(struct store *st, struct user_totp *t)
{
    struct sql_stmt *q = PREP(st, ST_TOTP_UPDATE, INT(t->enabled), INT(t->last_step),
                              BLOB(t->codes, sizeof(t->codes)), INT(t->updated_at), INT(t->user_id),
                              INT(t->version), BLOB(t->mac, sizeof(t->mac)));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "totp update");
    if (rc == 0) {
        if (changes(st) == 0)
            return ERR_CONFLICT;
        t->version++;
    }
    return rc;
}

int sql_totp_delete(struct store *st, int64_t user_id)
{
    return EXEC(st, ST_TOTP_DELETE, "totp delete", INT(user_id));
}

static int fill_audit(struct sql_stmt *q, void *item)
{
    struct audit_record *a = item;

    a->id = col_int(q, 0);
    a->memo_id = col_int(q, 1);
    a->actor_id = col_int(q, 2);
    col_text(q, 3, a->username, sizeof(a->username));
    col_text(q, 4, a->action, sizeof(a->action));
    a->at = col_int(q, 5);
    col_fixed(q, 6, a->hash, sizeof(a->hash));
    a->has_actor = col_who(q, 7, a->actor);
    return 0;
}

int sql_audit_last(struct store *st, struct audit_record *out)
{
    struct sql_stmt *q = prep(st, ST_AUDIT_LAST);
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "audit last")) == 0)
        fill_audit(q, out);
    done(q);
    return rc;
}

int sql_audit_set_hash(struct store *st, int64_t id, const uint8_t hash[32])
{
    return EXEC(st, ST_AUDIT_SET_HASH, "audit set hash", BLOB(hash, 32), INT(id));
}

int sql_audit_insert(struct store *st, const struct audit_record *a)
{
    return INSERT(st, ST_AUDIT_INSERT, "audit insert", INT(a->id), INT(a->memo_id), TEXT(a->action),
                  INT(a->at), BLOB(a->hash, sizeof(a->hash)), BLOB(a->actor, STORE_WHO_LEN));
}

int sql_audit_list(struct store *st, int64_t memo_id, int64_t after, int limit,
                   struct audit_record **out, size_t *count)
{
    return LIST(st, ST_AUDIT_LIST, "audit list", fill_audit, release_plain, out, count,
                INT(memo_id), INT(after), INT(limit));
}

int sql_memo_head(struct store *st, const char *public_id, int *state, int64_t *version,
                  int *signer_count)
{
    struct sql_stmt *q = PREP(st, ST_MEMO_HEAD, TEXT(public_id));
    int rc;

    *state = 0;
    *version = 0;
    *signer_count = 0;
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "memo head")) == 0) {
        *state = (int)col_int(q, 0);
        *version = col_int(q, 1);
        *signer_count = (int)col_int(q, 2);
    }
    done(q);
    return rc;
}

int sql_tlog_size(struct store *st, uint64_t *size)
{
    struct sql_stmt *q = prep(st, ST_TLOG_SIZE);
    int64_t v = 0;
    int rc;

    *size = 0;
    if (q == NULL)
        return ERR_DB;
    /* migration 4 made the one row */
    rc = row_int64(st, q, "tlog size", &v);
    *size = (uint64_t)v;
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

int sql_tlog_set_size(struct store *st, uint64_t size)
{
    return EXEC(st, ST_TLOG_SET_SIZE, "tlog set size", INT((int64_t)size));
}

int sql_tlog_tile_get(struct store *st, int level, uint64_t index, uint8_t **data, size_t *len,
                      unsigned *width)
{
    struct sql_stmt *q = PREP(st, ST_TILE_GET, INT(level), INT((int64_t)index));
    bool ok = true;
    int rc;

    *data = NULL;
    *len = 0;
    *width = 0;
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "tile get")) == 0) {
        *data = col_dup(q, 0, len, &ok);
        *width = ok ? (unsigned)(int)col_int(q, 1) : 0;
        if (!ok)
            rc = ERR_NOMEM;
    }
    done(q);
    return rc;
}

int sql_tlog_tile_put(struct store *st, int level, uint64_t index, unsigned width,
                      const uint8_t *data, size_t len)
{
    return EXEC(st, ST_TILE_PUT, "tile put", INT(level), INT((int64_t)index), INT((int)width),
                BLOB(data, len));
}

int sql_tlog_checkpoint_latest(struct store *st, uint64_t *size, char **text)
{
    struct sql_stmt *q = prep(st, ST_CP_LATEST);
    bool ok = true;
    int rc;

    *size = 0;
    *text = NULL;
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "checkpoint latest")) == 0) {
        *text = (char *)col_dup(q, 1, NULL, &ok);
        *size = ok ? (uint64_t)col_int(q, 0) : 0;
        if (!ok)
            rc = ERR_NOMEM;
    }
    done(q);
    return rc;
}

int sql_tlog_checkpoint_put(struct store *st, uint64_t size, const char *text, int64_t at)
{
    return EXEC(st, ST_CP_PUT, "checkpoint put", INT((int64_t)size), TEXT(text), INT(at));
}

int sql_tlog_checkpoint_witnessed(struct store *st, int cosigs, uint64_t *size, char **text)
{
    struct sql_stmt *q = PREP(st, ST_CP_WITNESSED, INT(cosigs));
    bool ok = true;
    int rc;

    *size = 0;
    *text = NULL;
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "checkpoint witnessed")) == 0) {
        *text = (char *)col_dup(q, 1, NULL, &ok);
        *size = ok ? (uint64_t)col_int(q, 0) : 0;
        if (!ok)
            rc = ERR_NOMEM;
    }
    done(q);
    return rc;
}

int sql_tlog_checkpoint_get(struct store *st, uint64_t size, char **text, int *cosigs)
{
    struct sql_stmt *q = PREP(st, ST_CP_GET, INT((int64_t)size));
    bool ok = true;
    int rc;

    *text = NULL;
    *cosigs = 0;
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "checkpoint get")) == 0) {
        *text = (char *)col_dup(q, 1, NULL, &ok);
        *cosigs = ok ? (int)col_int(q, 2) : 0;
        if (!ok)
            rc = ERR_NOMEM;
    }
    done(q);
    return rc;
}

int sql_tlog_checkpoint_cosign(struct store *st, uint64_t size, const char *text, int cosigs)
{
    return EXEC(st, ST_CP_COSIGN, "checkpoint cosign", INT((int64_t)size), TEXT(text), INT(cosigs));
}

int sql_outbox_add(struct store *st, const struct outbox_item *it)
{
    return EXEC(st, ST_OUTBOX_ADD, "outbox add", TEXT(it->dedupe), TEXT(it->kind), INT(it->user_id),
                TEXT(it->rcpt), TEXT(it->subject ? it->subject : ""),
                TEXT(it->body ? it->body : ""), INT(it->next_at), INT(it->created_at),
                BLOB(it->mac, sizeof(it->mac)));
}

/* The status columns (OUTBOX_COLS) of a row into @item; with @content, subject and body too. */
static int fill_outbox_row(struct sql_stmt *q, struct outbox_item *o, bool content)
{
    o->id = col_int(q, 0);
    col_text(q, 1, o->dedupe, sizeof(o->dedupe));
    col_text(q, 2, o->kind, sizeof(o->kind));
    o->user_id = col_int(q, 3);
    col_text(q, 5, o->rcpt, sizeof(o->rcpt));
    o->status = (int)col_int(q, 6);
    o->attempts = (int)col_int(q, 7);
    o->next_at = col_int(q, 8);
    o->created_at = col_int(q, 9);
    o->sent_at = col_int(q, 10);
    if (content) {
        bool ok = true;
        o->subject = (char *)col_dup(q, 11, NULL, &ok);
        o->body = (char *)col_dup(q, 12, NULL, &ok);
        if (!ok || o->subject == NULL || o->body == NULL)
            return ERR_NOMEM;
        col_fixed(q, 13, o->mac, sizeof(o->mac));
    }
    return 0;
}

static int fill_outbox(struct sql_stmt *q, void *item)
{
    return fill_outbox_row(q, item, false);
}

static int fill_outbox_content(struct sql_stmt *q, void *item)
{
    return fill_outbox_row(q, item, true);
}

static void release_outbox(void *arr, size_t n)
{
    store_outbox_list_free(arr, n);
}

int sql_outbox_due(struct store *st, int64_t now, int limit, struct outbox_item **out,
                   size_t *count)
{
    return LIST(st, ST_OUTBOX_DUE, "outbox due", fill_outbox_content, release_outbox, out, count,
                INT(now), INT(limit));
}

int sql_outbox_legacy(struct store *st, struct outbox_item **out, size_t *count)
{
    return collect(st, prep(st, ST_OUTBOX_LEGACY), sizeof(**out), fill_outbox_content,
                   release_outbox, "outbox legacy", (void **)out, count);
}

int sql_outbox_reseal(struct store *st, int64_t id, const char *sealed)
{
    return EXEC(st, ST_OUTBOX_RESEAL, "outbox reseal", INT(id), TEXT(sealed));
}

int sql_outbox_claim(struct store *st, int64_t id, int64_t now, int64_t until)
{
    struct sql_stmt *q = PREP(st, ST_OUTBOX_CLAIM, INT(id), INT(now), INT(until));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = exec_stmt(st, q, "outbox claim");
    if (rc == 0 && changes(st) == 0)
        rc = ERR_CONFLICT;
    return rc;
}

int sql_outbox_finish(struct store *st, int64_t id, int status, int attempts, int64_t next_at,
                      int64_t sent_at)
{
    return EXEC(st, ST_OUTBOX_FINISH, "outbox finish", INT(status), INT(attempts), INT(next_at),
                INT(sent_at), INT(id));
}

int sql_outbox_list(struct store *st, int64_t after, int limit, struct outbox_item **out,
                    size_t *count)
{
    return LIST(st, ST_OUTBOX_LIST, "outbox list", fill_outbox, release_outbox, out, count,
                INT(after), INT(limit));
}

int sql_notify_prefs_get(struct store *st, int64_t user_id, unsigned *off)
{
    struct sql_stmt *q = PREP(st, ST_PREFS_GET, INT(user_id));
    int64_t v = 0;
    int rc;

    *off = 0;
    if (q == NULL)
        return ERR_DB;
    rc = row_int64(st, q, "prefs get", &v);
    *off = rc == 0 ? (unsigned)v : 0;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int sql_notify_prefs_set(struct store *st, int64_t user_id, unsigned off)
{
    return EXEC(st, ST_PREFS_SET, "prefs set", INT(user_id), INT(off));
}

int sql_language_get(struct store *st, int64_t user_id, char *out, size_t len)
{
    struct sql_stmt *q = PREP(st, ST_LANG_GET, INT(user_id));
    int rc;

    out[0] = '\0';
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "language get")) == 0)
        col_text(q, 0, out, len);
    done(q);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int sql_language_set(struct store *st, int64_t user_id, const char *code)
{
    return EXEC(st, ST_LANG_SET, "language set", INT(user_id), TEXT(code));
}

int sql_open(const struct sql_driver *drv, size_t size, const char *target, struct store **out,
             char *err, size_t errlen)
{
    struct store *st;
    int rc;

    *out = NULL;
    if ((st = mem_calloc(1, size)) == NULL)
        return ERR_NOMEM;
    st->drv = drv;
    if ((rc = drv->connect(st, target, err, errlen)) != 0) {
        drv->close(st);
        return rc;
    }
    *out = st;
    return 0;
}

int sql_schema_known(int version, int latest, char *err, size_t errlen)
{
    if (version <= latest)
        return 0;
    err_set(err, errlen, "database schema %d is newer than this binary (%d)", version, latest);
    return ERR_DB;
}

int sql_ping(struct store *st)
{
    struct sql_stmt *q = prep(st, ST_PING);
    int64_t one = 0;

    if (q == NULL)
        return ERR_DB;
    return row_int64(st, q, "ping", &one);
}

int sql_savepoint(struct store *st)
{
    return st->drv->exec(st, "SAVEPOINT item");
}

int sql_savepoint_release(struct store *st)
{
    return st->drv->exec(st, "RELEASE item");
}

int sql_savepoint_rollback(struct store *st)
{
    return st->drv->exec(st, "ROLLBACK TO item; RELEASE item");
}

int sql_table_rows(struct store *st, size_t table, int64_t *count)
{
    char text[128];
    struct sql_stmt *q;
    int rc;

    *count = 0;
    if (table >= store_tables_count)
        return ERR_INVALID;
    snprintf(text, sizeof(text), "SELECT count(*) FROM %s", store_tables[table].name);
    if ((q = prep_text(st, ST_TABLE_ROWS + (int)table, text)) == NULL)
        return ERR_DB;
    rc = row_int64(st, q, "count", count);
    return rc == ERR_NOT_FOUND ? ERR_DB : rc;
}

int sql_calendar_add(struct store *st, struct calendar_row *r)
{
    struct sql_stmt *q =
        PREP(st, ST_CAL_ADD, INT(r->kind), INT(r->first), INT(r->last), TEXT(r->reason),
             INT(r->created_at), INT(r->removed_at), BLOB(r->mac, STORE_MAC_LEN));

    if (q == NULL)
        return ERR_DB;
    return insert_id(st, q, "calendar add", &r->id);
}

int sql_calendar_update(struct store *st, const struct calendar_row *r)
{
    return EXEC(st, ST_CAL_UPDATE, "calendar update", INT(r->id), INT(r->last), INT(r->removed_at),
                BLOB(r->mac, STORE_MAC_LEN));
}

static int fill_calendar(struct sql_stmt *q, void *item)
{
    struct calendar_row *r = item;

    r->id = col_int(q, 0);
    r->kind = (int)col_int(q, 1);
    r->first = col_int(q, 2);
    r->last = col_int(q, 3);
    col_text(q, 4, r->reason, sizeof(r->reason));
    r->created_at = col_int(q, 5);
    r->removed_at = col_int(q, 6);
    col_fixed(q, 7, r->mac, sizeof(r->mac));
    return 0;
}

static void release_calendar(void *arr, size_t n)
{
    (void)n;
    mem_free(arr);
}

int sql_calendar_list(struct store *st, struct calendar_row **out, size_t *count)
{
    return collect(st, prep(st, ST_CAL_LIST), sizeof(**out), fill_calendar, release_calendar,
                   "calendar list", (void **)out, count);
}

int sql_channel_add(struct store *st, struct channel_row *r)
{
    struct sql_stmt *q =
        PREP(st, ST_CHAN_ADD, TEXT(r->slug), TEXT(r->name), TEXT(r->settings), INT(r->created_at),
             BLOB(r->mac, STORE_MAC_LEN), INT(r->version), INT(r->id));

    if (q == NULL)
        return ERR_DB;
    return insert_id(st, q, "channel add", &r->id);
}

int sql_channel_update(struct store *st, const struct channel_row *r)
{
    return EXEC(st, ST_CHAN_UPDATE, "channel update", INT(r->id), TEXT(r->name), TEXT(r->settings),
                BLOB(r->mac, STORE_MAC_LEN), INT(r->version));
}

static int fill_channel(struct sql_stmt *q, void *item)
{
    struct channel_row *r = item;
    bool ok = true;

    r->id = col_int(q, 0);
    col_text(q, 1, r->slug, sizeof(r->slug));
    col_text(q, 2, r->name, sizeof(r->name));
    r->settings = (char *)col_dup(q, 3, NULL, &ok);
    r->created_at = col_int(q, 4);
    col_fixed(q, 5, r->mac, sizeof(r->mac));
    r->version = col_int(q, 6);
    return ok ? 0 : ERR_NOMEM;
}

static void release_channels(void *arr, size_t n)
{
    store_channel_list_free(arr, n);
}

int sql_channel_list(struct store *st, struct channel_row **out, size_t *count)
{
    return collect(st, prep(st, ST_CHAN_LIST), sizeof(**out), fill_channel, release_channels,
                   "channel list", (void **)out, count);
}

int sql_passkey_add(struct store *st, struct passkey_row *r)
{
    struct sql_stmt *q =
        PREP(st, ST_PK_ADD, INT(r->user_id), BLOB(r->cred_id, r->cred_id_len), INT(r->alg),
             BLOB(r->pk, r->pk_len), INT(r->sign_count), TEXT(r->name),
             r->has_prf ? BLOB(r->prf_salt, sizeof(r->prf_salt)) : BLOB(NULL, 0),
             r->has_prf ? BLOB(r->wrapped, sizeof(r->wrapped)) : BLOB(NULL, 0), INT(r->created_at),
             INT(r->last_used_at), BLOB(r->mac, STORE_MAC_LEN));
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = row_int64(st, q, "passkey add", &r->id);
    return rc == ERR_NOT_FOUND ? ERR_EXISTS : rc; /* no row: the credential id is taken */
}

static int fill_passkey(struct sql_stmt *q, void *item)
{
    struct passkey_row *r = item;
    size_t n = 0;
    const uint8_t *b;

    r->id = col_int(q, 0);
    r->user_id = col_int(q, 1);
    b = q->st->drv->col_bytes(q, 2, &n);
    if (b == NULL || n == 0 || n > sizeof(r->cred_id))
        return ERR_DB;
    memcpy(r->cred_id, b, n);
    r->cred_id_len = n;
    r->alg = (int)col_int(q, 3);
    b = q->st->drv->col_bytes(q, 4, &n);
    if (b == NULL || n == 0 || n > sizeof(r->pk))
        return ERR_DB;
    memcpy(r->pk, b, n);
    r->pk_len = n;
    r->sign_count = col_int(q, 5);
    col_text(q, 6, r->name, sizeof(r->name));
    r->has_prf = col_fixed(q, 7, r->prf_salt, sizeof(r->prf_salt));
    if (r->has_prf && !col_fixed(q, 8, r->wrapped, sizeof(r->wrapped)))
        return ERR_DB;
    r->created_at = col_int(q, 9);
    r->last_used_at = col_int(q, 10);
    col_fixed(q, 11, r->mac, sizeof(r->mac));
    return 0;
}

static void release_passkeys(void *arr, size_t n)
{
    if (arr != NULL)
        wipe(arr, n * sizeof(struct passkey_row));
    mem_free(arr);
}

int sql_passkey_list(struct store *st, int64_t user_id, struct passkey_row **out, size_t *count)
{
    return collect(st, PREP(st, ST_PK_LIST, INT(user_id)), sizeof(**out), fill_passkey,
                   release_passkeys, "passkey list", (void **)out, count);
}

int sql_passkey_find(struct store *st, const uint8_t *cred, size_t len, struct passkey_row *out)
{
    struct sql_stmt *q = PREP(st, ST_PK_FIND, BLOB(cred, len));
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "passkey find")) == 0)
        rc = fill_passkey(q, out);
    done(q);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

int sql_passkey_used(struct store *st, const struct passkey_row *r, int64_t before)
{
    int rc = EXEC(st, ST_PK_USED, "passkey used", INT(r->id), INT(r->sign_count),
                  INT(r->last_used_at), BLOB(r->mac, STORE_MAC_LEN), INT(before));

    return rc == 0 && changes(st) != 1 ? ERR_CONFLICT : rc;
}

int sql_passkey_delete(struct store *st, int64_t user_id, int64_t id)
{
    int rc = EXEC(st, ST_PK_DELETE, "passkey delete", INT(id), INT(user_id));

    return rc == 0 && changes(st) == 0 ? ERR_NOT_FOUND : rc;
}

int sql_passkey_delete_all(struct store *st, int64_t user_id)
{
    return EXEC(st, ST_PK_DELETE_ALL, "passkey delete all", INT(user_id));
}

int sql_challenge_put(struct store *st, const uint8_t hash[32], int64_t user_id, int purpose,
                      int64_t expires, const uint8_t mac[STORE_MAC_LEN], int64_t now)
{
    int rc = EXEC(st, ST_CH_SWEEP, "challenge sweep", INT(now));

    if (rc == 0)
        rc = EXEC(st, ST_CH_PUT, "challenge put", BLOB(hash, 32), INT(user_id), INT(purpose),
                  INT(expires), BLOB(mac, STORE_MAC_LEN));
    return rc;
}

int sql_challenge_take(struct store *st, const uint8_t hash[32], bool take, int64_t *user_id,
                       int *purpose, int64_t *expires, uint8_t mac[STORE_MAC_LEN])
{
    struct sql_stmt *q = PREP(st, take ? ST_CH_TAKE : ST_CH_PEEK, BLOB(hash, 32));
    int rc;

    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "challenge take")) == 0) {
        *user_id = col_int(q, 0);
        *purpose = (int)col_int(q, 1);
        *expires = col_int(q, 2);
        if (!col_fixed(q, 3, mac, STORE_MAC_LEN))
            rc = ERR_INTEGRITY;
    }
    done(q);
    return rc;
}

int sql_sso_add(struct store *st, const struct sso_link *l)
{
    int rc = EXEC(st, ST_SSO_ADD, "sso link add", INT(l->user_id), TEXT(l->issuer),
                  TEXT(l->subject), INT(l->linked_at), BLOB(l->mac, STORE_MAC_LEN));

    return rc == 0 && changes(st) != 1 ? ERR_EXISTS : rc;
}

static int sso_row(struct store *st, struct sql_stmt *q, struct sso_link *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "sso link")) == 0) {
        out->user_id = col_int(q, 0);
        col_text(q, 1, out->issuer, sizeof(out->issuer));
        col_text(q, 2, out->subject, sizeof(out->subject));
        out->linked_at = col_int(q, 3);
        col_fixed(q, 4, out->mac, sizeof(out->mac));
    }
    done(q);
    return rc;
}

int sql_sso_get(struct store *st, int64_t user_id, struct sso_link *out)
{
    return sso_row(st, PREP(st, ST_SSO_GET, INT(user_id)), out);
}

int sql_sso_find(struct store *st, const char *issuer, const char *subject, struct sso_link *out)
{
    return sso_row(st, PREP(st, ST_SSO_FIND, TEXT(issuer), TEXT(subject)), out);
}

int sql_sso_delete(struct store *st, int64_t user_id)
{
    int rc = EXEC(st, ST_SSO_DELETE, "sso link delete", INT(user_id));

    return rc == 0 && changes(st) == 0 ? ERR_NOT_FOUND : rc;
}

int sql_att_add(struct store *st, struct store_attachment *a)
{
    struct sql_stmt *q =
        PREP(st, ST_ATT_ADD, INT(a->memo_id), TEXT(a->public_id), INT(a->size),
             BLOB(a->meta, a->meta_len), BLOB(a->stream, a->stream_len), INT(a->created_at),
             INT(a->received), INT(a->chunks), INT(a->complete ? 1 : 0));

    if (q == NULL)
        return ERR_DB;
    return insert_id(st, q, "attachment add", &a->id);
}

static int fill_att(struct sql_stmt *q, void *item)
{
    struct store_attachment *a = item;
    bool ok = true;

    a->id = col_int(q, 0);
    a->memo_id = col_int(q, 1);
    col_text(q, 2, a->public_id, sizeof(a->public_id));
    a->position = col_int(q, 3);
    a->size = col_int(q, 4);
    a->received = col_int(q, 5);
    a->chunks = col_int(q, 6);
    a->complete = col_int(q, 7) != 0;
    a->meta = col_dup(q, 8, &a->meta_len, &ok);
    a->stream = col_dup(q, 9, &a->stream_len, &ok);
    a->created_at = col_int(q, 10);
    return ok ? 0 : ERR_NOMEM;
}

static void release_atts(void *arr, size_t n)
{
    store_att_list_free(arr, n);
}

int sql_att_get(struct store *st, int64_t memo_id, const char *public_id,
                struct store_attachment *out)
{
    struct sql_stmt *q = PREP(st, ST_ATT_GET, INT(memo_id), TEXT(public_id));
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "attachment get")) == 0 && (rc = fill_att(q, out)) != 0)
        store_att_release(out);
    done(q);
    return rc;
}

int sql_att_list(struct store *st, int64_t memo_id, struct store_attachment **out, size_t *count)
{
    return LIST(st, ST_ATT_LIST, "attachment list", fill_att, release_atts, out, count,
                INT(memo_id));
}

int sql_att_update(struct store *st, const struct store_attachment *a, int64_t was_received)
{
    int rc = EXEC(st, ST_ATT_UPDATE, "attachment update", INT(a->id), INT(was_received),
                  INT(a->received), INT(a->chunks), INT(a->complete ? 1 : 0),
                  BLOB(a->stream, a->stream_len));

    return rc == 0 && changes(st) != 1 ? ERR_CONFLICT : rc;
}

int sql_att_delete(struct store *st, int64_t id)
{
    int rc = EXEC(st, ST_CHUNK_DROP, "attachment chunks drop", INT(id));

    if (rc == 0)
        rc = EXEC(st, ST_ATT_DELETE, "attachment delete", INT(id));
    return rc == 0 && changes(st) == 0 ? ERR_NOT_FOUND : rc;
}

int sql_chunk_put(struct store *st, int64_t att_id, int64_t seq, const uint8_t *data, size_t len)
{
    int rc = EXEC(st, ST_CHUNK_PUT, "chunk put", INT(att_id), INT(seq), BLOB(data, len));

    return rc == 0 && changes(st) != 1 ? ERR_EXISTS : rc;
}

int sql_chunk_get(struct store *st, int64_t att_id, int64_t seq, uint8_t **data, size_t *len)
{
    struct sql_stmt *q = PREP(st, ST_CHUNK_GET, INT(att_id), INT(seq));
    bool ok = true;
    int rc;

    *data = NULL;
    *len = 0;
    if (q == NULL)
        return ERR_DB;
    if ((rc = first_row(st, q, "chunk get")) == 0) {
        *data = col_dup(q, 0, len, &ok);
        if (!ok)
            rc = ERR_NOMEM;
    }
    done(q);
    return rc;
}

int sql_hold_add(struct store *st, struct store_hold *h)
{
    struct sql_stmt *q =
        PREP(st, ST_HOLD_ADD, TEXT(h->memo), INT(h->from_day), INT(h->to_day), TEXT(h->reason),
             INT(h->placed_by), INT(h->placed_at), BLOB(h->mac, STORE_MAC_LEN));

    if (q == NULL)
        return ERR_DB;
    return insert_id(st, q, "hold add", &h->id);
}

static int fill_hold(struct sql_stmt *q, void *item)
{
    struct store_hold *h = item;

    h->id = col_int(q, 0);
    col_text(q, 1, h->memo, sizeof(h->memo));
    h->from_day = col_int(q, 2);
    h->to_day = col_int(q, 3);
    col_text(q, 4, h->reason, sizeof(h->reason));
    h->placed_by = col_int(q, 5);
    h->placed_at = col_int(q, 6);
    h->lifted_by = col_int(q, 7);
    h->lifted_at = col_int(q, 8);
    col_text(q, 9, h->lift_reason, sizeof(h->lift_reason));
    col_fixed(q, 10, h->mac, sizeof(h->mac));
    return 0;
}

static void release_holds(void *arr, size_t n)
{
    mem_free(arr);
}

int sql_hold_list(struct store *st, struct store_hold **out, size_t *count)
{
    return LIST(st, ST_HOLD_LIST, "hold list", fill_hold, release_holds, out, count, INT(0));
}

int sql_hold_seal(struct store *st, int64_t id, const uint8_t mac[STORE_MAC_LEN])
{
    int rc = EXEC(st, ST_HOLD_SEAL, "hold seal", INT(id), BLOB(mac, STORE_MAC_LEN));

    return rc == 0 && changes(st) != 1 ? ERR_NOT_FOUND : rc;
}

int sql_hold_lift(struct store *st, const struct store_hold *h)
{
    int rc = EXEC(st, ST_HOLD_LIFT, "hold lift", INT(h->id), INT(h->lifted_by), INT(h->lifted_at),
                  TEXT(h->lift_reason), BLOB(h->mac, STORE_MAC_LEN));

    return rc == 0 && changes(st) != 1 ? ERR_CONFLICT : rc;
}

int sql_tombstone_add(struct store *st, const struct store_tombstone *t)
{
    return EXEC(st, ST_TOMB_ADD, "tombstone add", TEXT(t->public_id), INT(t->state),
                INT(t->final_at), INT(t->shredded_at));
}

static int fill_tomb(struct sql_stmt *q, void *item)
{
    struct store_tombstone *t = item;

    col_text(q, 0, t->public_id, sizeof(t->public_id));
    t->state = (int)col_int(q, 1);
    t->final_at = col_int(q, 2);
    t->shredded_at = col_int(q, 3);
    return 0;
}

int sql_tombstone_list(struct store *st, int limit, struct store_tombstone **out, size_t *count)
{
    return LIST(st, ST_TOMB_LIST, "tombstone list", fill_tomb, release_holds, out, count,
                INT(limit));
}

int sql_compact(struct store *st)
{
    /* what deleted rows leave behind: SQLite zeroes them in the file (secure_delete) and the
     * WAL is emptied; PostgreSQL rewrites the small table of key copies (its lock is brief),
     * and frees the rest for reuse without locking it: ciphertext whose key is gone (VACUUM
     * runs outside any transaction) */
    static const char *const pg[] = {"VACUUM FULL memo_keys",
                                     "VACUUM memos, attachment_chunks, attachments, memo_events,"
                                     " comments, signatures, memo_members",
                                     "CHECKPOINT"};
    int rc = 0;

    if (st->drv->dialect == SQL_SQLITE)
        return st->drv->exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
    for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++) {
        int r = st->drv->exec(st, pg[i]);
        /* CHECKPOINT needs pg_checkpoint (or a superuser): without it, PostgreSQL's own
         * checkpoints follow within checkpoint_timeout */
        if (r != 0 && i + 1 < sizeof(pg) / sizeof(pg[0]))
            rc = r;
    }
    return rc;
}
