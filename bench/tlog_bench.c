/*
 * tlog_bench.c - the transparency log without the server: append throughput and proof latency
 * at a million entries, through the same interfaces the server uses (tlog_append() with a tile
 * source, proofs through a tile-backed hash reader). Tiles live in memory (tlog/memstore.h), so
 * the figures are the log code's own cost, without a database.
 *
 * Usage: tlog_bench [ENTRIES] [PROOFS]   (defaults 1000000 and 2000)
 *
 * Prints one "name: value" line per figure.
 */
#include "crypto/note.h"
#include "crypto/random.h"
#include "tlog/checkpoint.h"
#include "tlog/memstore.h"
#include "tlog/merkle.h"
#include "tlog/proof.h"
#include "tlog/tile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint8_t hash_t[HASH_SHA256_LEN];

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Print mean, median and 99th percentile of @v[0..@n) seconds, in microseconds. */
static void report_us(const char *name, double *v, size_t n)
{
    double sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += v[i];
    qsort(v, n, sizeof(*v), cmp_double);
    printf("%s: mean %.1f us, median %.1f us, p99 %.1f us (%zu samples)\n", name, sum / n * 1e6,
           v[n / 2] * 1e6, v[n * 99 / 100] * 1e6, n);
}

/* A deterministic pseudo-random sequence (xorshift64*), so runs are comparable. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Entry @i: about the size of a memo event entry (event, tag, date, counts, commitment). */
static size_t entry_text(uint64_t i, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "{\"event\":\"filed\",\"tag\":\"%016llx\",\"date\":\"2025-%02d-%02d\","
                     "\"signers\":%d,\"commitment\":\"%016llx%016llx\"}",
                     (unsigned long long)(i * 0x9e3779b97f4a7c15ull), (int)(i % 12) + 1,
                     (int)(i % 28) + 1, (int)(i % 40) + 1, (unsigned long long)i,
                     (unsigned long long)~i);

    return (size_t)n;
}

/*
 * Time @nproofs inclusion proofs in the log of @size leaves in @ms at indexes from @pick:
 * each through a fresh reader (@fresh: nothing cached, as a server without a cache) or through
 * one long-lived reader. Every proof is verified (not timed).
 */
static int time_proofs(const char *name, struct tlog_memstore *ms, uint64_t size, size_t nproofs,
                       bool fresh, uint64_t (*pick)(uint64_t), const hash_t root)
{
    struct tlog_tile_source src = tlog_memstore_source(ms);
    struct tlog_tile_reader *keep = NULL;
    double *t = malloc(nproofs * sizeof(*t));
    hash_t proof[TLOG_PROOF_MAX];
    int rc = 0;

    if (t == NULL || tlog_tile_reader_new(&src, 64, &keep) != 0)
        return -1;
    for (size_t k = 0; k < nproofs && rc == 0; k++) {
        uint64_t i = pick(size);
        struct tlog_tile_reader *r = keep;
        struct tlog_hash_reader hr;
        struct tlog_node leaf_node = {0, i};
        hash_t leaf;
        size_t n;
        double t0 = now();

        if (fresh)
            rc = tlog_tile_reader_new(&src, 8, &r);
        hr = tlog_tile_reader_hashes(r);
        if (rc == 0)
            rc = tlog_inclusion_prove(size, i, &hr, proof, &n);
        t[k] = now() - t0;
        if (rc == 0)
            rc = hr.read(hr.ctx, &leaf_node, 1, &leaf);
        if (rc == 0)
            rc = tlog_inclusion_verify(size, i, leaf, (const hash_t *)proof, n, root);
        if (fresh)
            tlog_tile_reader_free(r);
    }
    if (rc == 0)
        report_us(name, t, nproofs);
    else
        fprintf(stderr, "%s: failed (%d)\n", name, rc);
    tlog_tile_reader_free(keep);
    free(t);
    return rc;
}

static uint64_t pick_random(uint64_t size)
{
    return rng() % size;
}

static uint64_t pick_recent(uint64_t size)
{
    return size - 1 - rng() % 1000;
}

int main(int argc, char **argv)
{
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    size_t nproofs = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    struct tlog_memstore *one = NULL, *batch = NULL;
    struct tlog_tile_source src;
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    struct tlog_view *views;
    char(*text)[160];
    hash_t root, root2, proof[TLOG_PROOF_MAX];
    struct note_skey key;
    double t0, t1, *t;
    size_t bytes = 0, n;

    if (random_init() != 0 || total < 2000 || nproofs < 100)
        return 2;
    views = malloc(total * sizeof(*views));
    text = malloc(total * sizeof(*text));
    t = malloc(nproofs * sizeof(*t));
    if (views == NULL || text == NULL || t == NULL)
        return 1;
    for (uint64_t i = 0; i < total; i++) {
        views[i].len = entry_text(i, text[i], sizeof(text[i]));
        views[i].data = (const uint8_t *)text[i];
        bytes += views[i].len;
    }
    printf("entries: %llu, mean %.0f bytes\n", (unsigned long long)total, (double)bytes / total);

    /* 1. One entry per tlog_append(), as the server appends inside each state change: read the
          right-edge tiles from the store, write back what changed. */
    if (tlog_memstore_new(&one) != 0)
        return 1;
    t0 = now();
    for (uint64_t i = 0; i < total; i++) {
        if (tlog_memstore_append(one, &views[i], 1, NULL) != 0) {
            fprintf(stderr, "append failed at %llu\n", (unsigned long long)i);
            return 1;
        }
    }
    t1 = now();
    printf("append, one entry per call: %.0f entries/s (%.2f s)\n", total / (t1 - t0), t1 - t0);

    /* 2. Batches of 1,000 (a busy second between two checkpoints). */
    if (tlog_memstore_new(&batch) != 0)
        return 1;
    t0 = now();
    for (uint64_t i = 0; i < total; i += 1000) {
        size_t k = total - i < 1000 ? (size_t)(total - i) : 1000;

        if (tlog_memstore_append(batch, &views[i], k, NULL) != 0)
            return 1;
    }
    t1 = now();
    printf("append, 1000 entries per call: %.0f entries/s (%.2f s)\n", total / (t1 - t0), t1 - t0);

    /* 3. The root at the full size: what signing a checkpoint needs, from a cold reader. */
    src = tlog_memstore_source(one);
    for (size_t k = 0; k < 200; k++) {
        if (tlog_tile_reader_new(&src, 8, &reader) != 0)
            return 1;
        hr = tlog_tile_reader_hashes(reader);
        t0 = now();
        if (tlog_tree_hash(total, &hr, root) != 0)
            return 1;
        t[k] = now() - t0;
        tlog_tile_reader_free(reader);
    }
    report_us("tree hash (checkpoint root), cold reader", t, 200);
    if (tlog_tile_reader_new(&src, 64, &reader) != 0)
        return 1;
    hr = tlog_tile_reader_hashes(reader);
    {
        struct tlog_tile_source bsrc = tlog_memstore_source(batch);
        struct tlog_tile_reader *br = NULL;
        struct tlog_hash_reader bhr;

        if (tlog_tile_reader_new(&bsrc, 8, &br) != 0)
            return 1;
        bhr = tlog_tile_reader_hashes(br);
        if (tlog_tree_hash(total, &bhr, root2) != 0 || memcmp(root, root2, HASH_SHA256_LEN) != 0) {
            fprintf(stderr, "batch and one-by-one roots differ\n");
            return 1;
        }
        tlog_tile_reader_free(br);
    }
    if (note_skey_generate("bench.example/log", 17, &key) != 0)
        return 1;
    {
        struct tlog_checkpoint cp = {"bench.example/log", 17, total, {0}, NULL, 0};
        char *signed_cp = NULL;
        size_t len = 0;

        memcpy(cp.root, root, HASH_SHA256_LEN);
        t0 = now();
        for (int i = 0; i < 100; i++) {
            free(signed_cp);
            if (tlog_checkpoint_sign(&cp, &key, &signed_cp, &len) != 0)
                return 1;
        }
        t1 = now();
        printf("checkpoint sign: %.1f us\n", (t1 - t0) / 100 * 1e6);

        /* 4. Inclusion proofs at the full size. */
        if (time_proofs("inclusion proof, random entry, cold reader (tiles read and expanded)", one,
                        total, nproofs, true, pick_random, root) != 0 ||
            time_proofs("inclusion proof, random entry, reader with a 64-tile cache", one, total,
                        nproofs, false, pick_random, root) != 0 ||
            time_proofs("inclusion proof, one of the last 1000 entries, cold reader", one, total,
                        nproofs, true, pick_recent, root) != 0 ||
            time_proofs("inclusion proof, one of the last 1000 entries, 64-tile cache", one, total,
                        nproofs, false, pick_recent, root) != 0)
            return 1;

        /* 5. A receipt: proof text for a recent entry against the checkpoint, self-checked. */
        for (size_t k = 0; k < nproofs; k++) {
            char *out = NULL;
            size_t olen = 0;

            t0 = now();
            if (tlog_proof_create(signed_cp, len, pick_recent(total), &hr, NULL, 0, &out, &olen) !=
                0)
                return 1;
            t[k] = now() - t0;
            free(out);
        }
        report_us("receipt (tlog_proof_create, recent entry, 64-tile cache)", t, nproofs);
        free(signed_cp);
    }

    /* 6. Consistency proofs between random sizes, cached reader. */
    for (size_t k = 0; k < nproofs; k++) {
        uint64_t a = 1 + rng() % total, b = 1 + rng() % total;

        if (a > b) {
            uint64_t x = a;

            a = b;
            b = x;
        }
        t0 = now();
        if (tlog_consistency_prove(a, b, &hr, proof, &n) != 0)
            return 1;
        t[k] = now() - t0;
    }
    report_us("consistency proof, random sizes, 64-tile cache", t, nproofs);
    /* and the raw verify cost of an inclusion proof at this size */
    {
        struct tlog_node leaf_node = {0, total / 3};
        hash_t leaf;

        if (tlog_inclusion_prove(total, total / 3, &hr, proof, &n) != 0 ||
            hr.read(hr.ctx, &leaf_node, 1, &leaf) != 0)
            return 1;
        t0 = now();
        for (int i = 0; i < 1000; i++) {
            if (tlog_inclusion_verify(total, total / 3, leaf, (const hash_t *)proof, n, root) != 0)
                return 1;
        }
        t1 = now();
        printf("inclusion verify (%zu hashes): %.1f us\n", n, (t1 - t0) / 1000 * 1e6);
    }
    note_skey_clear(&key);
    tlog_tile_reader_free(reader);
    tlog_memstore_free(one);
    tlog_memstore_free(batch);
    free(views);
    free(text);
    free(t);
    return 0;
}
