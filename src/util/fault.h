/*
 * fault.h - fault switches for tests: a way to make this process misbehave on purpose (a
 * witness killed in the middle of a write, a server that lies to its monitors) so that a test
 * can show the misbehaviour is caught.
 *
 * DISSENT_FAULTS in the environment lists the switches on, comma-separated. Only a build
 * configured with -Dfaults=true compiles them in (scripts/build.sh's sanitizer tree, build-asan,
 * where the tests that need them run; `dissent version` says so); every other build compiles
 * fault_on() to false, so a server built to serve has no switch to throw. The switches, and where
 * they are thrown:
 *   witness-kill-mid-write   witness/witness.c: SIGKILL with half of a state file written
 *   stats-lie                api/stats.c: one more decline than the log has
 *   public-lie               api/public.c: /public's figures say one more withdrawal
 *   checkpoint-fork          api/log.c: a checkpoint of another root, signed with the log's key
 *   checkpoint-strip-cosigs  api/log.c: the checkpoint without its witnesses' cosignatures
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
