#include "testutil.h"

#include "util/config.h"
#include "util/err.h"
#include "util/strutil.h"

#include <stdio.h>
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
    char err[128];

    config_defaults(&c);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(file_overrides_defaults),
        cmocka_unit_test(rejects_unknown_and_out_of_range),
        cmocka_unit_test(set_validates),
        cmocka_unit_test(mail_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
