/*
 * The memo life cycle in core, over a real SQLite store: transitions, the signing rules,
 * deadlines on working days, distribution to configured principals, the reply binding.
 */
#include "testutil.h"

#include "core/access.h"
#include "core/audit.h"
#include "core/user.h"
#include "core/workflow.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "util/err.h"

#include <stdio.h>

static const struct pw_params fast = {1, 8192};
static char dir[64];
static struct store *st;
static struct config cfg;
static struct channel ch;
static struct user alice, bob, olga, pia;
static char err[256];

static void mkuser(const char *name, unsigned roles, struct user *out)
{
    assert_int_equal(
        user_create_enrolled(st, &fast, name, roles, "", "", "password-1", 10, 1, out, NULL, 0), 0);
}

static int setup(void **state)
{
    st = testutil_store(dir);
    config_defaults(&cfg);
    snprintf(cfg.principals, sizeof(cfg.principals), "pia");
    snprintf(cfg.timezone, sizeof(cfg.timezone), "America/New_York");
    cfg.reply_approval = 0; /* the officer sends the reply (core/review.h has the head's path) */
    if (channel_init(&ch, &cfg, dir, err, sizeof(err)) != 0)
        return -1;
    mkuser("alice", ROLE_STAFF, &alice);
    mkuser("bob", ROLE_STAFF, &bob);
    mkuser("olga", ROLE_OFFICER, &olga);
    mkuser("pia", ROLE_PRINCIPAL, &pia);
    return 0;
}

static int teardown(void **state)
{
    channel_release(&ch);
    store_close(st);
    testutil_rmdir(dir);
    return 0;
}

/* 2025-07-03 15:00 UTC is Thursday 11:00 in New York, the day before Independence Day. */
#define THU_2025_07_03 INT64_C(1751554800)

static struct wf_ctx ctx(const struct user *u, int64_t now)
{
    struct wf_ctx c = {
        .st = st, .ch = &ch, .actor = u, .now = now, .err = err, .errlen = sizeof(err)};
    return c;
}

static struct user_keys *keys_of(const struct user *u)
{
    struct user_keys *k = keys_new();
    assert_non_null(k);
    assert_int_equal(user_keys_open(u, &fast, "password-1", 10, k), 0);
    return k;
}

static void reload(struct memo *m)
{
    char id[STORE_MEMO_ID_LEN + 1];

    memcpy(id, m->public_id, sizeof(id));
    store_memo_release(m);
    assert_int_equal(store_memo_get(st, id, m), 0);
}

static void life_cycle(void **state)
{
    struct wf_ctx a = ctx(&alice, THU_2025_07_03), b = ctx(&bob, THU_2025_07_03),
                  o = ctx(&olga, THU_2025_07_03);
    struct user_keys *ka = keys_of(&alice), *kb = keys_of(&bob);
    const char *invite[] = {"bob"}, *bad[] = {"olga"};
    char day[16], *note = NULL;
    struct user_keys *ko = keys_of(&olga);
    struct note_vkey cv;
    struct keyring kr, kb_ring, ko_ring;
    uint8_t mkey[ACCESS_KEY_LEN], other[ACCESS_KEY_LEN];
    uint64_t created = 0;
    int64_t audited = 0;
    struct memo m;
    unsigned rel = 0;
    bool ok = false;
    size_t tl = 0;

    keyring_init(&kr, st, &alice, NULL, NULL);
    keyring_init(&kb_ring, st, &bob, NULL, NULL);
    keyring_init(&ko_ring, st, &olga, NULL, NULL);
    assert_int_equal(workflow_create(&a, 1, "A title", 7, "Body\r\n", 6, false, &m), 0);
    assert_int_equal(m.state, MEMO_DRAFT);
    /* the drafter opens the memo key sealed to them; content is stored encrypted */
    kr.keys = ka;
    assert_int_equal(access_memo_key(&kr, &m, mkey, err, sizeof(err)), 0);
    a.mkey = b.mkey = o.mkey = mkey;
    assert_null(memmem(m.title, m.title_len, "A title", 7));
    assert_null(memmem(m.body, m.body_len, "Body", 4));
    /* no key for bob before he is invited */
    kb_ring.keys = kb;
    assert_int_equal(access_memo_key(&kb_ring, &m, other, err, sizeof(err)), ERR_FORBIDDEN);
    assert_int_equal(workflow_relation(st, &m, &bob, &rel), 0);
    assert_int_equal(rel, 0);
    assert_int_equal(workflow_sign(&a, &m, ka, NULL), ERR_STATE);
    assert_int_equal(workflow_file(&a, &m), ERR_STATE);
    assert_int_equal(workflow_invite(&a, &m, bad, 1), ERR_INVALID);
    assert_non_null(strstr(err, "olga"));
    assert_int_equal(workflow_invite(&a, &m, invite, 1), 0);
    assert_int_equal(access_memo_key(&kb_ring, &m, other, err, sizeof(err)), 0);
    assert_memory_equal(other, mkey, ACCESS_KEY_LEN);
    assert_int_equal(workflow_relation(st, &m, &bob, &rel), 0);
    assert_int_equal(rel, WF_INVITED);
    assert_int_equal(workflow_finalize(&a, &m), 0);
    assert_true(m.has_digest);
    assert_int_equal(workflow_edit(&a, &m, "x", 1, NULL, 0, -1, 0), ERR_STATE);

    /* the drafter signs first */
    assert_int_equal(workflow_sign(&b, &m, kb, NULL), ERR_STATE);
    assert_non_null(strstr(err, "drafter"));
    assert_int_equal(workflow_file(&a, &m), ERR_STATE);
    assert_int_equal(workflow_sign(&a, &m, ka, NULL), 0);
    assert_int_equal(workflow_sign(&a, &m, ka, NULL), ERR_EXISTS);
    /* a key that is not the signer's own is refused */
    assert_int_equal(workflow_sign(&b, &m, ka, NULL), ERR_STATE);
    assert_int_equal(workflow_sign(&b, &m, kb, &note), 0);
    assert_non_null(strstr(note, "signer bob\n"));
    free(note);
    assert_int_equal(workflow_unsign(&a, &m), ERR_STATE);
    reload(&m);
    assert_int_equal(m.signer_count, 2);

    /* reopen voids both, and signing starts over */
    assert_int_equal(workflow_reopen(&a, &m, "typo"), 0);
    reload(&m);
    assert_int_equal(m.signer_count, 0);
    assert_int_equal(workflow_finalize(&a, &m), 0);
    assert_int_equal(workflow_sign(&a, &m, ka, NULL), 0);
    assert_int_equal(workflow_sign(&b, &m, kb, NULL), 0);

    /* filing needs the channel key, which the first officer's enrolment creates */
    assert_int_equal(workflow_file(&a, &m), ERR_STATE);
    assert_int_equal(access_channel_setup(st, &olga, THU_2025_07_03, &created), 0);
    assert_true(created);
    /* filed on Thursday 2025-07-03: acknowledge by Tuesday 07-08 (4th, weekend) */
    assert_int_equal(workflow_file(&a, &m), 0);
    ko_ring.keys = ko;
    assert_int_equal(access_memo_key(&ko_ring, &m, other, err, sizeof(err)), 0);
    assert_memory_equal(other, mkey, ACCESS_KEY_LEN);
    assert_int_equal(m.state, MEMO_FILED);
    workdays_day_format(m.ack_due, day, sizeof(day));
    assert_string_equal(day, "2025-07-08");
    workdays_day_format(m.reply_max, day, sizeof(day));
    assert_string_equal(day, "2025-09-29");
    assert_int_equal(workflow_relation(st, &m, &olga, &rel), 0);
    assert_int_equal(rel, WF_OFFICER);
    assert_int_equal(workflow_reply(&o, &m, "r", 1), ERR_STATE);

    o.now += 86400 * 4; /* Monday 07-07 */
    assert_int_equal(workflow_acknowledge(&o, &m), 0);
    assert_int_equal(workflow_relation(st, &m, &pia, &rel), 0);
    assert_int_equal(rel, WF_PRINCIPAL);
    assert_int_equal(workflow_extend(&o, &m, m.reply_max + 1, "more time"), ERR_INVALID);
    assert_int_equal(workflow_extend(&o, &m, m.reply_max, "more time"), 0);
    assert_int_equal(workflow_reply(&o, &m, "We considered it.", 17), 0);
    note_skey_vkey(ch.key, &cv);
    assert_int_equal(
        note_open((const char *)m.reply_note, m.reply_note_len, &cv, 1, &ok, &tl, NULL, 0), 0);
    assert_true(ok);
    assert_int_equal(workflow_withdraw(&a, &m), ERR_STATE);
    /* the drafter's turn: the officers cannot close while the drafter's window runs */
    assert_true(workflow_accept_until(&ch, &m) > m.replied_day);
    assert_int_equal(workflow_close(&o, &m), ERR_STATE);
    assert_int_equal(m.state, MEMO_REPLIED);
    assert_int_equal(workflow_accept(&a, &m), 0);
    assert_int_equal(m.state, MEMO_CLOSED);
    assert_int_equal(workflow_comment(&a, &m, "late", 4, NULL), ERR_STATE);
    assert_int_equal(audit_verify(st, &audited, err, sizeof(err)), 0);
    assert_true(audited >= 14);
    keyring_release(&kr);
    keyring_release(&kb_ring);
    keyring_release(&ko_ring);
    store_memo_release(&m);
    keys_free(ka);
    keys_free(kb);
    keys_free(ko);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(life_cycle),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
