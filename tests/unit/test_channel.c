#include "testutil.h"

#include "core/channel.h"
#include "util/err.h"

#include <stdio.h>
#include <sys/stat.h>

static void spans(void **state)
{
    struct deadline_span s;

    assert_int_equal(channel_span_parse("30 working-days", &s), 0);
    assert_int_equal(s.unit, DEADLINE_UNIT_WORKING_DAYS);
    assert_int_equal(s.count, 30);
    assert_int_equal(channel_span_parse("7 days", &s), 0);
    assert_int_equal(s.unit, DEADLINE_UNIT_CALENDAR_DAYS);
    assert_int_equal(channel_span_parse("3 months", &s), 0);
    assert_int_equal(s.unit, DEADLINE_UNIT_MONTHS);
    assert_int_equal(channel_span_parse("3 weeks", &s), ERR_INVALID);
    assert_int_equal(channel_span_parse("days", &s), ERR_INVALID);
    assert_int_equal(channel_span_parse("-1 days", &s), ERR_INVALID);
    assert_int_equal(channel_span_parse("3 days x", &s), ERR_INVALID);
}

static void init_and_key_file(void **state)
{
    char dir[64], path[128], err[256] = "";
    struct store *st = testutil_store(dir);
    struct channel a, b;
    struct config cfg;
    struct stat sb;

    config_defaults(&cfg);
    snprintf(cfg.principals, sizeof(cfg.principals), "sec, dep.sec ,  ops");
    snprintf(cfg.closures, sizeof(cfg.closures), "2026-12-24, 2026-12-31");
    snprintf(cfg.reply, sizeof(cfg.reply), "20 working-days");
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), 0);
    assert_int_equal(a.nprincipals, 3);
    assert_string_equal(a.principals[1], "dep.sec");
    assert_int_equal(a.policy.reply.count, 20);
    assert_int_equal(a.calendar.nclosures, 2);
    snprintf(path, sizeof(path), "%s/%s", dir, CHANNEL_KEY_FILE);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* a second start loads the same key */
    assert_int_equal(channel_init(&b, &cfg, dir, err, sizeof(err)), 0);
    assert_memory_equal(a.key->sk, b.key->sk, sizeof(a.key->sk));
    channel_release(&a);
    channel_release(&b);

    snprintf(cfg.preset, sizeof(cfg.preset), "nope");
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "preset"));
    /* the calendar the preset implies, each setting overriding it */
    config_defaults(&cfg);
    assert_string_equal(channel_zone(&cfg), "America/New_York");
    assert_string_equal(channel_calendar(&cfg), "us-federal");
    assert_true(channel_inauguration(&cfg));
    assert_int_equal(config_set(&cfg, "channel", "inauguration_day", "false", err, sizeof(err)), 0);
    assert_false(channel_inauguration(&cfg));
    assert_int_equal(config_set(&cfg, "channel", "preset", "eu-directive", err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "channel", "inauguration_day", "", err, sizeof(err)), 0);
    assert_string_equal(channel_zone(&cfg), "UTC");
    assert_string_equal(channel_calendar(&cfg), "none");
    assert_false(channel_inauguration(&cfg));
    /* the older switch still names a calendar; calendar replaces it */
    assert_int_equal(config_set(&cfg, "channel", "federal_holidays", "yes", err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "channel", "timezone", "Europe/Dublin", err, sizeof(err)), 0);
    assert_string_equal(channel_zone(&cfg), "Europe/Dublin");
    assert_string_equal(channel_calendar(&cfg), "us-federal");
    assert_int_equal(config_set(&cfg, "channel", "federal_holidays", "maybe", err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(config_set(&cfg, "channel", "calendar", "ie", err, sizeof(err)), 0);
    assert_string_equal(channel_calendar(&cfg), "ie");
    /* Inauguration Day goes with the US calendar: state-dept with Ireland's has none */
    assert_int_equal(config_set(&cfg, "channel", "preset", "state-dept", err, sizeof(err)), 0);
    assert_false(channel_inauguration(&cfg));
    assert_int_equal(config_set(&cfg, "channel", "inauguration_day", "on", err, sizeof(err)), 0);
    assert_true(channel_inauguration(&cfg));
    assert_int_equal(config_set(&cfg, "channel", "inauguration_day", "", err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "channel", "preset", "eu-directive", err, sizeof(err)), 0);
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "replaces"));
    assert_int_equal(config_set(&cfg, "channel", "federal_holidays", "", err, sizeof(err)), 0);
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), 0);
    assert_non_null(a.calendar.hol);
    assert_false(workdays_calendar_is_working(&a.calendar, 20089)); /* 2025-01-01 */
    assert_false(workdays_calendar_is_working(&a.calendar, 20164)); /* St Patrick's, Monday */
    assert_true(workdays_calendar_is_working(&a.calendar, 20165));
    channel_release(&a);
    assert_int_equal(config_set(&cfg, "channel", "calendar", "xx", err, sizeof(err)), 0);
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "us-federal"));
    config_defaults(&cfg);
    snprintf(cfg.timezone, sizeof(cfg.timezone), "Not/AZone");
    assert_int_not_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), 0);
    config_defaults(&cfg);
    snprintf(cfg.principals, sizeof(cfg.principals), "Bad Name");
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), ERR_INVALID);
    config_defaults(&cfg);
    cfg.clock_start = 1751554800; /* 2025-07-03T15:00:00Z */
    assert_int_equal(channel_init(&a, &cfg, dir, err, sizeof(err)), 0);
    assert_true(channel_now(&a) - 1751554800 < 5);
    channel_release(&a);
    store_close(st);
    testutil_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spans),
        cmocka_unit_test(init_and_key_file),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
