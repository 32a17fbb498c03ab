/*
 * ledger_live.c - the live transparency log, in the database's tile table (one row per tile at
 * its widest), appended to inside the transactions of the changes it records, and its signed
 * checkpoints.
 */
#include "core/ledger.h"

#include "core/channel.h"
#include "crypto/hash.h"

#include "store/store.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/proof.h"
#include "tlog/tile.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LEDGER_READER_CACHE 64 /* tiles a reader keeps expanded */

static int db_read(void *ctx, const struct tlog_tile *tile, uint8_t **data, size_t *len)
{
    unsigned width = 0;

    return store_tlog_tile_get(ctx, tile->level, tile->index, data, len, &width);
}

static struct tlog_tile_source source(struct store *st)
{
    return (struct tlog_tile_source){db_read, st};
}

void ledger_mac_key(const struct note_skey *log_key, uint8_t out[LEDGER_MAC_KEY_LEN])
{
    static const char label[] = "dissent log entry mac key v1";

    hash_keyed(out, label, sizeof(label) - 1, log_key->sk);
}

/* The MAC of entry @index: keyed BLAKE2b over a label, the index and the bytes. */
static int entry_mac(const struct store *st, uint64_t index, const uint8_t *entry, size_t len,
                     uint8_t mac[32])
{
    static const char label[] = "dissent log entry v1";
    uint8_t buf[sizeof(label) + 8 + LEDGER_ENTRY_MAX];
    size_t n = sizeof(label);

    if (st->log_mac_key == NULL) {
        log_error("ledger: no log MAC key on this connection (a bug: trust_attach())");
        return ERR_INTERNAL;
    }
    if (len > LEDGER_ENTRY_MAX)
        return ERR_TOO_LARGE;
    memcpy(buf, label, sizeof(label));
    for (int i = 0; i < 8; i++)
        buf[n++] = (uint8_t)(index >> (56 - 8 * i));
    memcpy(buf + n, entry, len);
    hash_keyed(mac, buf, n + len, st->log_mac_key);
    return 0;
}

/* The MAC tile of entries tile @tile: *@data holds *@count MACs (0 when there is none yet). */
static int macs_get(struct store *st, uint64_t tile, uint8_t **data, size_t *count)
{
    size_t len = 0;
    unsigned width = 0;
    int rc = store_tlog_tile_get(st, LEDGER_TILE_MACS, tile, data, &len, &width);

    *count = 0;
    if (rc == ERR_NOT_FOUND) {
        *data = NULL;
        return 0;
    }
    if (rc == 0 && (len % 32 != 0 || len / 32 != width)) {
        mem_free(*data);
        *data = NULL;
        return ERR_INTEGRITY;
    }
    if (rc == 0)
        *count = len / 32;
    return rc;
}

/* Append the MAC of entry @index to its tile (inside the append's transaction). */
static int mac_append(struct store *st, uint64_t index, const uint8_t *entry, size_t len)
{
    uint8_t *old = NULL, *tile = NULL;
    size_t have = 0, k = index % TLOG_TILE_WIDTH;
    int rc;

    if ((rc = macs_get(st, index / TLOG_TILE_WIDTH, &old, &have)) != 0)
        return rc;
    if (have != k) {
        log_error("integrity: the log's MAC tile %llu holds %zu MACs, not %zu: the log is stopped",
                  (unsigned long long)(index / TLOG_TILE_WIDTH), have, k);
        rc = ERR_INTEGRITY;
    } else if ((tile = mem_alloc((k + 1) * 32)) == NULL) {
        rc = ERR_NOMEM;
    } else {
        if (k > 0)
            memcpy(tile, old, k * 32);
        if ((rc = entry_mac(st, index, entry, len, tile + k * 32)) == 0)
            rc = store_tlog_tile_put(st, LEDGER_TILE_MACS, index / TLOG_TILE_WIDTH,
                                     (unsigned)(k + 1), tile, (k + 1) * 32);
    }
    mem_free(old);
    mem_free(tile);
    return rc;
}

int ledger_append(struct store *st, const char *entry, size_t len, uint64_t *index)
{
    struct tlog_tile_source src = source(st);
    struct tlog_view view = {(const uint8_t *)entry, len};
    struct tlog_update up;
    uint64_t size = 0;
    int rc;

    memset(&up, 0, sizeof(up));
    if ((rc = store_tlog_size(st, &size)) != 0 || (rc = tlog_append(size, &view, 1, &src, &up)))
        goto out;
    for (size_t i = 0; i < up.count && rc == 0; i++)
        rc = store_tlog_tile_put(st, up.tiles[i].tile.level, up.tiles[i].tile.index,
                                 up.tiles[i].tile.width, up.tiles[i].data, up.tiles[i].len);
    if (rc == 0)
        rc = mac_append(st, size, (const uint8_t *)entry, len);
    if (rc == 0)
        rc = store_tlog_set_size(st, up.new_size);
    if (rc == 0)
        *index = size;
out:
    tlog_update_release(&up);
    return rc;
}

/* The root of the tree of @size entries. */
static int root_at(struct store *st, uint64_t size, uint8_t root[HASH_SHA256_LEN])
{
    struct tlog_tile_source src = source(st);
    struct tlog_tile_reader *r = NULL;
    struct tlog_hash_reader hr;
    int rc;

    if ((rc = tlog_tile_reader_new(&src, LEDGER_READER_CACHE, &r)) != 0)
        return rc;
    hr = tlog_tile_reader_hashes(r);
    rc = tlog_tree_hash(size, &hr, root);
    tlog_tile_reader_free(r);
    return rc;
}

int ledger_root(struct store *st, uint64_t *size, uint8_t root[32])
{
    int rc;

    *size = 0;
    if ((rc = store_tlog_size(st, size)) == 0)
        rc = root_at(st, *size, root);
    if (rc != 0) {
        *size = 0;
        memset(root, 0, 32);
    }
    return rc;
}

/* ---- the last signed tree, outside the database (log.state) ---- */

#define FRONTIER_MAX 64

struct log_state {
    uint64_t size;
    uint8_t root[HASH_SHA256_LEN];
    size_t nf; /* perfect subtrees, left to right */
    uint8_t frontier[FRONTIER_MAX][HASH_SHA256_LEN];
};

/* Add a leaf hash to the tree @s describes. */
static void frontier_push(struct log_state *s, const uint8_t leaf[HASH_SHA256_LEN])
{
    uint8_t h[HASH_SHA256_LEN];
    uint64_t n = s->size;

    memcpy(h, leaf, sizeof(h));
    while (n & 1) {
        tlog_node_hash(h, s->frontier[--s->nf], h);
        n >>= 1;
    }
    memcpy(s->frontier[s->nf++], h, sizeof(h));
    s->size++;
}

/* The Merkle tree hash of the tree @s describes (RFC 6962: the empty tree hashes "" ). */
static void frontier_root(const struct log_state *s, uint8_t root[HASH_SHA256_LEN])
{
    if (s->nf == 0) {
        hash_sha256(root, "", 0);
        return;
    }
    memcpy(root, s->frontier[s->nf - 1], HASH_SHA256_LEN);
    for (size_t i = s->nf - 1; i-- > 0;)
        tlog_node_hash(root, s->frontier[i], root);
}

static void state_path(const struct store *st, const char *suffix, char *out, size_t len)
{
    snprintf(out, len, "%s/%s%s", st->trust_dir, LEDGER_STATE_FILE, suffix);
}

/* Take log.state.lock; with @nowait, ERR_BUSY when another holds it. */
static int state_lock(const struct store *st, bool nowait, int *fd)
{
    char path[1200];

    state_path(st, ".lock", path, sizeof(path));
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        log_error("ledger: cannot open %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    while (flock(*fd, LOCK_EX | (nowait ? LOCK_NB : 0)) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        close(*fd);
        *fd = -1;
        return nowait && e == EWOULDBLOCK ? ERR_BUSY : ERR_IO;
    }
    return 0;
}

static bool b64_line(const char *line, const char *key, uint8_t out[HASH_SHA256_LEN])
{
    size_t klen = strlen(key), n = 0;

    return strncmp(line, key, klen) == 0 && line[klen] == ' ' &&
           b64_decode(out, HASH_SHA256_LEN, &n, line + klen + 1, strlen(line + klen + 1), false) ==
               0 &&
           n == HASH_SHA256_LEN;
}

/* Read log.state; *@exists false when there is none. A file that does not parse, or whose
 * frontier does not give its root, is ERR_INTEGRITY. */
static int state_read(const struct store *st, struct log_state *s, bool *exists)
{
    char path[1200], text[8192], *line, *save = NULL;
    uint8_t root[HASH_SHA256_LEN];
    struct log_state built;
    ssize_t n;
    int fd, field = 0;
    int64_t size = 0;

    memset(s, 0, sizeof(*s));
    *exists = false;
    state_path(st, "", path, sizeof(path));
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return 0;
        log_error("ledger: cannot read %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    *exists = true;
    if (n < 0 || (size_t)n >= sizeof(text) - 1)
        goto bad;
    text[n] = '\0';
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (field == 0 && strcmp(line, "dissent-log-state/v1") != 0)
            goto bad;
        if (field == 1 &&
            (strncmp(line, "size ", 5) != 0 || str_parse_i64(line + 5, 0, INT64_MAX, &size) != 0))
            goto bad;
        if (field == 2 && !b64_line(line, "root", s->root))
            goto bad;
        if (field >= 3 &&
            (s->nf == FRONTIER_MAX || !b64_line(line, "frontier", s->frontier[s->nf++])))
            goto bad;
        field++;
    }
    s->size = (uint64_t)size;
    /* the frontier must be the one of a tree of that size, and give its root */
    if (field < 3 || (size_t)__builtin_popcountll(s->size) != s->nf)
        goto bad;
    built = *s;
    frontier_root(&built, root);
    if (!hash_equal(root, s->root, HASH_SHA256_LEN))
        goto bad;
    return 0;
bad:
    log_error("integrity: %s is not a log state: the log is stopped", path);
    return ERR_INTEGRITY;
}

static int state_write(const struct store *st, const struct log_state *s)
{
    char text[8192], b64[48];
    size_t o = 0, len;

    b64_encode(b64, sizeof(b64), s->root, HASH_SHA256_LEN, false);
    o += (size_t)snprintf(text + o, sizeof(text) - o, "dissent-log-state/v1\nsize %llu\nroot %s\n",
                          (unsigned long long)s->size, b64);
    for (size_t i = 0; i < s->nf; i++) {
        b64_encode(b64, sizeof(b64), s->frontier[i], HASH_SHA256_LEN, false);
        o += (size_t)snprintf(text + o, sizeof(text) - o, "frontier %s\n", b64);
    }
    len = strlen(text);
    return file_replace(st->trust_dir, LEDGER_STATE_FILE, text, len, "ledger");
}

/*
 * Extend @s with entries [@s->size, @to): each MAC checked (or, with @adopt, written), each
 * leaf hash recomputed from the bytes and compared with the stored level-0 tile. @why says what
 * failed.
 */
static int extend(struct store *st, struct log_state *s, uint64_t to, bool adopt, char *why,
                  size_t whylen)
{
    int rc = 0;

    while (s->size < to && rc == 0) {
        uint64_t tile = s->size / TLOG_TILE_WIDTH;
        struct tlog_view entries[TLOG_TILE_WIDTH];
        uint8_t *bundle = NULL, *hashes = NULL, *macs = NULL, mac[32], leaf[HASH_SHA256_LEN];
        size_t blen = 0, hlen = 0, m = 0, nmacs = 0;
        unsigned width = 0;

        if ((rc = store_tlog_tile_get(st, TLOG_TILE_ENTRIES, tile, &bundle, &blen, &width)) != 0 ||
            (rc = store_tlog_tile_get(st, 0, tile, &hashes, &hlen, &width)) != 0)
            goto next;
        if (!adopt && (rc = macs_get(st, tile, &macs, &nmacs)) != 0) {
            err_set(why, whylen, "the MAC tile %llu is damaged", (unsigned long long)tile);
            goto next;
        }
        if (adopt && (macs = mem_alloc(TLOG_TILE_WIDTH * 32)) == NULL) {
            rc = ERR_NOMEM;
            goto next;
        }
        if (tlog_bundle_split(bundle, blen, entries, &m) != 0) {
            err_set(why, whylen, "the entry bundle %llu does not parse", (unsigned long long)tile);
            rc = ERR_INTEGRITY;
            goto next;
        }
        if (adopt)
            for (size_t k = 0; k < m && rc == 0; k++)
                rc = entry_mac(st, tile * TLOG_TILE_WIDTH + k, entries[k].data, entries[k].len,
                               macs + 32 * k);
        if (adopt && rc == 0) {
            nmacs = m;
            rc = store_tlog_tile_put(st, LEDGER_TILE_MACS, tile, (unsigned)m, macs, m * 32);
        }
        for (size_t k = s->size % TLOG_TILE_WIDTH; k < m && s->size < to && rc == 0; k++) {
            if (k >= nmacs ||
                (rc = entry_mac(st, s->size, entries[k].data, entries[k].len, mac)) != 0 ||
                !hash_equal(mac, macs + 32 * k, 32)) {
                err_set(why, whylen, "entry %llu has no valid MAC: it was not written by Dissent",
                        (unsigned long long)s->size);
                rc = rc != 0 ? rc : ERR_INTEGRITY;
                break;
            }
            tlog_leaf_hash(leaf, entries[k].data, entries[k].len);
            if (hlen < (k + 1) * HASH_SHA256_LEN ||
                !hash_equal(leaf, hashes + k * HASH_SHA256_LEN, HASH_SHA256_LEN)) {
                err_set(why, whylen, "the stored hash of entry %llu is not the hash of its bytes",
                        (unsigned long long)s->size);
                rc = ERR_INTEGRITY;
                break;
            }
            frontier_push(s, leaf);
        }
        if (rc == 0 && s->size < to && (s->size % TLOG_TILE_WIDTH) != 0) {
            err_set(why, whylen, "entries are missing before %llu", (unsigned long long)to);
            rc = ERR_INTEGRITY;
        }
    next:
        if (rc == ERR_NOT_FOUND) {
            err_set(why, whylen, "tile %llu is missing", (unsigned long long)tile);
            rc = ERR_INTEGRITY;
        }
        mem_free(bundle);
        mem_free(hashes);
        mem_free(macs);
    }
    return rc;
}

/*
 * The checks of ledger_sign(), under the state lock: the state @s read (or, with no log.state
 * and @adopt, built from the whole log, MACs written), extended to the database's size; *@old
 * is the state's size before.
 */
static int check(struct store *st, struct log_state *s, bool adopt, uint64_t *old, char *why,
                 size_t whylen)
{
    uint8_t root[HASH_SHA256_LEN], stored[HASH_SHA256_LEN];
    uint64_t size = 0;
    bool exists = false;
    int rc;

    *old = 0;
    if (st->trust_dir == NULL)
        return ERR_INTERNAL;
    if ((rc = state_read(st, s, &exists)) != 0) {
        err_set(why, whylen, "log.state is damaged");
        return rc;
    }
    if ((rc = store_tlog_size(st, &size)) != 0)
        return rc;
    if (!exists) {
        if (!adopt)
            return 0; /* nothing signed yet under this version: nothing to compare with */
        /* the first start of a version that checks: the log as the database holds it */
        if ((rc = store_begin(st)) != 0)
            return rc;
        if ((rc = extend(st, s, size, true, why, whylen)) == 0)
            rc = store_commit(st);
        else
            store_rollback(st);
        if (rc == 0 && (rc = root_at(st, size, stored)) == 0) {
            frontier_root(s, root);
            if (!hash_equal(root, stored, HASH_SHA256_LEN)) {
                err_set(why, whylen, "the stored tiles do not hash to the entries' tree");
                rc = ERR_INTEGRITY;
            }
        }
        memcpy(s->root, root, HASH_SHA256_LEN);
        if (rc == 0)
            log_warn("ledger: adopted the log as the database holds it (%llu entries now carry "
                     "a MAC); from now on it is checked before every checkpoint",
                     (unsigned long long)size);
        return rc;
    }
    *old = s->size;
    if (size < s->size) {
        err_set(why, whylen, "the database's log has %llu entries, fewer than the %llu signed",
                (unsigned long long)size, (unsigned long long)s->size);
        return ERR_INTEGRITY;
    }
    /* the history signed before is still the database's */
    if ((rc = root_at(st, s->size, stored)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_INTEGRITY : rc;
    if (!hash_equal(stored, s->root, HASH_SHA256_LEN)) {
        err_set(why, whylen,
                "the entries up to %llu no longer hash to the signed root: they were "
                "rewritten",
                (unsigned long long)s->size);
        return ERR_INTEGRITY;
    }
    if ((rc = extend(st, s, size, false, why, whylen)) != 0)
        return rc;
    frontier_root(s, root);
    if ((rc = root_at(st, size, stored)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_INTEGRITY : rc;
    if (!hash_equal(root, stored, HASH_SHA256_LEN)) {
        err_set(why, whylen, "the stored tiles do not hash to the entries' tree");
        return ERR_INTEGRITY;
    }
    memcpy(s->root, root, HASH_SHA256_LEN);
    return 0;
}

int ledger_check(struct store *st, bool nowait, char *why, size_t whylen)
{
    struct log_state s;
    uint64_t old = 0;
    int fd = -1, rc;

    if ((rc = state_lock(st, nowait, &fd)) != 0)
        return rc == ERR_BUSY ? 0 : rc;
    rc = check(st, &s, false, &old, why, whylen);
    close(fd);
    return rc;
}

int ledger_adopt(struct store *st, const struct note_skey *key)
{
    uint8_t root[HASH_SHA256_LEN];
    struct tlog_checkpoint cp;
    struct note_vkey vk;
    struct log_state s;
    char why[256] = "", *latest = NULL;
    uint64_t have = 0, old = 0;
    bool exists = false;
    int fd = -1, rc;

    if (st->trust_dir == NULL)
        return ERR_INTERNAL;
    if ((rc = state_lock(st, false, &fd)) != 0)
        return rc;
    if ((rc = state_read(st, &s, &exists)) != 0 || exists)
        goto out;
    /* what was signed before this version must still be what the database holds */
    rc = store_tlog_checkpoint_latest(st, &have, &latest);
    if (rc == 0) {
        note_skey_vkey(key, &vk);
        if (tlog_checkpoint_open(latest, strlen(latest), NULL, &vk, &cp, NULL, 0) != 0 ||
            cp.size != have || root_at(st, have, root) != 0 ||
            !hash_equal(root, cp.root, HASH_SHA256_LEN)) {
            snprintf(why, sizeof(why),
                     "the newest checkpoint stored is not the log's own, or "
                     "the entries no longer hash to it");
            rc = ERR_INTEGRITY;
        }
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0;
    }
    if (rc == 0 && (rc = check(st, &s, true, &old, why, sizeof(why))) == 0)
        rc = state_write(st, &s); /* even for an empty log: adopted once */
out:
    if (rc == ERR_INTEGRITY)
        log_error("integrity: the transparency log cannot be adopted, it is stopped: %s", why);
    mem_free(latest);
    close(fd);
    return rc;
}

int ledger_sign(struct store *st, const struct note_skey *key, const char *origin, int64_t now,
                uint64_t *size)
{
    struct tlog_checkpoint cp;
    struct log_state s;
    char why[256] = "", *text = NULL, *latest = NULL;
    uint64_t old = 0, have = 0;
    bool exists = false;
    size_t len = 0;
    int fd = -1, rc;

    *size = 0;
    if ((rc = state_lock(st, false, &fd)) != 0)
        return rc;
    /* the log is adopted with the database (core/trust.h), never here: a log.state gone while
     * the pin stayed is no reason to trust what the database holds now */
    if ((rc = state_read(st, &s, &exists)) == 0 && !exists) {
        log_error("integrity: %s/%s is missing: the transparency log is stopped, no checkpoint "
                  "is signed (restore it, or adopt the database knowingly: dissent trust adopt)",
                  st->trust_dir, LEDGER_STATE_FILE);
        rc = ERR_INTEGRITY;
    }
    if (rc != 0)
        goto out;
    if ((rc = check(st, &s, false, &old, why, sizeof(why))) != 0) {
        if (rc == ERR_INTEGRITY)
            log_error("integrity: the transparency log is stopped, no checkpoint is signed: %s",
                      why);
        goto out;
    }
    rc = store_tlog_checkpoint_latest(st, &have, &latest);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        goto out;
    rc = 0;
    if (latest != NULL && have >= s.size && s.size == old)
        goto done; /* nothing new, and what was signed is stored */
    /* the state first: a checkpoint is published only for a tree it records */
    if (s.size != old && (rc = state_write(st, &s)) != 0)
        goto out;
    memset(&cp, 0, sizeof(cp));
    cp.origin = origin;
    cp.origin_len = strlen(origin);
    cp.size = s.size;
    memcpy(cp.root, s.root, HASH_SHA256_LEN);
    if ((rc = tlog_checkpoint_sign(&cp, key, &text, &len)) != 0 ||
        (rc = store_tlog_checkpoint_put(st, s.size, text, now)) != 0)
        goto out;
done:
    *size = s.size;
out:
    mem_free(text);
    mem_free(latest);
    close(fd);
    return rc;
}

/* The size of the tree signed last (log.state, which the database cannot change; before the
 * first signing of this version, the newest checkpoint's; 0 before any): what is public. Entries
 * past it are neither served nor counted before the next scheduled checkpoint, so that no
 * reader learns when an entry was appended from when it appeared. */
static int signed_size(struct store *st, uint64_t *size)
{
    struct log_state s;
    char *text = NULL;
    bool exists = false;
    int rc;

    *size = 0;
    if (st->trust_dir != NULL) {
        if ((rc = state_read(st, &s, &exists)) != 0)
            return rc;
        if (exists) {
            *size = s.size;
            return 0;
        }
    }
    rc = store_tlog_checkpoint_latest(st, size, &text);
    mem_free(text);
    if (rc == ERR_NOT_FOUND) {
        *size = 0;
        rc = 0;
    }
    return rc;
}

int ledger_checkpoint(struct store *st, char **text, uint64_t *size)
{
    *text = NULL;
    *size = 0;
    return store_tlog_checkpoint_latest(st, size, text);
}

int ledger_checkpoint_public(struct store *st, int quorum, char **text, uint64_t *size)
{
    int rc;

    *text = NULL;
    *size = 0;
    if (quorum <= 0)
        return store_tlog_checkpoint_latest(st, size, text);
    /* nothing unwitnessed is published, not even before the first quorum: the published
     * checkpoint then only ever grows (a newest one served meanwhile could be followed by an
     * older one reaching the quorum, and monitors would see the log roll back) */
    rc = store_tlog_checkpoint_witnessed(st, quorum, size, text);
    return rc;
}

int ledger_entry_get(struct store *st, uint64_t index, uint8_t **out, size_t *len)
{
    struct tlog_view entries[TLOG_TILE_WIDTH];
    uint8_t *bundle = NULL;
    size_t blen = 0, n = 0;
    uint64_t size = 0;
    unsigned width = 0;
    int rc;

    *out = NULL;
    *len = 0;
    if ((rc = store_tlog_size(st, &size)) != 0)
        return rc;
    if (index >= size)
        return ERR_NOT_FOUND;
    if ((rc = store_tlog_tile_get(st, TLOG_TILE_ENTRIES, index / TLOG_TILE_WIDTH, &bundle, &blen,
                                  &width)) != 0)
        return rc;
    if ((rc = tlog_bundle_split(bundle, blen, entries, &n)) == 0) {
        size_t k = index % TLOG_TILE_WIDTH;
        if (k >= n) {
            rc = ERR_CRYPTO;
        } else if ((*out = mem_alloc(entries[k].len + 1)) == NULL) {
            rc = ERR_NOMEM;
        } else {
            memcpy(*out, entries[k].data, entries[k].len);
            *len = entries[k].len;
        }
    }
    mem_free(bundle);
    return rc;
}

int ledger_proof(struct store *st, const char *checkpoint, uint64_t index, char **out,
                 size_t *outlen)
{
    struct tlog_tile_source src = source(st);
    struct tlog_tile_reader *r = NULL;
    struct tlog_hash_reader hr;
    int rc;

    *out = NULL;
    *outlen = 0;
    if ((rc = tlog_tile_reader_new(&src, LEDGER_READER_CACHE, &r)) != 0)
        return rc;
    hr = tlog_tile_reader_hashes(r);
    rc = tlog_proof_create(checkpoint, strlen(checkpoint), index, &hr, NULL, 0, out, outlen);
    tlog_tile_reader_free(r);
    return rc;
}

int ledger_consistency(struct store *st, uint64_t old_size, uint64_t new_size,
                       uint8_t (*proof)[HASH_SHA256_LEN], size_t *len)
{
    struct tlog_tile_source src = source(st);
    struct tlog_tile_reader *r = NULL;
    struct tlog_hash_reader hr;
    int rc;

    *len = 0;
    if ((rc = tlog_tile_reader_new(&src, LEDGER_READER_CACHE, &r)) != 0)
        return rc;
    hr = tlog_tile_reader_hashes(r);
    rc = tlog_consistency_prove(old_size, new_size, &hr, proof, len);
    tlog_tile_reader_free(r);
    return rc;
}

int ledger_tile(struct store *st, const char *path, uint8_t **out, size_t *len, bool *full)
{
    struct tlog_view entries[TLOG_TILE_WIDTH];
    struct tlog_tile t;
    uint8_t *data = NULL;
    size_t dlen = 0, n = 0, cut = 0;
    uint64_t size = 0;
    unsigned stored = 0, max;
    int rc;

    *out = NULL;
    *len = 0;
    *full = false;
    if (tlog_tile_path_parse(path, strlen(path), &t) != 0)
        return ERR_INVALID;
    if ((rc = signed_size(st, &size)) != 0)
        return rc;
    max = tlog_tile_width(t.level, t.index, size);
    if (t.width == 0 || t.width > max)
        return ERR_NOT_FOUND;
    if ((rc = store_tlog_tile_get(st, t.level, t.index, &data, &dlen, &stored)) != 0)
        return rc;
    if (stored < t.width) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (t.level == TLOG_TILE_ENTRIES) {
        if ((rc = tlog_bundle_split(data, dlen, entries, &n)) != 0 || n < t.width) {
            rc = ERR_CRYPTO;
            goto out;
        }
        cut = (size_t)(entries[t.width - 1].data + entries[t.width - 1].len - data);
    } else {
        cut = (size_t)t.width * HASH_SHA256_LEN;
        if (cut > dlen) {
            rc = ERR_CRYPTO;
            goto out;
        }
    }
    *out = data;
    *len = cut;
    *full = t.width == TLOG_TILE_WIDTH;
    data = NULL;
out:
    mem_free(data);
    return rc;
}

/* The first @size entries, parsed and MAC-checked (ledger_entries_load()). */
static int entries_load(struct store *st, uint64_t size, struct ledger_entry **out, size_t *count)
{
    struct ledger_entry *arr = NULL;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    *count = 0;
    if (size == 0)
        return 0;
    if (size > SIZE_MAX / sizeof(*arr) || (arr = mem_calloc((size_t)size, sizeof(*arr))) == NULL)
        return ERR_NOMEM;
    for (uint64_t tile = 0; n < size && rc == 0; tile++) {
        struct tlog_view entries[TLOG_TILE_WIDTH];
        uint8_t *bundle = NULL, *macs = NULL, mac[32];
        size_t blen = 0, m = 0, nmacs = 0;
        unsigned width = 0;
        if ((rc = store_tlog_tile_get(st, TLOG_TILE_ENTRIES, tile, &bundle, &blen, &width)) != 0)
            break;
        if ((rc = macs_get(st, tile, &macs, &nmacs)) == 0 &&
            (rc = tlog_bundle_split(bundle, blen, entries, &m)) == 0) {
            for (size_t k = 0; k < m && n < size && rc == 0; k++, n++) {
                /* only entries Dissent wrote: a forged one is never counted */
                if (k >= nmacs ||
                    (rc = entry_mac(st, n, entries[k].data, entries[k].len, mac)) != 0 ||
                    !hash_equal(mac, macs + 32 * k, 32)) {
                    log_error("integrity: log entry %zu has no valid MAC: no statistics are made "
                              "of this log",
                              n);
                    rc = rc != 0 ? rc : ERR_INTEGRITY;
                } else if (ledger_entry_parse((const char *)entries[k].data, entries[k].len,
                                              &arr[n]) != 0) {
                    rc = ERR_CRYPTO;
                }
            }
        }
        mem_free(bundle);
        mem_free(macs);
    }
    if (rc != 0) {
        mem_free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

int ledger_entries_walk(struct store *st, uint64_t from, uint64_t to,
                        int (*fn)(void *ctx, const struct ledger_entry *e), void *ctx)
{
    int rc = 0;

    for (uint64_t tile = from / TLOG_TILE_WIDTH, n = tile * TLOG_TILE_WIDTH; n < to && rc == 0;
         tile++) {
        struct tlog_view entries[TLOG_TILE_WIDTH];
        uint8_t *bundle = NULL, *macs = NULL, mac[32];
        size_t blen = 0, m = 0, nmacs = 0;
        unsigned width = 0;
        struct ledger_entry e;

        if ((rc = store_tlog_tile_get(st, TLOG_TILE_ENTRIES, tile, &bundle, &blen, &width)) != 0)
            break;
        if ((rc = macs_get(st, tile, &macs, &nmacs)) == 0 &&
            (rc = tlog_bundle_split(bundle, blen, entries, &m)) == 0) {
            for (size_t k = 0; k < m && n < to && rc == 0; k++, n++) {
                if (n < from)
                    continue;
                /* only entries Dissent wrote: a forged one is never counted */
                if (k >= nmacs ||
                    (rc = entry_mac(st, n, entries[k].data, entries[k].len, mac)) != 0 ||
                    !hash_equal(mac, macs + 32 * k, 32)) {
                    log_error("integrity: log entry %llu has no valid MAC: no statistics are "
                              "made of this log",
                              (unsigned long long)n);
                    rc = rc != 0 ? rc : ERR_INTEGRITY;
                } else if (ledger_entry_parse((const char *)entries[k].data, entries[k].len, &e) !=
                           0) {
                    rc = ERR_CRYPTO;
                } else {
                    rc = fn(ctx, &e);
                }
            }
            if (rc == 0 && m < TLOG_TILE_WIDTH && n < to)
                rc = ERR_INTEGRITY; /* a partial bundle short of the size asked */
        }
        mem_free(bundle);
        mem_free(macs);
    }
    return rc;
}

int ledger_signed_size(struct store *st, uint64_t *size)
{
    return signed_size(st, size);
}

int ledger_entries_load(struct store *st, struct ledger_entry **out, size_t *count)
{
    uint64_t size = 0;
    int rc = signed_size(st, &size);

    *out = NULL;
    *count = 0;
    return rc != 0 ? rc : entries_load(st, size, out, count);
}

int ledger_entries_live(struct store *st, struct ledger_entry **out, size_t *count)
{
    uint64_t size = 0;
    int rc = store_tlog_size(st, &size);

    *out = NULL;
    *count = 0;
    return rc != 0 ? rc : entries_load(st, size, out, count);
}

int ledger_records_event(struct store *st, enum ledger_event e, int64_t count, int64_t now)
{
    char text[LEDGER_ENTRY_MAX];
    struct ledger_entry le;
    uint64_t index;
    size_t len = 0;
    int rc;

    if (!ledger_event_records(e))
        return ERR_INVALID;
    memset(&le, 0, sizeof(le));
    le.event = e;
    le.count = count;
    le.day = channel_today(now);
    le.ack_due = le.reply_due = le.first = le.last = -1;
    if ((rc = ledger_entry_format(&le, text, &len)) != 0)
        return rc;
    return ledger_append(st, text, len, &index);
}

int ledger_audit_head(struct store *st, int64_t now)
{
    char text[LEDGER_ENTRY_MAX];
    struct audit_record last;
    struct ledger_entry le;
    uint64_t index;
    size_t len = 0;
    int rc;

    if ((rc = store_audit_last(st, &last)) == ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    memset(&le, 0, sizeof(le));
    le.event = LEDGER_AUDIT_HEAD;
    memcpy(le.head, last.hash, sizeof(le.head));
    le.day = channel_today(now);
    le.ack_due = le.reply_due = le.first = le.last = -1;
    if ((rc = ledger_entry_format(&le, text, &len)) != 0)
        return rc;
    return ledger_append(st, text, len, &index);
}

int ledger_channel_changed(struct store *st, int64_t channel, const char *settings, int64_t now)
{
    char text[LEDGER_ENTRY_MAX];
    struct ledger_entry le;
    uint64_t index;
    size_t len = 0;
    int rc;

    if (settings == NULL)
        return ERR_INVALID;
    memset(&le, 0, sizeof(le));
    le.event = LEDGER_CHANNEL_CHANGED;
    le.channel = channel;
    hash_sha256(le.settings, settings, strlen(settings));
    le.day = channel_today(now);
    le.ack_due = le.reply_due = le.first = le.last = -1;
    if ((rc = ledger_entry_format(&le, text, &len)) != 0)
        return rc;
    return ledger_append(st, text, len, &index);
}

int ledger_account_event(struct store *st, const struct user *u, enum ledger_event e, int64_t now)
{
    return ledger_channel_event(st, u, e, 1, now);
}

int ledger_channel_event(struct store *st, const struct user *u, enum ledger_event e,
                         int64_t channel, int64_t now)
{
    char text[LEDGER_ENTRY_MAX];
    struct ledger_entry le;
    uint64_t index;
    size_t len = 0;
    int rc;

    if (!ledger_event_account(e))
        return ERR_INVALID;
    if (!u->has_log_tag)
        return ERR_INTERNAL;
    memset(&le, 0, sizeof(le));
    le.event = e;
    if (e == LEDGER_KEYS_BOUND) {
        if (u->key_binding[0] == '\0')
            return ERR_INTERNAL;
        hash_sha256(le.binding, u->key_binding, strlen(u->key_binding));
    }
    memcpy(le.tag, u->log_tag, sizeof(le.tag));
    le.channel = channel;
    le.day = channel_today(now);
    le.ack_due = le.reply_due = le.first = le.last = -1;
    if ((rc = ledger_entry_format(&le, text, &len)) != 0)
        return rc;
    return ledger_append(st, text, len, &index);
}
