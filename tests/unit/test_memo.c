/*
 * test_memo.c - the memo's pure domain: the life-cycle table, title and body rules, the
 * canonical text and its digest, co-signature and reply texts.
 */
#include "testutil.h"

#include "core/memo.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>

#define ID "0123456789abcdef01234567"
#define TITLE "R\xc3\xa9sum\xc3\xa9 of the policy"
/* The digest of the canonical text in test_canonical_literal(), computed outside this code base:
 *   printf 'dissent-memo/v1\nid 0123456789abcdef01234567\ntitle R\xc3\xa9sum\xc3\xa9 of the
 *   policy\n\nFirst line.\nSecond line.\n' | sha256sum        (then xxd -r -p | base64)
 */
#define EXAMPLE_HEX "3fc78c6bdf0c464b8d547b6cd174050d5c1173126db51bc5feae882cb076d001"
#define EXAMPLE_B64 "P8eMa98MRkuNVHts0XQFDVwRcxJttRvF/q6ILLB20AE="
/* printf 'reply text\n' | sha256sum | cut -d' ' -f1 | xxd -r -p | base64 */
#define REPLY_B64 "GupRe0K1psOs7/Ww83dyah/9+7BVt7qKSr0CC32SZDE="

/* Decode exactly @cap bytes of hex. */
static void hex_to_bin(const char *hex, uint8_t *out, size_t cap)
{
    assert_int_equal(strlen(hex), cap * 2);
    for (size_t i = 0; i < cap; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* A malloc'd string of @n copies of @unit (NUL-terminated); its length goes to @len. */
static char *repeat(const char *unit, size_t n, size_t *len)
{
    size_t ulen = strlen(unit);
    char *s = malloc(ulen * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ulen, unit, ulen);
    s[ulen * n] = '\0';
    *len = ulen * n;
    return s;
}

/* ---- life cycle ------------------------------------------------------------------------ */

/* Short names for the literal table: the state reached, or NO when the action is illegal. */
#define NO -1
#define DR MEMO_DRAFT
#define OP MEMO_OPEN
#define FI MEMO_FILED
#define AK MEMO_ACKNOWLEDGED
#define RE MEMO_REPLIED
#define CL MEMO_CLOSED
#define DE MEMO_DECLINED
#define WD MEMO_WITHDRAWN

/*
 * DESIGN.md's life cycle, written out by hand. Columns, in enum order:
 * edit finalize reopen invite sign unsign file acknowledge decline distribute extend reply
 * close withdraw comment delete assign interim accept clarify note review approve (a deletion
 * leaves no state: the memo's own is given back; an assignment, an interim answer, an internal
 * note and the reply's review keep it; the drafter's clarification request sends a replied memo
 * back to the reply step; the head's approval sends the reply)
 */
static const int expected_moves[MEMO_STATE_COUNT][MEMO_ACTION_COUNT] = {
    /* ed  fin reo inv sig uns fil ack dec dis ext rep clo wit com del asg int acc cla not rev app
     */
    [MEMO_DRAFT] = {DR, OP, NO, DR, NO, NO, NO, NO, NO, NO, NO, NO,
                    NO, NO, DR, DR, NO, NO, NO, NO, NO, NO, NO},
    [MEMO_OPEN] = {NO, NO, DR, OP, OP, OP, FI, NO, NO, NO, NO, NO,
                   NO, NO, OP, OP, NO, NO, NO, NO, NO, NO, NO},
    [MEMO_FILED] = {NO, NO, NO, NO, NO, NO, NO, AK, DE, NO, NO, NO,
                    NO, WD, FI, NO, FI, NO, NO, NO, FI, NO, NO},
    [MEMO_ACKNOWLEDGED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO, AK, AK, RE,
                           NO, WD, AK, NO, AK, AK, NO, NO, AK, AK, RE},
    [MEMO_REPLIED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO, RE, NO, NO,
                      CL, NO, RE, NO, RE, NO, CL, AK, RE, NO, NO},
    [MEMO_CLOSED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
                     NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    [MEMO_DECLINED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
                       NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    [MEMO_WITHDRAWN] = {NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
                        NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
};

static void test_transition_table(void **state)
{
    unsigned legal = 0, illegal = 0;

    (void)state;
    for (int s = 0; s < MEMO_STATE_COUNT; s++) {
        for (int a = 0; a < MEMO_ACTION_COUNT; a++) {
            enum memo_state to = MEMO_STATE_COUNT;
            int rc = memo_transition((enum memo_state)s, (enum memo_action)a, &to);
            int want = expected_moves[s][a];

            if (want == NO) {
                if (rc != ERR_STATE || to != (enum memo_state)s)
                    fail_msg("%s in %s: got rc %d to %s, want ERR_STATE", memo_action_name(a),
                             memo_state_name(s), rc, memo_state_name(to));
                illegal++;
            } else {
                if (rc != 0 || to != (enum memo_state)want)
                    fail_msg("%s in %s: got rc %d to %s, want %s", memo_action_name(a),
                             memo_state_name(s), rc, memo_state_name(to), memo_state_name(want));
                legal++;
            }
        }
    }
    assert_int_equal(legal + illegal, MEMO_STATE_COUNT * MEMO_ACTION_COUNT);
    assert_int_equal(legal, 35); /* delete in draft and open, assign once filed, interim, the
                                    drafter's accept and clarify, notes, review, approval */
}

static void test_transition_paths(void **state)
{
    static const enum memo_action happy[] = {
        MEMO_EDIT,  MEMO_FINALIZE,   MEMO_SIGN,        MEMO_REOPEN,     MEMO_FINALIZE,
        MEMO_SIGN,  MEMO_FILE,       MEMO_ACKNOWLEDGE, MEMO_DISTRIBUTE, MEMO_EXTEND,
        MEMO_REPLY, MEMO_DISTRIBUTE, MEMO_CLOSE};
    enum memo_state s = MEMO_DRAFT;

    (void)state;
    for (size_t i = 0; i < sizeof(happy) / sizeof(happy[0]); i++)
        assert_int_equal(memo_transition(s, happy[i], &s), 0);
    assert_int_equal(s, MEMO_CLOSED);

    s = MEMO_ACKNOWLEDGED;
    assert_int_equal(memo_transition(s, MEMO_WITHDRAW, &s), 0);
    assert_int_equal(s, MEMO_WITHDRAWN);
    assert_int_equal(memo_transition(s, MEMO_COMMENT, &s), ERR_STATE);
    assert_int_equal(s, MEMO_WITHDRAWN);
}

static void test_transition_range(void **state)
{
    enum memo_state to = MEMO_OPEN;

    (void)state;
    assert_int_equal(memo_transition(MEMO_STATE_COUNT, MEMO_EDIT, &to), ERR_INVALID);
    assert_int_equal(memo_transition(MEMO_DRAFT, MEMO_ACTION_COUNT, &to), ERR_INVALID);
    assert_int_equal(memo_transition((enum memo_state) - 1, MEMO_EDIT, &to), ERR_INVALID);
    assert_int_equal(memo_transition(MEMO_DRAFT, (enum memo_action) - 1, &to), ERR_INVALID);
    assert_int_equal(to, MEMO_DRAFT);
}

static void test_names(void **state)
{
    static const char *const states[] = {"draft",   "open",   "filed",    "acknowledged",
                                         "replied", "closed", "declined", "withdrawn"};
    static const char *const actions[] = {
        "edit",    "finalize",   "reopen", "invite",  "sign",  "unsign",   "file",    "acknowledge",
        "decline", "distribute", "extend", "reply",   "close", "withdraw", "comment", "delete",
        "assign",  "interim",    "accept", "clarify", "note",  "review",   "approve"};
    enum memo_state s;

    (void)state;
    assert_int_equal(sizeof(states) / sizeof(states[0]), MEMO_STATE_COUNT);
    assert_int_equal(sizeof(actions) / sizeof(actions[0]), MEMO_ACTION_COUNT);
    for (int i = 0; i < MEMO_STATE_COUNT; i++) {
        assert_string_equal(memo_state_name((enum memo_state)i), states[i]);
        assert_int_equal(memo_state_parse(states[i], &s), 0);
        assert_int_equal(s, i);
    }
    for (int i = 0; i < MEMO_ACTION_COUNT; i++)
        assert_string_equal(memo_action_name((enum memo_action)i), actions[i]);
    assert_string_equal(memo_state_name(MEMO_STATE_COUNT), "unknown");
    assert_string_equal(memo_state_name((enum memo_state) - 1), "unknown");
    assert_string_equal(memo_action_name(MEMO_ACTION_COUNT), "unknown");
    s = MEMO_OPEN;
    assert_int_equal(memo_state_parse("Draft", &s), ERR_INVALID);
    assert_int_equal(memo_state_parse("", &s), ERR_INVALID);
    assert_int_equal(memo_state_parse("unknown", &s), ERR_INVALID);
    assert_int_equal(memo_state_parse(NULL, &s), ERR_INVALID);
    assert_int_equal(s, MEMO_OPEN);
}

/* ---- titles and bodies ----------------------------------------------------------------- */

static int title_str(const char *t)
{
    return memo_title_check(t, strlen(t));
}

static void test_title_length(void **state)
{
    static const char *const units[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    size_t len;
    char *s;

    (void)state;
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        s = repeat(units[u], MEMO_TITLE_MAX_CHARS, &len);
        assert_int_equal(memo_title_check(s, len), 0);
        free(s);
        s = repeat(units[u], MEMO_TITLE_MAX_CHARS + 1, &len);
        assert_int_equal(memo_title_check(s, len), ERR_INVALID);
        free(s);
    }
    /* 300 code points at 4 bytes each is exactly the byte limit */
    s = repeat("\xf0\x9f\x98\x80", MEMO_TITLE_MAX_CHARS, &len);
    assert_int_equal(len, MEMO_TITLE_MAX_BYTES);
    free(s);
    assert_int_equal(title_str("x"), 0);
    assert_int_equal(title_str(TITLE), 0);
    assert_int_equal(title_str("  leading and trailing spaces are kept  "), 0);
}

static void test_title_reject(void **state)
{
    static const char *const bad[] = {
        "",                       /* empty */
        " ",                      /* only white space */
        "   ",                    /* only white space */
        " \xc2\xa0\xe3\x80\x80 ", /* NBSP and ideographic space */
        "\xe2\x80\x83",           /* em space */
        "two\nlines",             /* newline */
        "carriage\rreturn",       /* CR */
        "a\ttab",                 /* tab */
        "trailing newline\n",     /* newline */
        "bell\x07",               /* C0 */
        "del\x7f",                /* DEL */
        "nel\xc2\x85",            /* C1 NEXT LINE */
        "csi\xc2\x9b",            /* C1 */
        "line\xe2\x80\xa8sep",    /* U+2028 */
        "para\xe2\x80\xa9sep",    /* U+2029 */
        "\xc3",                   /* truncated */
        "\xc3(",                  /* bad continuation */
        "\xc0\xaf",               /* overlong */
        "\xed\xa0\x80",           /* surrogate */
        "\xf4\x90\x80\x80",       /* beyond U+10FFFF */
        "\xff",                   /* invalid byte */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (title_str(bad[i]) != ERR_INVALID)
            fail_msg("title %zu accepted", i);
    }
    assert_int_equal(memo_title_check("nul\0inside", 10), ERR_INVALID);
    assert_int_equal(memo_title_check(NULL, 0), ERR_INVALID);
    assert_int_equal(memo_title_check(NULL, 3), ERR_INVALID);
}

static void test_body_rules(void **state)
{
    size_t len;
    char *s;

    (void)state;
    assert_int_equal(memo_body_check("", 0), 0);
    assert_int_equal(memo_body_check(NULL, 0), 0);
    assert_int_equal(memo_body_check("a\r\nb\r\n", 6), 0);
    assert_int_equal(memo_body_check("a\rb\n\tc", 6), 0);
    assert_int_equal(memo_body_check("caf\xc3\xa9 \xf0\x9f\x98\x80", 10), 0);

    /* exactly 200 KiB is fine, one more byte is not */
    s = repeat("a", MEMO_BODY_MAX, &len);
    assert_int_equal(len, 200 * 1024);
    assert_int_equal(memo_body_check(s, len), 0);
    free(s);
    s = repeat("a", MEMO_BODY_MAX + 1, &len);
    assert_int_equal(memo_body_check(s, len), ERR_TOO_LARGE);
    free(s);
    /* the limit counts bytes, not code points */
    s = repeat("\xc3\xa9", MEMO_BODY_MAX / 2, &len);
    assert_int_equal(memo_body_check(s, len), 0);
    free(s);
    s = repeat("\xc3\xa9", MEMO_BODY_MAX / 2 + 1, &len);
    assert_int_equal(memo_body_check(s, len), ERR_TOO_LARGE);
    free(s);

    assert_int_equal(memo_body_check("a\0b", 3), ERR_INVALID);
    assert_int_equal(memo_body_check("\0", 1), ERR_INVALID);
    assert_int_equal(memo_body_check("bell\x07", 5), ERR_INVALID);
    assert_int_equal(memo_body_check("esc\x1b[0m", 7), ERR_INVALID);
    assert_int_equal(memo_body_check("del\x7f", 4), ERR_INVALID);
    assert_int_equal(memo_body_check("nel\xc2\x85", 5), ERR_INVALID);
    assert_int_equal(memo_body_check("\x0c", 1), ERR_INVALID);
    assert_int_equal(memo_body_check("\x0b", 1), ERR_INVALID);
    assert_int_equal(memo_body_check("bad \xc3", 5), ERR_INVALID);
    assert_int_equal(memo_body_check("\xed\xa0\x80", 3), ERR_INVALID);
    assert_int_equal(memo_body_check("\xc0\x80", 2), ERR_INVALID);
    assert_int_equal(memo_body_check(NULL, 1), ERR_INVALID);
}

static void test_id(void **state)
{
    char a[MEMO_ID_LEN + 1], b[MEMO_ID_LEN + 1];

    (void)state;
    assert_true(memo_id_valid(ID));
    assert_true(memo_id_valid("ffffffffffffffffffffffff"));
    assert_false(memo_id_valid("0123456789ABCDEF01234567"));
    assert_false(memo_id_valid("0123456789abcdef0123456"));
    assert_false(memo_id_valid("0123456789abcdef012345678"));
    assert_false(memo_id_valid("0123456789abcdef0123456g"));
    assert_false(memo_id_valid(""));
    assert_false(memo_id_valid(NULL));
    memo_id_new(a);
    memo_id_new(b);
    assert_true(memo_id_valid(a));
    assert_true(memo_id_valid(b));
    assert_string_not_equal(a, b);
}

/* ---- canonical text -------------------------------------------------------------------- */

/* memo_canonical_text() with ID and TITLE; the result must equal @want. */
static void expect_canon_body(const char *body, size_t body_len, const char *want_body)
{
    char want[512];
    char *out = NULL;
    size_t outlen = 0;

    snprintf(want, sizeof(want), "dissent-memo/v1\nid " ID "\ntitle " TITLE "\n\n%s", want_body);
    assert_int_equal(memo_canonical_text(ID, TITLE, strlen(TITLE), body, body_len, &out, &outlen),
                     0);
    assert_int_equal(outlen, strlen(out));
    assert_string_equal(out, want);
    free(out);
}

static void test_canonical_literal(void **state)
{
    static const char body[] = "First line.\r\nSecond line.\r\n\r\n";
    static const char want[] = "dissent-memo/v1\n"
                               "id 0123456789abcdef01234567\n"
                               "title R\xc3\xa9sum\xc3\xa9 of the policy\n"
                               "\n"
                               "First line.\n"
                               "Second line.\n";
    char *out = NULL;
    size_t outlen = 0;

    (void)state;
    assert_int_equal(
        memo_canonical_text(ID, TITLE, strlen(TITLE), body, strlen(body), &out, &outlen), 0);
    assert_non_null(out);
    assert_int_equal(outlen, sizeof(want) - 1);
    assert_memory_equal(out, want, outlen);
    assert_int_equal(out[outlen], '\0');
    free(out);
}

static void test_canonical_normalise(void **state)
{
    (void)state;
    expect_canon_body("a\r\nb\rc", 6, "a\nb\nc\n");
    expect_canon_body("a\r\r\nb", 5, "a\n\nb\n");
    expect_canon_body("a\n\r\nb", 5, "a\n\nb\n");
    expect_canon_body("a", 1, "a\n");
    expect_canon_body("a\n", 2, "a\n");
    expect_canon_body("a\n\n\n", 4, "a\n");
    expect_canon_body("a\r\n\r\n\r\n", 7, "a\n");
    expect_canon_body("a\r\r\r", 4, "a\n");
    expect_canon_body("a\n\r\n\r", 5, "a\n");
    expect_canon_body("", 0, "\n");
    expect_canon_body("\n", 1, "\n");
    expect_canon_body("\n\n\n", 3, "\n");
    expect_canon_body("\r\n", 2, "\n");
    expect_canon_body("\r", 1, "\n");
    /* leading blank lines, inner blank lines and trailing spaces stay */
    expect_canon_body("\n\na\n\n\nb  \n", 10, "\n\na\n\n\nb  \n");
    expect_canon_body("a \n \n", 5, "a \n \n");
    expect_canon_body("\ttab\n", 5, "\ttab\n");
}

static void test_canonical_reject(void **state)
{
    char *out = (char *)1;
    size_t outlen = 7, len;
    char *big;

    (void)state;
    assert_int_equal(memo_canonical_text("0123456789ABCDEF01234567", "t", 1, "b", 1, &out, &outlen),
                     ERR_INVALID);
    assert_null(out);
    assert_int_equal(outlen, 0);
    assert_int_equal(memo_canonical_text(ID, "", 0, "b", 1, &out, &outlen), ERR_INVALID);
    assert_int_equal(memo_canonical_text(ID, "a\nb", 3, "b", 1, &out, &outlen), ERR_INVALID);
    assert_int_equal(memo_canonical_text(ID, "t", 1, "a\0b", 3, &out, &outlen), ERR_INVALID);
    assert_int_equal(memo_canonical_text(ID, "t", 1, "\xc3", 1, &out, &outlen), ERR_INVALID);
    big = repeat("a", MEMO_BODY_MAX + 1, &len);
    assert_int_equal(memo_canonical_text(ID, "t", 1, big, len, &out, &outlen), ERR_INVALID);
    assert_null(out);
    free(big);
}

/* Split @text (NUL-terminated) and check the parts. */
static void expect_split(const char *text, const char *id, const char *title, const char *body)
{
    char got_id[MEMO_ID_LEN + 1];
    const char *t, *b;
    size_t tl, bl;

    assert_int_equal(memo_canonical_split(text, strlen(text), got_id, &t, &tl, &b, &bl), 0);
    assert_string_equal(got_id, id);
    assert_int_equal(tl, strlen(title));
    assert_memory_equal(t, title, tl);
    assert_int_equal(bl, strlen(body));
    assert_memory_equal(b, body, bl);
}

static void test_canonical_roundtrip(void **state)
{
    static const char *const bodies[] = {"",           "\n",        "x",          "a\r\nb\r\n\r\n",
                                         "\n\nlead\n", "\ttab\rcr", "caf\xc3\xa9"};
    char id[MEMO_ID_LEN + 1], id2[MEMO_ID_LEN + 1];
    char *out = NULL, *again = NULL;
    const char *t, *b;
    size_t outlen, againlen, tl, bl, len;
    char *big;

    (void)state;
    expect_split("dissent-memo/v1\nid " ID "\ntitle " TITLE "\n\nFirst line.\nSecond line.\n", ID,
                 TITLE, "First line.\nSecond line.\n");
    expect_split("dissent-memo/v1\nid " ID "\ntitle t\n\n\n", ID, "t", "\n");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        memo_id_new(id);
        assert_int_equal(memo_canonical_text(id, TITLE, strlen(TITLE), bodies[i], strlen(bodies[i]),
                                             &out, &outlen),
                         0);
        assert_int_equal(memo_canonical_split(out, outlen, id2, &t, &tl, &b, &bl), 0);
        assert_string_equal(id2, id);
        assert_int_equal(tl, strlen(TITLE));
        assert_memory_equal(t, TITLE, tl);
        /* canonical parts give the same canonical text back */
        assert_int_equal(memo_canonical_text(id2, t, tl, b, bl, &again, &againlen), 0);
        assert_int_equal(againlen, outlen);
        assert_memory_equal(again, out, outlen);
        free(again);
        free(out);
    }

    /* the largest body: 200 KiB without a final LF becomes 200 KiB + 1 */
    big = repeat("a", MEMO_BODY_MAX, &len);
    assert_int_equal(memo_canonical_text(ID, "t", 1, big, len, &out, &outlen), 0);
    assert_int_equal(memo_canonical_split(out, outlen, id, &t, &tl, &b, &bl), 0);
    assert_int_equal(bl, MEMO_BODY_MAX + 1);
    free(out);
    free(big);
}

static void test_canonical_split_reject(void **state)
{
    static const char *const bad[] = {
        "",
        "dissent-memo/v1\n",
        "dissent-memo/v2\nid " ID "\ntitle t\n\nbody\n",
        "Dissent-memo/v1\nid " ID "\ntitle t\n\nbody\n",
        "dissent-memo/v1\r\nid " ID "\ntitle t\n\nbody\n",
        "dissent-memo/v1\nid 0123456789ABCDEF01234567\ntitle t\n\nbody\n",
        "dissent-memo/v1\nid 0123456789abcdef0123456\ntitle t\n\nbody\n",
        "dissent-memo/v1\nid 0123456789abcdef012345678\ntitle t\n\nbody\n",
        "dissent-memo/v1\nid  " ID "\ntitle t\n\nbody\n",
        "dissent-memo/v1\nid " ID " \ntitle t\n\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitle  \n\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitle \n\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitle a\tb\n\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitle t\r\n\nbody\n",
        "dissent-memo/v1\nid " ID "\nTitle t\n\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitlet\n\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitle t\nbody\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\nbody",
        "dissent-memo/v1\nid " ID "\ntitle t\n\nbody\n\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\n\n\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\nbody\r\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\na\rb\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\nbell\x07\n",
        "dissent-memo/v1\nid " ID "\ntitle t\n\nbad \xc3\n",
        "dissent-memo/v1\nid " ID "\ntitle t",
        "dissent-memo/v1\nid " ID,
    };
    char id[MEMO_ID_LEN + 1] = "x";
    const char *t = "x", *b = "x";
    size_t tl = 1, bl = 1, len;
    char *big, *text;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (memo_canonical_split(bad[i], strlen(bad[i]), id, &t, &tl, &b, &bl) != ERR_INVALID)
            fail_msg("split accepted text %zu", i);
        assert_string_equal(id, "");
        assert_null(t);
        assert_null(b);
        assert_int_equal(tl + bl, 0);
    }
    /* a NUL inside the body */
    {
        static const char nul[] = "dissent-memo/v1\nid " ID "\ntitle t\n\na\0b\n";

        assert_int_equal(memo_canonical_split(nul, sizeof(nul) - 1, id, &t, &tl, &b, &bl),
                         ERR_INVALID);
    }
    /* a body over the limit */
    big = repeat("a", MEMO_BODY_MAX + 1, &len);
    text = malloc(len + 100);
    assert_non_null(text);
    len = (size_t)snprintf(text, len + 100, "dissent-memo/v1\nid " ID "\ntitle t\n\n%s\n", big);
    assert_int_equal(memo_canonical_split(text, len, id, &t, &tl, &b, &bl), ERR_INVALID);
    free(text);
    free(big);
    assert_int_equal(memo_canonical_split(NULL, 0, id, &t, &tl, &b, &bl), ERR_INVALID);
}

static void test_digest_literal(void **state)
{
    static const char body[] = "First line.\nSecond line.";
    uint8_t want[HASH_SHA256_LEN], got[HASH_SHA256_LEN];
    char b64[MEMO_DIGEST_B64_LEN + 1];
    char *out = NULL;
    size_t outlen;

    (void)state;
    hex_to_bin(EXAMPLE_HEX, want, sizeof(want));
    assert_int_equal(
        memo_canonical_text(ID, TITLE, strlen(TITLE), body, strlen(body), &out, &outlen), 0);
    memo_digest(out, outlen, got);
    assert_memory_equal(got, want, HASH_SHA256_LEN);
    memo_digest_b64(got, b64);
    assert_int_equal(strlen(b64), MEMO_DIGEST_B64_LEN);
    assert_string_equal(b64, EXAMPLE_B64);
    free(out);
}

/* ---- co-signature and reply texts ------------------------------------------------------ */

static void test_cosign_text(void **state)
{
    static const char want[] = "dissent-cosignature/v1\n"
                               "memo 0123456789abcdef01234567\n"
                               "digest " EXAMPLE_B64 "\n"
                               "signer alice\n";
    char out[MEMO_COSIGN_TEXT_MAX], id[MEMO_ID_LEN + 1], signer[65], longest[65];
    uint8_t digest[HASH_SHA256_LEN], back[HASH_SHA256_LEN];

    (void)state;
    hex_to_bin(EXAMPLE_HEX, digest, sizeof(digest));
    assert_int_equal(memo_cosign_text(ID, digest, "alice", out, sizeof(out)), 0);
    assert_string_equal(out, want);
    assert_int_equal(memo_cosign_parse(out, strlen(out), id, back, signer), 0);
    assert_string_equal(id, ID);
    assert_memory_equal(back, digest, HASH_SHA256_LEN);
    assert_string_equal(signer, "alice");

    /* the longest username fills MEMO_COSIGN_TEXT_MAX exactly */
    memset(longest, 'z', 64);
    longest[64] = '\0';
    assert_int_equal(memo_cosign_text(ID, digest, longest, out, sizeof(out)), 0);
    assert_int_equal(strlen(out), MEMO_COSIGN_TEXT_MAX - 1);
    assert_int_equal(memo_cosign_parse(out, strlen(out), id, back, signer), 0);
    assert_string_equal(signer, longest);
    assert_int_equal(memo_cosign_text(ID, digest, longest, out, sizeof(out) - 1), ERR_TOO_LARGE);
    assert_string_equal(out, "");
    assert_int_equal(memo_cosign_text(ID, digest, "a.b-c_9", out, 10), ERR_TOO_LARGE);

    assert_int_equal(memo_cosign_text("0123", digest, "alice", out, sizeof(out)), ERR_INVALID);
    assert_int_equal(memo_cosign_text(ID, digest, "Alice", out, sizeof(out)), ERR_INVALID);
    assert_int_equal(memo_cosign_text(ID, digest, "", out, sizeof(out)), ERR_INVALID);
    assert_int_equal(memo_cosign_text(ID, digest, "a\nb", out, sizeof(out)), ERR_INVALID);
    assert_int_equal(memo_cosign_text(ID, digest, NULL, out, sizeof(out)), ERR_INVALID);
    {
        char too_long[66];

        memset(too_long, 'z', 65);
        too_long[65] = '\0';
        assert_int_equal(memo_cosign_text(ID, digest, too_long, out, sizeof(out)), ERR_INVALID);
    }
}

static void test_cosign_parse_reject(void **state)
{
#define L1 "dissent-cosignature/v1\n"
#define L2 "memo " ID "\n"
#define L3 "digest " EXAMPLE_B64 "\n"
#define L4 "signer alice\n"
    static const char *const bad[] = {
        "",
        L1 L2 L3,
        L1 L2 L3 "signer alice",
        L1 L2 L3 L4 "\n",
        L1 L2 L3 L4 "extra line\n",
        "dissent-cosignature/v2\n" L2 L3 L4,
        "\n" L1 L2 L3 L4,
        L1 L3 L2 L4,
        L1 L2 L4 L3,
        L1 "memo 0123456789ABCDEF01234567\n" L3 L4,
        L1 "memo 0123456789abcdef0123456\n" L3 L4,
        L1 "memo  " ID "\n" L3 L4,
        L1 "memo " ID " \n" L3 L4,
        L1 L2 "digest P8eMa98MRkuNVHts0XQFDVwRcxJttRvF/q6ILLB20AE\n" L4,
        L1 L2 "digest P8eMa98MRkuNVHts0XQFDVwRcxJttRvF/q6ILLB20AF=\n" L4,
        L1 L2 "digest P8eMa98MRkuNVHts0XQFDVwRcxJttRvF_q6ILLB20AE=\n" L4,
        L1 L2 "digest P8eMa98MRkuNVHts0XQFDVwRcxJttRvF/q6ILLB20A==\n" L4,
        L1 L2 "digest  " EXAMPLE_B64 "\n" L4,
        L1 L2 "digest " EXAMPLE_B64 " \n" L4,
        L1 L2 L3 "signer Alice\n",
        L1 L2 L3 "signer \n",
        L1 L2 L3 "signer alice \n",
        L1 L2 L3 "signer al ice\n",
        L1 L2 L3 "signer alice\r\n",
        L1 L2 L3 "signer "
                 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n",
        "dissent-cosignature/v1\r\n" L2 L3 L4,
        L1 "memo:" ID "\n" L3 L4,
    };
#undef L1
#undef L2
#undef L3
#undef L4
    char id[MEMO_ID_LEN + 1] = "x", signer[65] = "x";
    uint8_t digest[HASH_SHA256_LEN], zero[HASH_SHA256_LEN] = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(digest, 0xAA, sizeof(digest));
        if (memo_cosign_parse(bad[i], strlen(bad[i]), id, digest, signer) != ERR_INVALID)
            fail_msg("cosign text %zu accepted", i);
        assert_string_equal(id, "");
        assert_string_equal(signer, "");
        assert_memory_equal(digest, zero, HASH_SHA256_LEN);
    }
}

static void test_reply_text(void **state)
{
    static const char want[] = "dissent-reply/v1\n"
                               "memo 0123456789abcdef01234567\n"
                               "digest " EXAMPLE_B64 "\n"
                               "reply " REPLY_B64 "\n";
    uint8_t md[HASH_SHA256_LEN], rd[HASH_SHA256_LEN];
    char out[MEMO_REPLY_TEXT_MAX];

    (void)state;
    hex_to_bin(EXAMPLE_HEX, md, sizeof(md));
    memo_digest("reply text\n", 11, rd);
    assert_int_equal(memo_reply_text(ID, md, rd, out, sizeof(out)), 0);
    assert_string_equal(out, want);
    assert_int_equal(strlen(out), MEMO_REPLY_TEXT_MAX - 1);
    assert_int_equal(memo_reply_text(ID, md, rd, out, sizeof(out) - 1), ERR_TOO_LARGE);
    assert_string_equal(out, "");
    assert_int_equal(memo_reply_text("nope", md, rd, out, sizeof(out)), ERR_INVALID);
    assert_int_equal(memo_reply_text(NULL, md, rd, out, sizeof(out)), ERR_INVALID);
}

/* docs/formats.md, "Attached files: dissent-memo/v2": the example, byte for byte. */
#define V2_TEXT                                                                                    \
    "dissent-memo/v2\nid " ID "\ntitle " TITLE "\n"                                                \
    "file zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= 9 text/plain annex A.txt\n"                 \
    "file SS1epJYFbxpqZZIkEDL6t2TDIVljF5MLT6Dh6Lw7dHA= 8 text/csv donn\xc3\xa9"                    \
    "es.csv\n"                                                                                     \
    "\nFirst line.\nSecond line.\n"

static void v2_files(struct memo_file f[2])
{
    memset(f, 0, 2 * sizeof(*f));
    memo_digest("Annex A.\n", 9, f[0].sha256);
    f[0].size = 9;
    snprintf(f[0].type, sizeof(f[0].type), "text/plain");
    snprintf(f[0].name, sizeof(f[0].name), "annex A.txt");
    memo_digest("a,b\n1,2\n", 8, f[1].sha256);
    f[1].size = 8;
    snprintf(f[1].type, sizeof(f[1].type), "text/csv");
    snprintf(f[1].name, sizeof(f[1].name),
             "donn\xc3\xa9"
             "es.csv");
}

static void test_canonical_v2_literal(void **state)
{
    const char *body = "First line.\r\nSecond line.\r\n\r\n";
    struct memo_file f[2], *got = NULL;
    uint8_t digest[HASH_SHA256_LEN];
    char b64[MEMO_DIGEST_B64_LEN + 1], id[MEMO_ID_LEN + 1], *out = NULL;
    const char *t, *b;
    size_t outlen = 0, n = 0, tl, bl;

    (void)state;
    v2_files(f);
    assert_int_equal(
        memo_canonical_files(ID, TITLE, strlen(TITLE), body, strlen(body), f, 2, &out, &outlen), 0);
    assert_int_equal(outlen, 248);
    assert_string_equal(out, V2_TEXT);
    memo_digest(out, outlen, digest);
    memo_digest_b64(digest, b64);
    assert_string_equal(b64, "ueS5jbVFoEx0kmqW4KvN0sLbJy8oPrzI/uCIMJ5uPKE=");
    /* split and list give the parts back */
    assert_int_equal(memo_canonical_split(out, outlen, id, &t, &tl, &b, &bl), 0);
    assert_string_equal(id, ID);
    assert_int_equal(tl, strlen(TITLE));
    assert_memory_equal(b, "First line.\nSecond line.\n", bl);
    assert_int_equal(memo_canonical_list(out, outlen, &got, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(got, f, sizeof(f));
    free(got);
    free(out);
    /* no file: version 1, as ever; and a v1 text lists none */
    assert_int_equal(
        memo_canonical_files(ID, TITLE, strlen(TITLE), body, strlen(body), f, 0, &out, &outlen), 0);
    assert_true(strncmp(out, "dissent-memo/v1\n", 16) == 0);
    assert_int_equal(memo_canonical_list(out, outlen, &got, &n), 0);
    assert_int_equal(n, 0);
    assert_null(got);
    free(out);
}

static void test_canonical_v2_reject(void **state)
{
    static const char *const bad[] = {
        /* no file line in v2; a file line in v1 */
        "dissent-memo/v2\nid " ID "\ntitle t\n\nb\n",
        "dissent-memo/v1\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain a\n\nb\n",
        /* a size with a leading zero, a sign, too large; a bad digest */
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "09 text/plain a\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "+9 text/plain a\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9007199254740992 text/plain a\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQR "
        "9 text/plain a\n\nb\n",
        /* a type in capitals or with parameters; a name with a slash, an override, a space
         * last, none at all */
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 Text/plain a\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain;x=y a\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain a/b\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain a\xe2\x80\xaetxt.exe\n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain a \n\nb\n",
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain \n\nb\n",
        /* the same name twice */
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain a\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= 9 text/plain a\n\nb\n",
        /* a file line without its empty line after */
        "dissent-memo/v2\nid " ID "\ntitle t\nfile zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= "
        "9 text/plain a\nb\n",
    };
    struct memo_file f[2], *got = NULL;
    char id[MEMO_ID_LEN + 1], *out = NULL;
    const char *t, *b;
    size_t tl, bl, n = 0, outlen = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (memo_canonical_split(bad[i], strlen(bad[i]), id, &t, &tl, &b, &bl) != ERR_INVALID)
            fail_msg("accepted bad[%zu]", i);
        assert_int_equal(memo_canonical_list(bad[i], strlen(bad[i]), &got, &n), ERR_INVALID);
        assert_null(got);
    }
    {
        /* a NUL inside a file line (the type "text/plain\0zz" read as "text/plain") */
        static const char nul[] =
            "dissent-memo/v2\nid " ID "\ntitle t\nfile "
            "zT6O1hk02ub33dnIMLVZAYgyvMTFcDZsfANrmiRwlQQ= 9 text/plain\0zz a\n\nb\n";
        assert_int_equal(memo_canonical_split(nul, sizeof(nul) - 1, id, &t, &tl, &b, &bl),
                         ERR_INVALID);
    }
    /* what cannot be written: two of one name, a bad type, more than MEMO_FILES_MAX */
    v2_files(f);
    snprintf(f[1].name, sizeof(f[1].name), "annex A.txt");
    assert_int_equal(memo_canonical_files(ID, "t", 1, "b", 1, f, 2, &out, &outlen), ERR_INVALID);
    v2_files(f);
    snprintf(f[1].type, sizeof(f[1].type), "csv");
    assert_int_equal(memo_canonical_files(ID, "t", 1, "b", 1, f, 2, &out, &outlen), ERR_INVALID);
    assert_null(out);
}

static void test_file_rules(void **state)
{
    static const char *const names_ok[] = {"a",   "annex A.pdf", "r\xc3\xa9sum\xc3\xa9.txt",
                                           "...", ".hidden",     "\xd8\xaa\xd9\x82.txt"};
    static const char *const names_bad[] = {"",
                                            ".",
                                            "..",
                                            "a/b",
                                            "a\\b",
                                            " a",
                                            "a ",
                                            "a\tb",
                                            "a\x7f",
                                            "a\xe2\x81\xa6"
                                            "b",
                                            "\xe2\x80\xa8",
                                            "\xc3"};
    static const char *const types_ok[] = {"application/pdf", "text/plain", "image/svg+xml",
                                           "application/vnd.ms-excel", "x/y"};
    static const char *const types_bad[] = {
        "", "pdf", "Text/plain", "text/", "/x", "text/plain;", "a/b/c", "-a/b", "a/b c"};
    char long_name[MEMO_FILE_NAME_MAX + 2];

    (void)state;
    for (size_t i = 0; i < sizeof(names_ok) / sizeof(names_ok[0]); i++)
        assert_int_equal(memo_file_name_check(names_ok[i], strlen(names_ok[i])), 0);
    for (size_t i = 0; i < sizeof(names_bad) / sizeof(names_bad[0]); i++)
        if (memo_file_name_check(names_bad[i], strlen(names_bad[i])) != ERR_INVALID)
            fail_msg("name accepted: bad[%zu]", i);
    memset(long_name, 'n', sizeof(long_name));
    assert_int_equal(memo_file_name_check(long_name, MEMO_FILE_NAME_MAX), 0);
    assert_int_equal(memo_file_name_check(long_name, MEMO_FILE_NAME_MAX + 1), ERR_INVALID);
    for (size_t i = 0; i < sizeof(types_ok) / sizeof(types_ok[0]); i++)
        assert_int_equal(memo_file_type_check(types_ok[i]), 0);
    for (size_t i = 0; i < sizeof(types_bad) / sizeof(types_bad[0]); i++)
        if (memo_file_type_check(types_bad[i]) != ERR_INVALID)
            fail_msg("type accepted: bad[%zu]", i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_v2_literal),
        cmocka_unit_test(test_canonical_v2_reject),
        cmocka_unit_test(test_file_rules),
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_transition_paths),
        cmocka_unit_test(test_transition_range),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_title_length),
        cmocka_unit_test(test_title_reject),
        cmocka_unit_test(test_body_rules),
        cmocka_unit_test(test_id),
        cmocka_unit_test(test_canonical_literal),
        cmocka_unit_test(test_canonical_normalise),
        cmocka_unit_test(test_canonical_reject),
        cmocka_unit_test(test_canonical_roundtrip),
        cmocka_unit_test(test_canonical_split_reject),
        cmocka_unit_test(test_digest_literal),
        cmocka_unit_test(test_cosign_text),
        cmocka_unit_test(test_cosign_parse_reject),
        cmocka_unit_test(test_reply_text),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
