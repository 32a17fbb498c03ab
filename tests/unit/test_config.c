#include "testutil.h"

#include "util/config.h"
#include "util/err.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void defaults(void **state)
{
    struct config c;

    config_defaults(&c);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.data_dir, "./var");
    assert_int_equal(c.max_body, 1024 * 1024);
    assert_int_equal(c.login_max_failures, 5);
    assert_int_equal(c.login_window, 900);
}

static void file_overrides_defaults(void **state)
{
    char path[] = "/tmp/dissent-cfg-XXXXXX";
    char err[256] = "";
    struct config c;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    write_file(path, "; comment\n[server]\nlisten = 0.0.0.0:9090\ndata = /srv/d\nworkers = 3\n"
                     "behind_tls = yes\n[session]\nidle_timeout = 600\n[security]\n"
                     "argon2_mem_kib = 16\n[log]\nlevel = warn\n");
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9090);
    assert_string_equal(c.data_dir, "/srv/d");
    assert_int_equal(c.workers, 3);
    assert_true(c.behind_tls);
    assert_int_equal(c.session_idle, 600);
    assert_int_equal(c.argon2_mem, 16 * 1024);
    assert_int_equal(c.log_level, 2);
    unlink(path);
}

/* The keys of a file as text, for SIGHUP's comparison: continuation lines joined, a change,
 * an addition and a removal each seen, the values' checks left to config_load_file(). */
static void file_entries_and_changes(void **state)
{
    char a[] = "/tmp/dissent-cfg-XXXXXX", b[] = "/tmp/dissent-cfg-XXXXXX";
    char err[256] = "";
    struct config_file fa, fb;
    struct config c;
    int fd;

    assert_true((fd = mkstemp(a)) >= 0);
    close(fd);
    assert_true((fd = mkstemp(b)) >= 0);
    close(fd);
    write_file(a, "[server]\nlisten = 127.0.0.1:1\n[tlog]\nwitnesses = u1 k1\n  u2 k2\n"
                  "[log]\nlevel = info\n");
    write_file(b, "[server]\nlisten = 127.0.0.1:2\n[tlog]\nwitnesses = u1 k1\n  u2 k2\n"
                  "[tls]\ncert = /c\nkey = relative\n");
    assert_int_equal(config_file_read(a, &fa, err, sizeof(err)), 0);
    assert_int_equal(config_file_read(b, &fb, err, sizeof(err)), 0);
    assert_string_equal(config_file_value(&fa, "tlog", "witnesses"), "u1 k1\nu2 k2");
    assert_null(config_file_value(&fa, "tls", "cert"));
    assert_true(config_file_changed(&fa, &fb, "server", "listen"));
    assert_false(config_file_changed(&fa, &fb, "tlog", "witnesses"));
    assert_true(config_file_changed(&fa, &fb, "log", "level"));  /* removed */
    assert_true(config_file_changed(&fa, &fb, "tls", "cert"));   /* added */
    assert_false(config_file_changed(&fa, &fb, "mail", "host")); /* in neither */
    config_file_free(&fa);
    config_file_free(&fb);
    /* the values themselves are checked by the loader: a relative key path is refused */
    write_file(b, "[tls]\ncert = /c\nkey = relative\n");
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, b, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "tls.key"));
    /* errors: no file, a syntax error */
    assert_int_equal(config_file_read("/nonexistent/dissent.ini", &fa, err, sizeof(err)), ERR_IO);
    write_file(a, "[server\nlisten = x\n");
    assert_int_equal(config_file_read(a, &fa, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "syntax error"));
    unlink(a);
    unlink(b);
}

static void rejects_unknown_and_out_of_range(void **state)
{
    char path[] = "/tmp/dissent-cfg-XXXXXX";
    char err[256] = "";
    struct config c;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    write_file(path, "[server]\nlisten = 127.0.0.1:1\nlsiten = 1\n");
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "lsiten"));
    assert_non_null(strstr(err, ":3"));

    write_file(path, "[server]\nmax_body = 10\n");
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "max_body"));

    write_file(path, "[nope]\nx = 1\n");
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "nope"));
    unlink(path);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), ERR_IO);
}

static void set_validates(void **state)
{
    struct config c;
    char err[128], many[400] = "";

    config_defaults(&c);
    /* [records]: the banner is one line; markings are at most 32, each at most 63 bytes */
    assert_int_equal(config_set(&c, "records", "marking", "SBU\nX", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(
        config_set(&c, "records", "marking", "SENSITIVE BUT UNCLASSIFIED", err, sizeof(err)), 0);
    assert_false(c.records_refuse_set);
    assert_int_equal(config_set(&c, "records", "refuse_markings", "A\tB", err, sizeof(err)),
                     ERR_INVALID);
    for (int i = 0; i < 33; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "M%d,", i);
    assert_int_equal(config_set(&c, "records", "refuse_markings", many, err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(config_set(&c, "records", "refuse_markings",
                                "0123456789012345678901234567890123456789012345678901234567890123",
                                err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(config_set(&c, "records", "refuse_markings", "", err, sizeof(err)), 0);
    assert_true(c.records_refuse_set);
    assert_int_equal(config_set(&c, "server", "origin", "ftp://x", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(config_set(&c, "server", "origin", "https://d.example", err, sizeof(err)), 0);
    assert_string_equal(c.origin, "https://d.example");
    assert_int_equal(config_set(&c, "server", "data", "", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(config_set(&c, "log", "level", "loud", err, sizeof(err)), ERR_INVALID);
}

/* [mail]: off by default; addresses fit for a header (no injection); the password file. */
static void mail_settings(void **state)
{
    static const char *const bad_addresses[] = {"",
                                                "a",
                                                "no-at.example",
                                                "@example.org",
                                                "a@",
                                                "a@b@c",
                                                "a b@example.org",
                                                "<a@example.org>",
                                                "a@example.org,b@example.org",
                                                "a@example.org\r\nBcc: x@example.org",
                                                "\"a\"@example.org"};
    char path[] = "/tmp/dissent-pw-XXXXXX", err[128];
    struct config c;
    int fd;

    config_defaults(&c);
    assert_false(c.mail_enabled);
    assert_int_equal(c.mail_port, 587);
    assert_int_equal(c.mail_starttls, MAIL_TLS_AUTO);
    for (size_t i = 0; i < sizeof(bad_addresses) / sizeof(bad_addresses[0]); i++) {
        assert_false(str_email_valid(bad_addresses[i]));
        assert_int_equal(config_set(&c, "mail", "from", bad_addresses[i], err, sizeof(err)),
                         ERR_INVALID);
    }
    assert_true(str_email_valid("dissent+alerts@mail.example.org"));
    assert_int_equal(config_set(&c, "mail", "from", "dissent@example.org", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "mail", "escalation", "", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "mail", "starttls", "always", err, sizeof(err)), 0);
    assert_int_equal(c.mail_starttls, MAIL_TLS_ALWAYS);
    assert_int_equal(config_set(&c, "mail", "starttls", "maybe", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(config_set(&c, "mail", "base_url", "https://d.example/#/x", err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(config_set(&c, "mail", "port", "0", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(config_set(&c, "mail", "colour", "blue", err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "unknown setting mail.colour"));

    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "pa ss\nsecond line\n");
    assert_int_equal(config_set(&c, "mail", "password_file", path, err, sizeof(err)), 0);
    assert_string_equal(c.mail_password, "pa ss");
    write_file(path, "\n");
    assert_int_equal(config_set(&c, "mail", "password_file", path, err, sizeof(err)), ERR_INVALID);
    unlink(path);
    assert_int_equal(config_set(&c, "mail", "password_file", path, err, sizeof(err)), ERR_INVALID);
    (void)state;
}

/* The default column of docs/config.md as the table would write it: the text before any " (",
 * without backticks; "(none)", "(preset)", "empty (...)" and the like: no default. */
static void doc_default(const char *cell, char *out, size_t len)
{
    const char *end;
    size_t n = 0;

    while (*cell == ' ')
        cell++;
    if (*cell == '(' || strncmp(cell, "empty", 5) == 0) {
        out[0] = '\0';
        return;
    }
    end = cell + strcspn(cell, "|"); /* the cell only */
    for (const char *p = cell; p + 1 < end; p++)
        if (p[0] == ' ' && p[1] == '(') {
            end = p;
            break;
        }
    while (end > cell && end[-1] == ' ')
        end--;
    for (const char *p = cell; p < end && n + 1 < len; p++)
        if (*p != '`')
            out[n++] = *p;
    out[n] = '\0';
}

/* docs/config.md's table and the one table of settings (config_settings()) name the same keys,
 * in the same order, with the same defaults: neither can change without the other. */
static void docs_table_matches_settings(void **state)
{
    FILE *f = fopen(SOURCE_ROOT "/docs/config.md", "r");
    const struct config_setting *s;
    char line[4096], sec[64], key[64], def[128], want[128];
    size_t count = 0, row = 0;
    int in_table = 0;

    (void)state;
    assert_non_null(f);
    s = config_settings(&count);
    assert_true(count > 40);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *cells[4];
        int ncells = 0;
        if (strncmp(line, "| section | key | default |", 27) == 0) {
            in_table = 1;
            continue;
        }
        if (!in_table || strncmp(line, "|---", 4) == 0)
            continue;
        if (line[0] != '|')
            break; /* the table's end */
        for (char *p = line; *p != '\0' && ncells < 4; p++)
            if (*p == '|')
                cells[ncells++] = p + 1;
        assert_int_equal(ncells, 4);
        assert_int_equal(sscanf(cells[0], " %63[^ |]", sec), 1);
        assert_int_equal(sscanf(cells[1], " %63[^ |]", key), 1);
        doc_default(cells[2], def, sizeof(def));
        if (row >= count)
            fail_msg("docs/config.md lists %s.%s, which config.c does not have", sec, key);
        if (strcmp(sec, s[row].section) != 0 || strcmp(key, s[row].key) != 0)
            fail_msg("row %zu: docs/config.md says %s.%s, config.c %s.%s", row + 1, sec, key,
                     s[row].section, s[row].key);
        snprintf(want, sizeof(want), "%s", s[row].def != NULL ? s[row].def : "");
        if (strcmp(def, want) != 0)
            fail_msg("%s.%s: docs/config.md's default is \"%s\", config.c's \"%s\"", sec, key, def,
                     want);
        row++;
    }
    fclose(f);
    if (row != count)
        fail_msg("config.c has %zu settings, docs/config.md lists %zu (the first missing: %s.%s)",
                 count, row, s[row].section, s[row].key);
}

/* And the comparison can fail: a default written otherwise is seen. */
static void doc_default_reads_the_cell(void **state)
{
    char def[64];

    (void)state;
    doc_default(" `127.0.0.1:8080` ", def, sizeof(def));
    assert_string_equal(def, "127.0.0.1:8080");
    doc_default(" 0 (one per core) ", def, sizeof(def));
    assert_string_equal(def, "0");
    doc_default(" (none) ", def, sizeof(def));
    assert_string_equal(def, "");
    doc_default(" 604800 (7 days) ", def, sizeof(def));
    assert_string_not_equal(def, "604801");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(file_overrides_defaults),
        cmocka_unit_test(rejects_unknown_and_out_of_range),
        cmocka_unit_test(file_entries_and_changes),
        cmocka_unit_test(set_validates),
        cmocka_unit_test(mail_settings),
        cmocka_unit_test(docs_table_matches_settings),
        cmocka_unit_test(doc_default_reads_the_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
