/*
 * What the database cannot change (core/trust.c): the channel pin and its pending key, the key
 * bindings, and the integrity MACs store.c checks (store/integrity.c), over a real SQLite store.
 */
#include "testutil.h"

#include "core/ledger.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "util/err.h"

#include <stdio.h>

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static struct user bound_user(struct store *st)
{
    struct user u;
    struct user_keys *k = keys_new();

    assert_non_null(k);
    keys_generate(k);
    memset(&u, 0, sizeof(u));
    snprintf(u.username, sizeof(u.username), "dave");
    snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$fake");
    u.roles = 1;
    u.has_keys = true;
    memcpy(u.sign_pk, k->sign_pk, 32);
    memcpy(u.box_pk, k->box_pk, 32);
    u.has_log_tag = true;
    random_bytes(u.log_tag, sizeof(u.log_tag));
    keys_free(k);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(trust_bind(st, &u, 0), 0);
    assert_int_equal(store_user_create(st, &u), 0);
    assert_int_equal(store_commit(st), 0);
    return u;
}

static void channel_pin(void **state)
{
    struct store *st = testutil_store(dir);
    struct user u = bound_user(st); /* the channel key's creator */
    uint8_t pk[32], other[32], got[32];

    (void)state;
    random_bytes(pk, sizeof(pk));
    random_bytes(other, sizeof(other));
    /* a new channel: nothing in the database, nothing pinned */
    assert_int_equal(trust_channel_pk(st, 1, got), ERR_NOT_FOUND);
    /* a key made in a transaction is pending until it commits */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(trust_channel_pending(st, 1, pk), 0);
    assert_int_equal(store_channel_key_create(st, 1, pk, u.id, 0), 0);
    store_rollback(st);
    trust_channel_settle(st);
    assert_int_equal(trust_channel_pk(st, 1, got), ERR_NOT_FOUND);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(trust_channel_pending(st, 1, pk), 0);
    assert_int_equal(store_channel_key_create(st, 1, pk, u.id, 0), 0);
    assert_int_equal(store_commit(st), 0);
    /* the first reader that finds it in the database makes it current */
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    assert_memory_equal(got, pk, 32);
    trust_channel_settle(st);
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    /* a key the database swapped in is refused, and so is a lost one */
    assert_int_equal(store_channel_key_rotate(st, 1, other, u.id, 0), 0);
    assert_int_equal(trust_channel_pk(st, 1, got), ERR_INTEGRITY);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(trust_channel_pending(st, 1, pk), ERR_INTEGRITY); /* no rotation from it */
    store_rollback(st);
    assert_int_equal(store_channel_key_rotate(st, 1, pk, u.id, 0), 0);
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    /* a rotation that commits moves the pin; the old key is refused from then on */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(trust_channel_pending(st, 1, other), 0);
    assert_int_equal(store_channel_key_rotate(st, 1, other, u.id, 0), 0);
    assert_int_equal(store_commit(st), 0);
    trust_channel_settle(st);
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    assert_memory_equal(got, other, 32);
    assert_int_equal(store_channel_key_rotate(st, 1, pk, u.id, 0), 0);
    assert_int_equal(trust_channel_pk(st, 1, got), ERR_INTEGRITY);
    /* a pin that is not one, or none at all, is no reason to trust the database */
    write_file(TRUST_PIN_FILE, "dissent-channel-pin/v1\ncurrent nonsense\n");
    assert_int_equal(trust_channel_pk(st, 1, got), ERR_INTEGRITY);
    write_file(TRUST_PIN_FILE, "");
    assert_int_equal(trust_channel_pk(st, 1, got), ERR_INTEGRITY);
    store_close(st);
    testutil_rmdir(dir);
}

static void read_pin(char *buf, size_t len);

/* Commit @pk as @channel's new key, as access.c and enrol.c do. */
static void commit_key(struct store *st, int64_t channel, const uint8_t pk[32], int64_t by,
                       bool rotate)
{
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(trust_channel_pending(st, channel, pk), 0);
    if (rotate)
        assert_int_equal(store_channel_key_rotate(st, channel, pk, by, 0), 0);
    else
        assert_int_equal(store_channel_key_create(st, channel, pk, by, 0), 0);
    assert_int_equal(store_commit(st), 0);
    trust_channel_settle(st);
}

/* Each channel's key is pinned on its own line; a swap of one is refused without touching the
 * others; a pin whose channel lines are not in the one written form is no pin. */
static void channel_pins(void **state)
{
    struct store *st = testutil_store(dir);
    struct user u = bound_user(st);
    uint8_t k1[32], k2[32], k7[32], other[32], got[32];
    char pin[4096], b64[64], line[128];

    (void)state;
    random_bytes(k1, sizeof(k1));
    random_bytes(k2, sizeof(k2));
    random_bytes(k7, sizeof(k7));
    random_bytes(other, sizeof(other));
    commit_key(st, 7, k7, u.id, false);
    commit_key(st, 1, k1, u.id, false);
    commit_key(st, 2, k2, u.id, false);
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    assert_memory_equal(got, k1, 32);
    assert_int_equal(trust_channel_pk(st, 2, got), 0);
    assert_memory_equal(got, k2, 32);
    assert_int_equal(trust_channel_pk(st, 7, got), 0);
    assert_memory_equal(got, k7, 32);
    assert_int_equal(trust_channel_pk(st, 3, got), ERR_NOT_FOUND);
    /* channel 1 on the lines it always had, the others after it, by number */
    read_pin(pin, sizeof(pin));
    b64_encode(b64, sizeof(b64), k2, 32, false);
    snprintf(line, sizeof(line), "\nchannel 2 current %s\n", b64);
    const char *at2 = strstr(pin, line);
    assert_non_null(at2);
    b64_encode(b64, sizeof(b64), k7, 32, false);
    snprintf(line, sizeof(line), "\nchannel 7 current %s\n", b64);
    assert_true(strstr(pin, line) > at2);
    b64_encode(b64, sizeof(b64), k1, 32, false);
    snprintf(line, sizeof(line), "dissent-channel-pin/v1\ncurrent %s\n", b64);
    assert_true(strncmp(pin, line, strlen(line)) == 0);
    assert_null(strstr(pin, "pending"));
    /* channel 2's key swapped in the database: refused; channels 1 and 7 are unaffected */
    assert_int_equal(store_channel_key_rotate(st, 2, other, u.id, 0), 0);
    assert_int_equal(trust_channel_pk(st, 2, got), ERR_INTEGRITY);
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    assert_int_equal(trust_channel_pk(st, 7, got), 0);
    assert_int_equal(store_channel_key_rotate(st, 2, k2, u.id, 0), 0);
    /* a rotation of channel 7 moves its line alone */
    commit_key(st, 7, other, u.id, true);
    assert_int_equal(trust_channel_pk(st, 7, got), 0);
    assert_memory_equal(got, other, 32);
    assert_int_equal(trust_channel_pk(st, 2, got), 0);
    assert_memory_equal(got, k2, 32);
    /* the forms a pin's channel lines may not take */
    static const char *const bad[] = {
        "channel 1 current @\n",                      /* channel 1 has its own lines */
        "channel 02 current @\n",                     /* a leading zero */
        "channel 65 current @\n",                     /* beyond the last channel */
        "channel 3 pending @\n",                      /* pending before its current line */
        "channel 3 current @\nchannel 2 current @\n", /* out of order */
        "channel 3 current @\nchannel 3 current @\n", /* twice */
        "channel 3 current nonsense\n",
        "channel 2 row 0\n", /* a version is 1 or more */
        "channel 2 row 07\n",
        "channel 2 row x\n",
        "channel 2 row 3\nchannel 2 current @\n", /* a row line after its key lines */
        "channel 2 row 3\nchannel 2 row 4\n",     /* twice */
        "channel 65 row 1\n",
        "channels 0\n", /* a number issued is 1 to 64 */
        "channels 65\n",
        "channels 2\nchannel 3 row 1\n", /* after the channels' lines */
    };
    b64_encode(b64, sizeof(b64), k1, 32, false);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[1024];
        size_t o =
            (size_t)snprintf(text, sizeof(text), "dissent-channel-pin/v1\ncurrent %s\n", b64);
        for (const char *c = bad[i]; *c != '\0' && o < sizeof(text) - 64; c++)
            o += (size_t)(*c == '@' ? snprintf(text + o, sizeof(text) - o, "%s", b64)
                                    : snprintf(text + o, sizeof(text) - o, "%c", *c));
        write_file(TRUST_PIN_FILE, text);
        assert_int_equal(trust_channel_pk(st, 1, got), ERR_INTEGRITY);
    }
    /* and the written form reads back */
    snprintf(pin, sizeof(pin), "dissent-channel-pin/v1\ncurrent %s\nchannel 3 current none\n", b64);
    {
        char b64o[64];
        size_t used = strlen(pin);
        b64_encode(b64o, sizeof(b64o), other, 32, false);
        snprintf(pin + used, sizeof(pin) - used,
                 "channel 3 pending %s\nchannel 3 row 2\nchannel 9 row 1\nchannels 9\n", b64o);
    }
    write_file(TRUST_PIN_FILE, pin);
    assert_int_equal(trust_channel_pk(st, 1, got), 0);
    store_close(st);
    testutil_rmdir(dir);
}

/* Read the pin into @buf. */
static void read_pin(char *buf, size_t len)
{
    char path[128];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, TRUST_PIN_FILE);
    assert_non_null(f = fopen(path, "r"));
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static struct user staff(const char *name)
{
    struct user u;

    memset(&u, 0, sizeof(u));
    snprintf(u.username, sizeof(u.username), "%s", name);
    snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$fake");
    u.roles = 1;
    u.has_log_tag = true;
    random_bytes(u.log_tag, sizeof(u.log_tag));
    return u;
}

static void account_ids_never_twice(void **state)
{
    struct store *st = testutil_store(dir);
    struct user a = staff("ann"), b = staff("bob"), c = staff("cy");
    char pin[512], want[64];
    int64_t least = 0;

    (void)state;
    assert_int_equal(trust_account_least(st, &least), 0);
    assert_int_equal(least, 0); /* nothing issued yet */
    assert_int_equal(user_create_logged(st, &a, 0), 0);
    assert_int_equal(user_create_logged(st, &b, 0), 0);
    read_pin(pin, sizeof(pin));
    snprintf(want, sizeof(want), "\naccounts %lld\n", (long long)b.id);
    assert_non_null(strstr(pin, want));
    assert_int_equal(trust_account_least(st, &least), 0);
    assert_int_equal(least, b.id + 1);
    /* store_user_create() gives at least the id asked for (0: the database's choice); the API
     * test of the database attacker deletes the newest account and shows its id not given
     * again */
    assert_int_equal(store_user_create(st, &c), 0);
    assert_int_equal(c.id, b.id + 1);
    c = staff("cy2");
    c.id = b.id + 5; /* at least that */
    assert_int_equal(store_user_create(st, &c), 0);
    assert_int_equal(c.id, b.id + 5);
    /* a pin whose accounts line does not parse is no pin */
    write_file(TRUST_PIN_FILE, "dissent-channel-pin/v1\ncurrent none\naccounts x\n");
    assert_int_equal(trust_account_least(st, &least), ERR_INTEGRITY);
    write_file(TRUST_PIN_FILE, "dissent-channel-pin/v1\ncurrent none\naccounts 7\nconverted 2\n");
    assert_int_equal(trust_account_least(st, &least), 0);
    assert_int_equal(least, 8);
    store_close(st);
    testutil_rmdir(dir);
}

static void key_binding(void **state)
{
    struct store *st = testutil_store(dir), *other;
    struct user u = bound_user(st), w, got;
    struct ledger_entry *entries = NULL;
    size_t n = 0;
    char dir2[64];

    (void)state;
    assert_int_equal(trust_bound(st, &u), 0);
    assert_non_null(strstr(u.key_binding, "dissent-key-binding/v1\naccount "));
    assert_non_null(strstr(u.key_binding, "\n\n\xe2\x80\x94 dissent-key-binding "));
    /* the log says the keys were born, by the account's tag and the binding's hash (once a
     * checkpoint covers it: statistics and tiles are made of signed entries) */
    assert_int_equal(ledger_entries_load(st, &entries, &n), 0);
    assert_int_equal(n, 0);
    {
        struct note_skey lk;
        uint64_t size = 0;
        assert_int_equal(note_skey_generate("unit.dissent.test/log", 21, &lk), 0);
        assert_int_equal(ledger_sign(st, &lk, "unit.dissent.test/log", 0, &size), 0);
        assert_int_equal(size, 1);
    }
    assert_int_equal(ledger_entries_load(st, &entries, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(entries[0].event, LEDGER_KEYS_BOUND);
    assert_memory_equal(entries[0].tag, u.log_tag, sizeof(u.log_tag));
    free(entries);
    /* another key, another tag, no keys, a damaged note: not bound */
    w = u;
    w.box_pk[0] ^= 1;
    assert_int_equal(trust_bound(st, &w), ERR_INTEGRITY);
    w = u;
    w.sign_pk[31] ^= 0x80;
    assert_int_equal(trust_bound(st, &w), ERR_INTEGRITY);
    w = u;
    w.log_tag[3] ^= 1;
    assert_int_equal(trust_bound(st, &w), ERR_INTEGRITY);
    w = u;
    w.has_keys = false;
    assert_int_equal(trust_bound(st, &w), ERR_INTEGRITY);
    w = u;
    w.key_binding[strlen(w.key_binding) - 3] ^= 1;
    assert_int_equal(trust_bound(st, &w), ERR_INTEGRITY);
    /* a binding made under another channel's key does not verify here */
    other = testutil_store(dir2);
    {
        struct note_skey k2;
        assert_int_equal(note_skey_generate("dissent-channel", 15, &k2), 0);
        assert_int_equal(trust_attach(other, &k2, &k2, dir2), 0);
    }
    w = u;
    assert_int_equal(store_begin(other), 0);
    assert_int_equal(trust_bind(other, &w, 0), 0);
    store_rollback(other);
    assert_int_not_equal(strcmp(w.key_binding, u.key_binding), 0);
    assert_int_equal(trust_bound(st, &w), ERR_INTEGRITY);
    store_close(other);
    testutil_rmdir(dir2);
    /* the row round-trips with its MAC; keys without a binding are refused as a bug */
    assert_int_equal(store_user_get_by_id(st, u.id, &got), 0);
    assert_string_equal(got.key_binding, u.key_binding);
    got.key_binding[0] = '\0';
    assert_int_equal(store_user_update(st, &got), ERR_INTERNAL);
    store_close(st);
    testutil_rmdir(dir);
}

static void integrity_key_required(void **state)
{
    struct store *st = NULL;
    struct user u, got;
    char err[256] = "";

    (void)state;
    memcpy(dir, "/tmp/dissent-unit-XXXXXX", 25);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    memset(&u, 0, sizeof(u));
    snprintf(u.username, sizeof(u.username), "nokey");
    /* without the key, nothing MAC'd is written or read */
    assert_int_equal(store_user_create(st, &u), ERR_INTERNAL);
    testutil_trust(st, dir);
    assert_int_equal(store_user_create(st, &u), 0);
    assert_int_equal(store_user_get_by_name(st, "nokey", &got), 0);
    /* another key (another channel.skey) finds every row altered */
    {
        uint8_t key[STORE_TRUST_KEY_LEN];
        random_bytes(key, sizeof(key));
        assert_int_equal(store_trust_set(st, key, NULL, dir), 0);
    }
    assert_int_equal(store_user_get_by_name(st, "nokey", &got), ERR_INTEGRITY);
    assert_string_equal(got.username, ""); /* nothing of a failing row is returned */
    store_close(st);
    testutil_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(channel_pin),
        cmocka_unit_test(channel_pins),
        cmocka_unit_test(key_binding),
        cmocka_unit_test(account_ids_never_twice),
        cmocka_unit_test(integrity_key_required),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
