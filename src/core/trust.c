#include "core/trust.h"
#include "core/audit.h"

#include "core/ledger.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "store/store.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define PIN_HEAD "dissent-channel-pin/v1\n"
#define PIN_MAX 16384
#define PIN_CHANNELS 64 /* CHANNELS_MAX (core/channels.h) */

/* One channel's pinned key, and the one about to replace it. */
struct pin_key {
    bool has_current;
    uint8_t current[32];
    bool has_pending;
    uint8_t pending[32];
};

struct pin {
    struct pin_key keys[PIN_CHANNELS + 1]; /* by channel number; [0] unused */
    int64_t rows[PIN_CHANNELS + 1];        /* each channel row's least version (0: none) */
    int64_t channels;                      /* the highest channel number issued (0: none) */
    int64_t accounts; /* the highest account id issued ("accounts N"; 0: none recorded) */
    int converted;    /* 1: store_trust_seal_actors() ran ("converted 1"); 2: and
                         store_trust_seal_people() ("converted 2"); 3: and
                         store_trust_flag_passkeys() ("converted 3") */
};

#define PIN_ACCOUNTS "accounts "
#define PIN_CONVERTED "converted "
#define PIN_CHANNEL "channel "
#define PIN_CHANNELS_ISSUED "channels "
#define PIN_CONVERTED_NOW 3    /* what this version converts to */
#define PIN_CONVERTED_PEOPLE 2 /* from here on nothing names an actor or account in clear */

static int pin_read(const char *dir, struct pin *p, bool *exists);
static int pin_write(const char *dir, const struct pin *p);

void trust_key(const struct note_skey *channel_key, uint8_t out[TRUST_KEY_LEN])
{
    static const char label[] = "dissent database integrity key v1";

    hash_keyed(out, label, sizeof(label) - 1, channel_key->sk);
}

int trust_attach(struct store *st, const struct note_skey *channel_key,
                 const struct note_skey *log_key, const char *dir)
{
    uint8_t key[TRUST_KEY_LEN], lkey[TRUST_KEY_LEN];
    int rc;

    struct pin p;
    bool exists = false;

    trust_key(channel_key, key);
    if (log_key != NULL)
        ledger_mac_key(log_key, lkey);
    rc = store_trust_set(st, key, log_key != NULL ? lkey : NULL, dir);
    wipe(key, sizeof(key));
    wipe(lkey, sizeof(lkey));
    /* actor ids in clear are read only until the conversion is recorded in the pin (a pin that
     * does not read is refused by trust_open(); meanwhile nothing in clear is read) */
    st->actors_clear =
        pin_read(dir, &p, &exists) == 0 && !(exists && p.converted >= PIN_CONVERTED_PEOPLE);
    return rc;
}

/* Convert an earlier version's rows, once, each step recorded in the pin (under its lock): seal
 * every actor id still in clear (@keyed: the read audit's chain was already this version's, an
 * adoption of a converted database), then put every account named in clear under its
 * pseudonym (store.h, "Who"), then flag the accounts that have passkeys (STORE_USER_PASSKEY). */
static int seal_actors(struct store *st, struct pin *p, const char *dir, bool keyed)
{
    int64_t rows = 0, chained = 0, people = 0;
    int rc;

    st->actors_clear = true;
    if (p->converted < 1) {
        if ((rc = store_trust_seal_actors(st, &rows)) != 0 ||
            (rc = audit_rechain(st, keyed, &chained)) != 0)
            return rc;
        p->converted = 1;
        if ((rc = pin_write(dir, p)) != 0)
            return rc;
        if (rows > 0 || chained > 0)
            log_info("trust: converted %lld rows (actors sealed, memo rows and older clear "
                     "details MAC'd) and keyed the read audit's chain of %lld records",
                     (long long)rows, (long long)chained);
    }
    if (p->converted < 2) {
        if ((rc = store_trust_seal_people(st, &people)) != 0)
            return rc;
        p->converted = 2;
        if ((rc = pin_write(dir, p)) != 0)
            return rc;
        if (people > 0)
            log_info("trust: converted %lld rows naming drafters, members, signers and key "
                     "holders to pseudonyms",
                     (long long)people);
    }
    st->actors_clear = false;
    if (p->converted < 3) {
        if ((rc = store_trust_flag_passkeys(st, &people)) != 0)
            return rc;
        p->converted = 3;
        if ((rc = pin_write(dir, p)) != 0)
            return rc;
        if (people > 0)
            log_info("trust: %lld accounts with passkeys now say so in their row",
                     (long long)people);
    }
    return 0;
}

/* Raise the pin's record of the highest account id issued to the database's (under the pin's
 * lock): a new account whose id is not above it would reuse a deleted one's
 * (trust_account_least()). Never lowered: the newest accounts deleted outside Dissent leave it
 * where it was. */
static int accounts_raise(struct store *st, struct pin *p, const char *dir)
{
    int64_t last = 0;
    int rc;

    if ((rc = store_user_last_id(st, &last)) != 0 || last <= p->accounts)
        return rc;
    p->accounts = last;
    return pin_write(dir, p);
}

static int lock_pin(const char *dir, int *fd)
{
    char path[1200];

    snprintf(path, sizeof(path), "%s/%s", dir, TRUST_PIN_LOCK);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        log_error("trust: cannot open %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            log_error("trust: cannot lock %s: %s", path, strerror(errno));
            close(*fd);
            *fd = -1;
            return ERR_IO;
        }
    }
    return 0;
}

static void unlock_pin(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the lock */
}

/* One "name value" line: "none" or the base64 of a 32-byte key. */
static bool parse_key_line(const char *line, size_t len, const char *name, bool *has,
                           uint8_t key[32])
{
    size_t nlen = strlen(name), n = 0;

    if (len <= nlen + 1 || memcmp(line, name, nlen) != 0 || line[nlen] != ' ')
        return false;
    line += nlen + 1;
    len -= nlen + 1;
    if (len == 4 && memcmp(line, "none", 4) == 0) {
        *has = false;
        return true;
    }
    if (b64_decode(key, 32, &n, line, len, false) != 0 || n != 32)
        return false;
    *has = true;
    return true;
}

/* Read the pin. *@exists tells whether the file is there; a file that does not parse is
 * ERR_INTEGRITY (nothing but this module writes it). */
static int pin_read(const char *dir, struct pin *p, bool *exists)
{
    char path[1200], text[PIN_MAX + 1];
    const char *line, *nl;
    ssize_t n;
    int fd;

    memset(p, 0, sizeof(*p));
    *exists = false;
    snprintf(path, sizeof(path), "%s/%s", dir, TRUST_PIN_FILE);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        log_error("trust: cannot read %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    n = read(fd, text, PIN_MAX + 1);
    close(fd);
    *exists = true;
    if (n < 0 || n > PIN_MAX) {
        log_error("trust: cannot read %s", path);
        return ERR_IO;
    }
    text[n] = '\0';
    if (strncmp(text, PIN_HEAD, strlen(PIN_HEAD)) != 0)
        goto bad;
    line = text + strlen(PIN_HEAD);
    if ((nl = strchr(line, '\n')) == NULL ||
        !parse_key_line(line, (size_t)(nl - line), "current", &p->keys[1].has_current,
                        p->keys[1].current))
        goto bad;
    line = nl + 1;
    if (strncmp(line, "pending ", 8) == 0) {
        if ((nl = strchr(line, '\n')) == NULL ||
            !parse_key_line(line, (size_t)(nl - line), "pending", &p->keys[1].has_pending,
                            p->keys[1].pending) ||
            !p->keys[1].has_pending)
            goto bad;
        line = nl + 1;
    }
    /* by ascending channel number: the other channels' keys ("channel N current KEY|none",
     * then "channel N pending KEY" while one is being committed), and each channel's row
     * version ("channel N row V": its row is at least that version) */
    for (int64_t last = 0, lastkind = 0; strncmp(line, PIN_CHANNEL, strlen(PIN_CHANNEL)) == 0;) {
        char name[32];
        int64_t c = 0, kind;
        const char *num = line + strlen(PIN_CHANNEL), *sp = strchr(num, ' '), *rest;
        if ((nl = strchr(line, '\n')) == NULL || sp == NULL || sp > nl || sp - num > 2)
            goto bad;
        memcpy(name, num, (size_t)(sp - num));
        name[sp - num] = '\0';
        if (str_parse_i64(name, 1, PIN_CHANNELS, &c) != 0 ||
            (size_t)snprintf(name, sizeof(name), "%lld", (long long)c) != (size_t)(sp - num))
            goto bad;
        rest = sp + 1;
        kind = strncmp(rest, "current ", 8) == 0   ? 1
               : strncmp(rest, "pending ", 8) == 0 ? 2
               : strncmp(rest, "row ", 4) == 0     ? 3
                                                   : 0;
        /* in order: a channel after the one before, a line after its channel's line before */
        if (kind == 0 || c < last || (c == last && kind <= lastkind) || (kind < 3 && c < 2))
            goto bad;
        struct pin_key *k = &p->keys[c];
        if (kind == 1) {
            if (!parse_key_line(rest, (size_t)(nl - rest), "current", &k->has_current, k->current))
                goto bad;
        } else if (kind == 2) {
            /* only after its channel's current line */
            if (c != last || lastkind != 1 ||
                !parse_key_line(rest, (size_t)(nl - rest), "pending", &k->has_pending,
                                k->pending) ||
                !k->has_pending)
                goto bad;
        } else {
            char v[24];
            size_t vl = (size_t)(nl - rest) - 4;
            if (vl == 0 || vl >= sizeof(v))
                goto bad;
            memcpy(v, rest + 4, vl);
            v[vl] = '\0';
            char back[24];
            if (str_parse_i64(v, 1, INT64_MAX, &p->rows[c]) != 0 ||
                snprintf(back, sizeof(back), "%lld", (long long)p->rows[c]) != (int)vl)
                goto bad; /* (one written form: no leading zero) */
        }
        last = c;
        lastkind = kind;
        line = nl + 1;
    }
    if (strncmp(line, PIN_CHANNELS_ISSUED, strlen(PIN_CHANNELS_ISSUED)) == 0) {
        char num[8];
        size_t vl;
        if ((nl = strchr(line, '\n')) == NULL ||
            (vl = (size_t)(nl - line) - strlen(PIN_CHANNELS_ISSUED)) == 0 || vl >= sizeof(num))
            goto bad;
        memcpy(num, line + strlen(PIN_CHANNELS_ISSUED), vl);
        num[vl] = '\0';
        char back[8];
        if (str_parse_i64(num, 1, PIN_CHANNELS, &p->channels) != 0 ||
            snprintf(back, sizeof(back), "%lld", (long long)p->channels) != (int)vl)
            goto bad;
        line = nl + 1;
    }
    if (strncmp(line, PIN_ACCOUNTS, strlen(PIN_ACCOUNTS)) == 0) {
        if ((nl = strchr(line, '\n')) == NULL || nl - line > 40)
            goto bad;
        char num[48];
        memcpy(num, line + strlen(PIN_ACCOUNTS), (size_t)(nl - line) - strlen(PIN_ACCOUNTS));
        num[(size_t)(nl - line) - strlen(PIN_ACCOUNTS)] = '\0';
        if (str_parse_i64(num, 1, INT64_MAX, &p->accounts) != 0)
            goto bad;
        line = nl + 1;
    }
    if (strncmp(line, PIN_CONVERTED, strlen(PIN_CONVERTED)) == 0 &&
        line[strlen(PIN_CONVERTED)] >= '1' && line[strlen(PIN_CONVERTED)] <= '3' &&
        line[strlen(PIN_CONVERTED) + 1] == '\n') {
        p->converted = line[strlen(PIN_CONVERTED)] - '0';
        line += strlen(PIN_CONVERTED) + 2;
    }
    if (*line != '\0')
        goto bad;
    return 0;
bad:
    log_error("trust: %s is not a channel pin", path);
    return ERR_INTEGRITY;
}

static void key_line(char *out, size_t len, const char *name, bool has, const uint8_t key[32])
{
    char b64[64];

    if (has)
        b64_encode(b64, sizeof(b64), key, 32, false);
    snprintf(out, len, "%s %s\n", name, has ? b64 : "none");
}

/* Replace the pin atomically: a temporary file, fsync, rename, fsync of the directory. */
static int pin_write(const char *dir, const struct pin *p)
{
    char line[128], *text = mem_alloc(PIN_MAX + 1);
    size_t len = 0;
    int rc;

    if (text == NULL)
        return ERR_NOMEM;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(text + len, PIN_MAX + 1 - len, __VA_ARGS__);                             \
        len = n_ < 0 ? PIN_MAX + 1 : len + (size_t)n_;                                             \
        if (len > PIN_MAX)                                                                         \
            goto long_;                                                                            \
    } while (0)
    ADD("%s", PIN_HEAD);
    key_line(line, sizeof(line), "current", p->keys[1].has_current, p->keys[1].current);
    ADD("%s", line);
    if (p->keys[1].has_pending) {
        key_line(line, sizeof(line), "pending", true, p->keys[1].pending);
        ADD("%s", line);
    }
    for (int c = 1; c <= PIN_CHANNELS; c++) {
        const struct pin_key *k = &p->keys[c];
        if (c >= 2 && (k->has_current || k->has_pending)) {
            key_line(line, sizeof(line), "current", k->has_current, k->current);
            ADD(PIN_CHANNEL "%d %s", c, line);
            if (k->has_pending) {
                key_line(line, sizeof(line), "pending", true, k->pending);
                ADD(PIN_CHANNEL "%d %s", c, line);
            }
        }
        if (p->rows[c] > 0)
            ADD(PIN_CHANNEL "%d row %lld\n", c, (long long)p->rows[c]);
    }
    if (p->channels > 0)
        ADD(PIN_CHANNELS_ISSUED "%lld\n", (long long)p->channels);
    if (p->accounts > 0)
        ADD(PIN_ACCOUNTS "%lld\n", (long long)p->accounts);
    if (p->converted > 0)
        ADD(PIN_CONVERTED "%d\n", p->converted);
#undef ADD
    rc = file_replace(dir, TRUST_PIN_FILE, text, len, "trust");
    mem_free(text);
    return rc;
long_:
    log_error("trust: the pin would be longer than %d bytes", PIN_MAX);
    mem_free(text);
    return ERR_INTERNAL;
}

/* Bind the keys of every account that has keys and no binding (adoption), logged. */
static int bind_all(struct store *st, int64_t now)
{
    char after[USERNAME_MAX + 1] = "";
    struct user *page = NULL;
    size_t n = 0;
    int rc = 0;

    do {
        if ((rc = store_user_list(st, after, 200, &page, &n)) != 0)
            return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
            struct user *u = &page[i];
            if (u->has_keys && u->has_log_tag && u->key_binding[0] == '\0' &&
                (rc = trust_bind(st, u, now)) == 0)
                rc = store_user_update(st, u);
        }
        if (n > 0)
            memcpy(after, page[n - 1].username, sizeof(after));
        for (size_t i = 0; i < n; i++)
            wipe(&page[i], sizeof(page[i]));
        mem_free(page);
        page = NULL;
    } while (rc == 0 && n == 200);
    return rc;
}

/* Adopt the database as it is (under the pin's lock): the log first (its entries MAC'd, so that
 * the bindings can be appended), then every row, every account's keys bound, the channel key
 * pinned. */
static int adopt(struct store *st, const struct note_skey *log_key, const char *dir, int64_t now,
                 bool keyed)
{
    uint8_t pk[32];
    struct pin p;
    int64_t rows = 0;
    int rc;

    memset(&p, 0, sizeof(p));
    if (log_key != NULL && (rc = ledger_adopt(st, log_key)) != 0)
        return rc;
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = store_trust_adopt(st, now, &rows)) == 0 && (rc = bind_all(st, now)) == 0) {
        for (int c = 1; c <= PIN_CHANNELS && rc == 0; c++) {
            rc = store_channel_key_get(st, c, pk);
            p.keys[c].has_current = rc == 0;
            if (rc == 0)
                memcpy(p.keys[c].current, pk, sizeof(pk));
            if (rc == ERR_NOT_FOUND)
                rc = 0;
        }
        /* the channels' rows as they are: their versions, and the numbers issued */
        struct channel_row *crs = NULL;
        size_t ncrs = 0;
        if (rc == 0 && (rc = store_channel_list(st, &crs, &ncrs)) == 0) {
            for (size_t i = 0; i < ncrs; i++)
                if (crs[i].id >= 1 && crs[i].id <= PIN_CHANNELS) {
                    p.rows[crs[i].id] = crs[i].version;
                    if (crs[i].id > p.channels)
                        p.channels = crs[i].id;
                }
            store_channel_list_free(crs, ncrs);
        }
    }
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc == 0)
        rc = seal_actors(st, &p, dir, keyed); /* writes the pin */
    if (rc == 0)
        rc = accounts_raise(st, &p, dir);
    if (rc == 0 && rows > 0)
        log_warn("trust: adopted the database as it is (%lld rows now carry an integrity MAC; "
                 "every session ended) and pinned its channels' keys in %s/%s",
                 (long long)rows, dir, TRUST_PIN_FILE);
    return rc;
}

int trust_open(struct store *st, const struct note_skey *channel_key,
               const struct note_skey *log_key, const char *dir, int64_t now, char *err,
               size_t errlen)
{
    struct pin p;
    bool exists = false, adopted = false;
    int fd = -1, rc;

    if ((rc = trust_attach(st, channel_key, log_key, dir)) != 0)
        return rc;
    if ((rc = lock_pin(dir, &fd)) != 0) {
        err_set(err, errlen, "cannot lock %s/%s", dir, TRUST_PIN_LOCK);
        return rc;
    }
    if ((rc = pin_read(dir, &p, &exists)) != 0) {
        err_set(err, errlen, "%s/%s cannot be read or is not a channel pin", dir, TRUST_PIN_FILE);
        goto out;
    }
    if (exists) {
        /* a database pinned by an earlier version: its rows are converted once */
        if (p.converted < PIN_CONVERTED_NOW && (rc = seal_actors(st, &p, dir, false)) != 0)
            err_set(err, errlen, "cannot convert the database's rows (%s)", err_str(rc));
        /* decided again under the lock: another server may have converted meanwhile */
        st->actors_clear = p.converted < PIN_CONVERTED_PEOPLE;
        /* (an account committed just before a crash may not be recorded yet) */
        if (rc == 0 && (rc = accounts_raise(st, &p, dir)) != 0)
            err_set(err, errlen, "cannot record the accounts in %s/%s (%s)", dir, TRUST_PIN_FILE,
                    err_str(rc));
        goto out;
    }
    /* no pin: a first start (of this version). A database whose rows carry MACs was written
     * with a pin: this is not its data directory, or its pin was lost; never adopt that silently
     * (every row would be re-MAC'd under whatever key is here) */
    if ((rc = store_trust_adopted(st, &adopted)) != 0)
        goto out;
    if (adopted) {
        err_set(err, errlen,
                "%s has no %s, but the database was written by a version that checks its "
                "integrity: is %s the data directory it was written with? (to adopt the "
                "database as it is, knowingly: dissent trust adopt)",
                dir, TRUST_PIN_FILE, dir);
        rc = ERR_INTEGRITY;
        goto out;
    }
    if ((rc = adopt(st, log_key, dir, now, false)) != 0)
        err_set(err, errlen, "cannot adopt the database's rows and pin the channel key (%s)",
                err_str(rc));
out:
    unlock_pin(fd);
    return rc;
}

int trust_adopt(struct store *st, const struct note_skey *log_key, const char *dir, int64_t now,
                bool replace_pin, char *err, size_t errlen)
{
    uint8_t db[32];
    struct pin p;
    bool exists = false;
    int fd = -1, rc;

    if ((rc = lock_pin(dir, &fd)) != 0) {
        err_set(err, errlen, "cannot lock %s/%s", dir, TRUST_PIN_LOCK);
        return rc;
    }
    /* a pinned channel key the database no longer holds is what a swap looks like: never
     * re-pin it without being told to */
    bool read = pin_read(dir, &p, &exists) == 0 && exists;
    for (int c = 1; !replace_pin && read && c <= PIN_CHANNELS; c++) {
        if (p.keys[c].has_current &&
            (store_channel_key_get(st, c, db) != 0 || !hash_equal(db, p.keys[c].current, 32))) {
            err_set(err, errlen,
                    "the database's key of channel %d is not the one pinned in %s/%s (replaced "
                    "outside Dissent?): nothing adopted; --replace-pin pins the database's keys "
                    "anyway",
                    c, dir, TRUST_PIN_FILE);
            unlock_pin(fd);
            return ERR_INTEGRITY;
        }
    }
    if ((rc = adopt(st, log_key, dir, now, read && p.converted >= 1)) != 0)
        err_set(err, errlen, "cannot adopt the database (%s)", err_str(rc));
    unlock_pin(fd);
    return rc;
}

/*
 * The database's key of @channel into @db (*@got: 0 or ERR_NOT_FOUND) and the pin, read under
 * its lock (*@fd: close it with unlock_pin() whatever the result, once it is not -1).
 */
static int pin_with_db(struct store *st, int64_t channel, uint8_t db[32], int *got, struct pin *p,
                       bool *exists, int *fd)
{
    int rc;

    *fd = -1;
    if (st->trust_dir == NULL || channel < 1 || channel > PIN_CHANNELS)
        return ERR_INTERNAL;
    *got = store_channel_key_get(st, channel, db);
    if (*got != 0 && *got != ERR_NOT_FOUND)
        return *got;
    if ((rc = lock_pin(st->trust_dir, fd)) != 0)
        return rc;
    return pin_read(st->trust_dir, p, exists);
}

int trust_channel_pk(struct store *st, int64_t channel, uint8_t pk[32])
{
    uint8_t db[32];
    struct pin p;
    bool exists = false;
    int fd = -1, rc, got = 0;

    memset(pk, 0, 32);
    if ((rc = pin_with_db(st, channel, db, &got, &p, &exists, &fd)) != 0)
        goto out;
    struct pin_key *k = &p.keys[channel];
    if (!exists) {
        log_error("trust: %s/%s is missing: the channel key cannot be checked", st->trust_dir,
                  TRUST_PIN_FILE);
        rc = ERR_INTEGRITY;
    } else if (got == ERR_NOT_FOUND) {
        rc = ERR_NOT_FOUND;
        if (k->has_current) {
            log_error("integrity: channel %lld: the channel key is pinned but the database "
                      "holds none: it was deleted outside Dissent",
                      (long long)channel);
            rc = ERR_INTEGRITY;
        }
    } else if (k->has_current && hash_equal(db, k->current, 32)) {
        memcpy(pk, db, 32);
    } else if (k->has_pending && hash_equal(db, k->pending, 32)) {
        /* the pending key committed: make it current */
        memcpy(k->current, k->pending, 32);
        k->has_current = true;
        k->has_pending = false;
        if ((rc = pin_write(st->trust_dir, &p)) == 0)
            memcpy(pk, db, 32);
    } else {
        log_error("integrity: channel %lld: the database's channel key is not the pinned one "
                  "(%s/%s): it was replaced outside Dissent; nothing is sealed to it",
                  (long long)channel, st->trust_dir, TRUST_PIN_FILE);
        rc = ERR_INTEGRITY;
    }
out:
    unlock_pin(fd);
    wipe(&p, sizeof(p));
    return rc;
}

int trust_channel_pending(struct store *st, int64_t channel, const uint8_t pk[32])
{
    uint8_t db[32];
    struct pin p;
    bool exists = false;
    int fd = -1, rc, got = 0;

    /* what the transaction is replacing must be the pinned key */
    if ((rc = pin_with_db(st, channel, db, &got, &p, &exists, &fd)) != 0)
        goto out;
    struct pin_key *k = &p.keys[channel];
    /* (called under the database's write lock: a pending key the database holds committed) */
    if (exists && got == 0 && k->has_pending && hash_equal(db, k->pending, 32)) {
        memcpy(k->current, k->pending, 32);
        k->has_current = true;
        k->has_pending = false;
    }
    if (!exists || (got == 0 && !(k->has_current && hash_equal(db, k->current, 32))) ||
        (got == ERR_NOT_FOUND && k->has_current)) {
        log_error("integrity: channel %lld: the database's channel key is not the pinned one: "
                  "no new key is made from it",
                  (long long)channel);
        rc = ERR_INTEGRITY;
        goto out;
    }
    memcpy(k->pending, pk, 32);
    k->has_pending = true;
    rc = pin_write(st->trust_dir, &p);
out:
    unlock_pin(fd);
    return rc;
}

int trust_channel_rows(struct store *st, const struct channel_row *rows, size_t n, bool quiet)
{
    uint64_t seen = 0;
    struct pin p;
    bool exists = false, raise = false;
    int rc;

    if (st->trust_dir == NULL)
        return ERR_INTERNAL;
    /* read without the lock (every request reads the channels): the pin is only ever replaced
     * whole, by a rename, so a reader sees one version of it; raising it takes the lock */
    if ((rc = pin_read(st->trust_dir, &p, &exists)) != 0)
        goto out;
    if (!exists) {
        log_error("trust: %s/%s is missing: the channels cannot be checked", st->trust_dir,
                  TRUST_PIN_FILE);
        rc = ERR_INTEGRITY;
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        int64_t c = rows[i].id;
        if (c < 1 || c > PIN_CHANNELS) {
            if (!quiet)
                log_error("integrity: a channel row numbered %lld", (long long)c);
            rc = ERR_INTEGRITY;
            break;
        }
        seen |= UINT64_C(1) << (c - 1);
        /* an earlier version of the row (its MAC held then) put back */
        if (rows[i].version < p.rows[c]) {
            if (!quiet)
                log_error("integrity: channel %lld's row is version %lld, but version %lld was "
                          "written (%s/%s): an earlier one was put back outside Dissent",
                          (long long)c, (long long)rows[i].version, (long long)p.rows[c],
                          st->trust_dir, TRUST_PIN_FILE);
            rc = ERR_INTEGRITY;
        } else if (rows[i].version > p.rows[c] || c > p.channels) {
            raise = true; /* written since (a commit the pin has not caught up with) */
        }
    }
    /* Dissent never deletes a channel: every number issued is there */
    for (int c = 1; c <= PIN_CHANNELS && rc == 0; c++)
        if ((p.rows[c] > 0 || c <= p.channels) && !(seen & (UINT64_C(1) << (c - 1)))) {
            if (!quiet)
                log_error("integrity: channel %d was deleted outside Dissent", c);
            rc = ERR_INTEGRITY;
        }
    /* only ever raised (under the lock, on the pin read again): a version above the pinned one
     * carries a MAC only Dissent makes */
    for (size_t i = 0; rc == 0 && raise && i < n; i++)
        trust_channel_row_settle(st, rows[i].id, rows[i].version);
out:
    wipe(&p, sizeof(p));
    return rc;
}

int trust_channel_least(struct store *st, int64_t *least)
{
    struct pin p;
    bool exists = false;
    int fd = -1, rc;

    *least = 0;
    if (st->trust_dir == NULL)
        return ERR_INTERNAL;
    if ((rc = lock_pin(st->trust_dir, &fd)) != 0)
        return rc;
    if ((rc = pin_read(st->trust_dir, &p, &exists)) == 0 && exists)
        *least = p.channels + 1;
    unlock_pin(fd);
    return rc;
}

void trust_channel_row_settle(struct store *st, int64_t id, int64_t version)
{
    struct pin p;
    bool exists = false;
    int fd = -1;

    if (st->trust_dir == NULL || id < 1 || id > PIN_CHANNELS || lock_pin(st->trust_dir, &fd) != 0)
        return;
    if (pin_read(st->trust_dir, &p, &exists) == 0 && exists &&
        (version > p.rows[id] || id > p.channels)) {
        if (version > p.rows[id])
            p.rows[id] = version;
        if (id > p.channels)
            p.channels = id;
        (void)pin_write(st->trust_dir, &p); /* logged; the next reader raises it */
    }
    unlock_pin(fd);
}

int trust_account_least(struct store *st, int64_t *least)
{
    struct pin p;
    bool exists = false;
    int fd = -1, rc;

    *least = 0;
    if (st->trust_dir == NULL) {
        log_error("trust: no data directory on this connection (a bug: trust_attach())");
        return ERR_INTERNAL;
    }
    if ((rc = lock_pin(st->trust_dir, &fd)) != 0)
        return rc;
    if ((rc = pin_read(st->trust_dir, &p, &exists)) == 0 && exists && p.accounts > 0)
        *least = p.accounts < INT64_MAX ? p.accounts + 1 : INT64_MAX;
    unlock_pin(fd);
    return rc;
}

void trust_account_settle(struct store *st, int64_t id)
{
    struct pin p;
    bool exists = false;
    int fd = -1;

    if (st->trust_dir == NULL || lock_pin(st->trust_dir, &fd) != 0)
        return;
    if (pin_read(st->trust_dir, &p, &exists) == 0 && exists && id > p.accounts) {
        p.accounts = id;
        (void)pin_write(st->trust_dir, &p); /* logged; the next start records it */
    }
    unlock_pin(fd);
}

void trust_channel_settle(struct store *st)
{
    uint64_t pending = 0;
    struct pin p;
    bool exists = false;
    int fd = -1;

    if (st->trust_dir == NULL || lock_pin(st->trust_dir, &fd) != 0)
        return;
    if (pin_read(st->trust_dir, &p, &exists) == 0 && exists)
        for (int c = 1; c <= PIN_CHANNELS; c++)
            if (p.keys[c].has_pending)
                pending |= UINT64_C(1) << (c - 1);
    unlock_pin(fd);
    /* a reader that finds the pending key in the database makes it current; one that finds
     * the current key still there drops the pending one (it did not commit) */
    for (int c = 1; c <= PIN_CHANNELS; c++) {
        uint8_t pk[32];
        if (!(pending & (UINT64_C(1) << (c - 1))) || trust_channel_pk(st, c, pk) != 0)
            continue;
        if (lock_pin(st->trust_dir, &fd) != 0)
            return;
        struct pin_key *k = &p.keys[c];
        if (pin_read(st->trust_dir, &p, &exists) == 0 && exists && k->has_pending &&
            k->has_current && hash_equal(pk, k->current, 32)) {
            k->has_pending = false;
            (void)pin_write(st->trust_dir, &p);
        }
        unlock_pin(fd);
    }
    wipe(&p, sizeof(p));
}

/* The binder: an Ed25519 key whose seed is derived from the integrity key. */
static int binder(const uint8_t trust[TRUST_KEY_LEN], struct note_skey *out)
{
    static const char label[] = "dissent key binding signer v1";
    uint8_t seed[NOTE_SEED_LEN];
    int rc;

    _Static_assert(NOTE_SEED_LEN == HASH_KEYED_LEN, "seed size");
    hash_keyed(seed, label, sizeof(label) - 1, trust);
    rc = note_skey_from_seed(TRUST_BINDER_NAME, strlen(TRUST_BINDER_NAME), seed, out);
    wipe(seed, sizeof(seed));
    return rc;
}

int trust_binder_vkey(const struct note_skey *channel_key, struct note_vkey *out)
{
    uint8_t key[TRUST_KEY_LEN];
    struct note_skey b;
    int rc;

    trust_key(channel_key, key);
    rc = binder(key, &b);
    wipe(key, sizeof(key));
    if (rc == 0)
        note_skey_vkey(&b, out);
    note_skey_clear(&b);
    return rc == 0 ? 0 : ERR_CRYPTO;
}

/* The binding text of @u's keys into @out. */
static int binding_text(const struct user *u, char *out, size_t len)
{
    char tag[33], sign[48], box[48];
    int n;

    for (int i = 0; i < 16; i++)
        snprintf(tag + 2 * i, 3, "%02x", u->log_tag[i]);
    b64_encode(sign, sizeof(sign), u->sign_pk, sizeof(u->sign_pk), false);
    b64_encode(box, sizeof(box), u->box_pk, sizeof(u->box_pk), false);
    n = snprintf(out, len, "dissent-key-binding/v1\naccount %s\nsign %s\nbox %s\n", tag, sign, box);
    return n > 0 && (size_t)n < len ? 0 : ERR_INTERNAL;
}

int trust_bind(struct store *st, struct user *u, int64_t now)
{
    char text[256], *note = NULL;
    struct note_skey b;
    size_t len = 0;
    int rc;

    if (st->trust_key == NULL || !u->has_keys || !u->has_log_tag)
        return ERR_INTERNAL;
    if ((rc = binding_text(u, text, sizeof(text))) != 0)
        return rc;
    if (binder(st->trust_key, &b) != 0)
        return ERR_INTERNAL;
    rc = note_sign(text, strlen(text), &b, &note, &len);
    note_skey_clear(&b);
    if (rc != 0)
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_INTERNAL;
    if (len >= sizeof(u->key_binding))
        rc = ERR_INTERNAL;
    else
        memcpy(u->key_binding, note, len + 1);
    mem_free(note);
    if (rc == 0)
        rc = ledger_account_event(st, u, LEDGER_KEYS_BOUND, now);
    return rc;
}

int trust_bound(const struct store *st, const struct user *u)
{
    char text[256];
    struct note_skey b;
    struct note_vkey vk;
    size_t tlen = 0, blen = strlen(u->key_binding);
    int rc;

    if (st->trust_key == NULL)
        return ERR_INTERNAL;
    if (!u->has_keys || binding_text(u, text, sizeof(text)) != 0 || binder(st->trust_key, &b) != 0)
        goto bad;
    note_skey_vkey(&b, &vk);
    note_skey_clear(&b);
    rc = note_open(u->key_binding, blen, &vk, 1, NULL, &tlen, NULL, 0);
    if (rc == 0 && tlen == strlen(text) && memcmp(u->key_binding, text, tlen) == 0)
        return 0;
bad:
    log_error("integrity: the keys of account %lld are not the ones bound to it: nothing is "
              "sealed to them",
              (long long)u->id);
    return ERR_INTEGRITY;
}
