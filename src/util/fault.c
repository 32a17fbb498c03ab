/*
 * fault.c - fault switches for tests (util/fault.h); empty in builds without them.
 */
#include "util/fault.h"

#ifdef DISSENT_FAULTS

#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FAULTS_MAX 512 /* bytes of DISSENT_FAULTS read */

static char faults[FAULTS_MAX + 2];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    const char *v = getenv("DISSENT_FAULTS");
    size_t n;

    if (v == NULL || *v == '\0')
        return;
    n = strnlen(v, FAULTS_MAX);
    /* ",a,b," so that a switch is found as ",name," */
    faults[0] = ',';
    memcpy(faults + 1, v, n);
    faults[n + 1] = ',';
    log_warn("fault switches on: %.*s (a test build; never in production)", (int)n, v);
}

bool fault_on(const char *name)
{
    char needle[128];
    size_t n = strlen(name);

    pthread_once(&once, load);
    if (faults[0] == '\0' || n + 3 > sizeof(needle))
        return false;
    needle[0] = ',';
    memcpy(needle + 1, name, n);
    needle[n + 1] = ',';
    needle[n + 2] = '\0';
    return strstr(faults, needle) != NULL;
}

#else

/* ISO C wants a translation unit to declare something */
typedef int fault_unused;

#endif
