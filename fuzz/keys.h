/*
 * keys.h - the fixed log key of the fuzz targets: the seed generator (gen_seeds.c) signs its
 * checkpoints and receipts with it, so the seeds reach the code after signature checks.
 * Not secret: it exists only here.
 */
#ifndef DISSENT_FUZZ_KEYS_H
#define DISSENT_FUZZ_KEYS_H

#include "crypto/note.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_ORIGIN "dissent.example/log"

/* The signer key named FUZZ_ORIGIN with seed 1, 2, ..., 32 (aborts on failure). */
static inline void fuzz_log_skey(struct note_skey *sk)
{
    uint8_t seed[NOTE_SEED_LEN];

    for (size_t i = 0; i < sizeof(seed); i++)
        seed[i] = (uint8_t)(i + 1);
    if (note_skey_from_seed(FUZZ_ORIGIN, strlen(FUZZ_ORIGIN), seed, sk) != 0)
        abort();
}

/* Its verifier key. */
static inline void fuzz_log_vkey(struct note_vkey *vk)
{
    struct note_skey sk;

    fuzz_log_skey(&sk);
    note_skey_vkey(&sk, vk);
    note_skey_clear(&sk);
}

#endif
