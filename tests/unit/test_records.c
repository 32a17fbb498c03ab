/*
 * test_records.c - which memos a legal hold covers (core/records.h): one memo by its id; a range
 * of days by the day the memo was created or filed, either (a draft created in the range stays
 * held once filed later); a lifted hold nothing; a hold changed outside Dissent everything.
 */
#include "testutil.h"

#include "core/records.h"

#define ID "0123456789abcdef01234567"

static void one_memo(void **state)
{
    struct store_hold h = {.from_day = -1, .to_day = -1};

    (void)state;
    snprintf(h.memo, sizeof(h.memo), ID);
    assert_true(records_hold_covers(&h, ID, 100, -1));
    assert_true(records_hold_covers(&h, ID, 100, 500));
    assert_false(records_hold_covers(&h, "fedcba9876543210fedcba98", 100, 100));
    h.lifted_at = 7;
    assert_false(records_hold_covers(&h, ID, 100, -1));
    h.tampered = true;
    assert_true(records_hold_covers(&h, "fedcba9876543210fedcba98", 1, -1));
}

static void a_range_of_days(void **state)
{
    struct store_hold h = {.from_day = 100, .to_day = 110};

    (void)state;
    assert_true(records_hold_covers(&h, ID, 100, -1));  /* a draft created in it */
    assert_true(records_hold_covers(&h, ID, 105, 120)); /* ... filed after it: still held */
    assert_true(records_hold_covers(&h, ID, 90, 110));  /* created before, filed in it */
    assert_false(records_hold_covers(&h, ID, 99, -1));  /* a draft created the day before */
    assert_false(records_hold_covers(&h, ID, 90, 111)); /* created before, filed after */
    assert_false(records_hold_covers(&h, ID, 111, 112));
    h.lifted_at = 1;
    assert_false(records_hold_covers(&h, ID, 105, -1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_memo),
        cmocka_unit_test(a_range_of_days),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
