/*
 * fault.h - fault switches for tests: a way to make this process misbehave on purpose (a
 * witness killed in the middle of a write, a server that lies to its monitors) so that a test
 * can show the misbehaviour is caught.
 *
 * DISSENT_FAULTS in the environment lists the switches on, comma-separated. Only development
 * builds (meson buildtype debug or debugoptimized: scripts/build.sh's trees) compile them in;
 * every other build type compiles fault_on() to false, so a packaged server has no switch to
 * throw. The switches, and where they are thrown:
 *   witness-kill-mid-write   witness/witness.c: SIGKILL with half of a state file written
 */
#ifndef DISSENT_UTIL_FAULT_H
#define DISSENT_UTIL_FAULT_H

#include <stdbool.h>

#ifdef DISSENT_FAULTS
/** fault_on() - whether the switch @name is on (read from the environment once). */
bool fault_on(const char *name);
#else
static inline bool fault_on(const char *name)
{
    (void)name;
    return false;
}
#endif

#endif
