/*
 * The leak checker itself. CI runs the unit tests and the API suite against the sanitizer build
 * (scripts/build.sh asan) with LeakSanitizer on, and calls them leak-free when it reports
 * nothing; that only means something if it is really on. This test loses a block on purpose
 * and requires LeakSanitizer to find it, then frees it so the exit check stays clean. In a
 * build without the sanitizer it checks the allocation wrapper's own live count instead.
 */
#include "testutil.h"

#include "util/mem.h"

#include <stdint.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define HAVE_LSAN 1
#endif

/* The lost block's address, hidden from LeakSanitizer's scan of memory by an XOR. */
static volatile uintptr_t hidden;
#define MASK ((uintptr_t)0x5a5a5a5a5a5a5a5aULL)

static void __attribute__((noinline)) lose_a_block(void)
{
    char *p = mem_alloc(48);

    assert_non_null(p);
    memset(p, 'x', 48);
    hidden = (uintptr_t)p ^ MASK;
}

static void a_lost_block_is_found(void **state)
{
    long live = mem_live();

    lose_a_block();
    assert_int_equal(mem_live(), live + 1);
#ifdef HAVE_LSAN
    /* nonzero: leaks were found (and reported on stderr, which the TAP log keeps) */
    assert_int_not_equal(__lsan_do_recoverable_leak_check(), 0);
#endif
    mem_free((void *)(hidden ^ MASK));
    hidden = 0;
    assert_int_equal(mem_live(), live);
#ifdef HAVE_LSAN
    assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_lost_block_is_found),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
