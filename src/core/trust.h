/*
 * trust.h - the root of trust outside the database.
 *
 * Whoever can write the database is not trusted (docs/security.md, "The database attacker"). What
 * they cannot change lives in the data directory beside the key files:
 *
 *  - channel.skey (core/channel.h) signs reply bindings and user key bindings; the database
 *    integrity key is derived from it (keyed BLAKE2b, its own label), and store.c MACs accounts,
 *    sessions, TOTP rows, memo key envelopes and channel grants under it (store.h, "Integrity");
 *  - channel.pin holds each channel's X25519 public key (docs/channels.md: one per channel),
 *    so that every memo key sealed to a channel goes to the key the server made, whatever the
 *    database's channel_key rows say:
 *
 *      dissent-channel-pin/v1
 *      current <base64 public key, or "none" before the first officer enrolled>  (channel 1)
 *      pending <base64 public key>      only while a new key is being committed (channel 1)
 *      channel N current <key|none>     channel N (2..64), ascending, when it has or is about
 *      channel N pending <key>          to have a key (the same two lines as channel 1's)
 *      channel N row <version>          channel N's (1..64) row is at least that version
 *                                       (trust_channel_rows()), after that channel's key lines
 *      channels <number>                the highest channel number issued
 *      accounts <id>                    the highest account id issued (trust_account_new())
 *      converted 3                      once the rows of an earlier version were converted
 *                                       (store.h, "Who" and "Integrity"): 1 after
 *                                       store_trust_seal_actors(), 2 after
 *                                       store_trust_seal_people() too, 3 after
 *                                       store_trust_flag_passkeys() too
 *
 *    It is replaced atomically (write, fsync, rename, fsync the directory) under an advisory
 *    lock on channel.pin.lock, so several servers sharing the data directory agree. A new key
 *    is written as pending before the transaction that stores it commits, and made current
 *    after (trust_channel_settle(), or by the next reader that finds it in the database).
 *
 *  - every account's public keys are bound to it by a signed note (C2SP signed-note, key
 *    "dissent-key-binding", whose signing key is derived from the integrity key, so from
 *    channel.skey; GET /api/v1/channel/key publishes its verifier key):
 *
 *      dissent-key-binding/v1
 *      account <the account's log tag, 32 hex digits>
 *      sign <base64 Ed25519 public key>
 *      box <base64 X25519 public key>
 *
 *      — dissent-key-binding <base64 signature>
 *
 *    made when the keys are born (enrolment) and whenever they change, in the same transaction
 *    as a keys-bound log entry carrying the note's SHA-256 (core/ledger.h): every key change is
 *    in the public log, by the account's tag, never its name. Nothing is sealed to an account
 *    whose binding does not verify for the keys in its row (trust_bound()).
 *
 * The first time a version that checks opens a database (no channel.pin yet, and no row carrying
 * a MAC: a database whose rows carry MACs was written with a pin, and is refused without it), it
 * adopts the database as it is then: every row gets its MAC, and the pin records the channel keys
 * the database holds (store_trust_adopt(); every session ends), and binds every account's keys
 * (logged). That moment is trusted, as a first start is.
 */
#ifndef DISSENT_CORE_TRUST_H
#define DISSENT_CORE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRUST_PIN_FILE "channel.pin"
#define TRUST_PIN_LOCK "channel.pin.lock"
#define TRUST_KEY_LEN 32
#define TRUST_BINDER_NAME "dissent-key-binding"

struct note_skey;
struct store;

/** trust_key() - the database integrity key, derived from the channel's signing key. */
void trust_key(const struct note_skey *channel_key, uint8_t out[TRUST_KEY_LEN]);

/**
 * trust_attach() - give @st the integrity key derived from @channel_key, the log entries' MAC
 * key derived from @log_key (core/ledger.h; NULL: none) and the data directory @dir.
 * Returns 0 or ERR_NOMEM.
 */
int trust_attach(struct store *st, const struct note_skey *channel_key,
                 const struct note_skey *log_key, const char *dir);

/**
 * trust_open() - trust_attach(), then, when @dir has no channel.pin yet, adopt the database as
 * it is and write the pin (see above). Returns 0, ERR_IO or a store error, with @err set.
 */
int trust_open(struct store *st, const struct note_skey *channel_key,
               const struct note_skey *log_key, const char *dir, int64_t now, char *err,
               size_t errlen);

/**
 * trust_adopt() - adopt the database as it is now, knowingly (dissent trust adopt, the server
 * stopped): every row MAC'd under @st's key, every account's keys bound, the channel key the
 * database holds pinned, and the log adopted when there is no log.state (signed with @log_key).
 * For an operator who holds the key files and changed the database on purpose. When a pin exists
 * and the database holds another channel key (what a swap looks like), nothing is adopted unless
 * @replace_pin. Returns 0 or an error with @err.
 */
int trust_adopt(struct store *st, const struct note_skey *log_key, const char *dir, int64_t now,
                bool replace_pin, char *err, size_t errlen);

/**
 * trust_channel_pk() - @channel's public key: the database's, when it is the pinned one.
 * Returns 0, ERR_NOT_FOUND (no key for the channel yet, and none pinned), ERR_INTEGRITY (the
 * database holds another key, or lost the pinned one: logged), ERR_IO or a store error.
 */
int trust_channel_pk(struct store *st, int64_t channel, uint8_t pk[32]);

/**
 * trust_channel_pending() - record @pk as @channel's key about to be committed, inside the
 * transaction that creates or rotates it. ERR_INTEGRITY when the database's current key of the
 * channel is not the pinned one. Call trust_channel_settle() after the commit.
 */
int trust_channel_pending(struct store *st, int64_t channel, const uint8_t pk[32]);

/** trust_channel_settle() - after a commit (or a rollback): make the pin match what committed,
 *  for every channel with a pending key. */
void trust_channel_settle(struct store *st);

struct channel_row;

/**
 * trust_channel_rows() - check every channel row @rows (store_channel_list(), MACs checked)
 * against the pin: each row at least the version pinned for it (an earlier version, whose MAC
 * held then, put back is ERR_INTEGRITY), and every channel pinned still there (a deleted one is
 * ERR_INTEGRITY). A row written since (a higher version: only Dissent makes its MAC) raises the
 * pin. 0, ERR_INTEGRITY (logged unless @quiet), ERR_IO. The rows are read before the pin: a
 * change committed between the two (its pin raised after its commit) fails the check once, and
 * a caller reads the rows again (channels_list()).
 */
int trust_channel_rows(struct store *st, const struct channel_row *rows, size_t n, bool quiet);

/**
 * trust_channel_least() - the least number a new channel may be given: one above every number
 * issued (1 when none is recorded), so that a channel deleted from the database never has its
 * number, its memos and log entries, given to another. Call it before the transaction.
 */
int trust_channel_least(struct store *st, int64_t *least);

/**
 * trust_channel_row_settle() - after channel @id's row committed at @version: pin it, and the
 * number as issued (a failure is logged; the next reader raises it, trust_channel_rows()).
 */
void trust_channel_row_settle(struct store *st, int64_t id, int64_t version);

/**
 * trust_account_least() - the least id a new account may be given: one above every id the pin
 * records as issued (0 when none is recorded). store_user_create() gives at least that, so that
 * no id is given twice, even when the database would give it again (SQLite gives the highest id
 * again once its row is gone; a PostgreSQL sequence can be set back): the rows that still name
 * a deleted account by its id (sealed actors, pseudonyms, TOTP rows, envelopes) never become
 * a new account's. Call it before the transaction (the pin's lock is never taken under the
 * database's), and trust_account_settle() after the commit.
 */
int trust_account_least(struct store *st, int64_t *least);

/**
 * trust_account_settle() - after account @id committed: record it in the pin (a failure is
 * logged; the next trust_open() records the database's highest id).
 */
void trust_account_settle(struct store *st, int64_t id);

struct note_vkey;
struct user;

/**
 * trust_binder_vkey() - the verifier key of the key bindings made under @channel_key.
 * Returns 0 or ERR_CRYPTO.
 */
int trust_binder_vkey(const struct note_skey *channel_key, struct note_vkey *out);

/**
 * trust_bind() - sign the binding of @u's public keys into @u->key_binding and append its
 * keys-bound log entry, inside the caller's transaction (before the row is written). @u must
 * have keys and a log tag. Returns 0, ERR_INTERNAL, ERR_NOMEM or a store error.
 */
int trust_bind(struct store *st, struct user *u, int64_t now);

/**
 * trust_bound() - 0 when @u has keys and @u->key_binding is a valid binding of exactly those
 * keys to its log tag; ERR_INTEGRITY (logged) otherwise. Call before sealing anything to @u.
 */
int trust_bound(const struct store *st, const struct user *u);

#endif
