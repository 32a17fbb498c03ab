/*
 * sign_raw.c - the floor under bench/sign.sh: how many Ed25519 sign + verify pairs one core does
 * with libsodium alone, over a message shaped like a co-signature text (docs/formats.md), with
 * no HTTP, JSON, session or database around it.
 *
 * Usage: sign_raw [PAIRS]   (default 20000)
 * Prints one line: "sign_raw: PAIRS pairs, MSG-byte message, SECONDS s, RATE pairs/s".
 * Exits 1 when a verification fails (the figure would be meaningless) or on bad usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define PAIRS_DEFAULT 20000L
#define PAIRS_MAX 100000000L
#define WARMUP 500 /* pairs run before the clock starts, to settle caches and frequency */

/*
 * A co-signature text as the server builds it: magic line, memo id, digest, signer, padded out
 * with a longer signer name to about 150 bytes (names go up to 64 bytes).
 */
static const char msg[] = "dissent-cosignature/v1\n"
                          "memo 3f9a0c51d2e84b7765a1c0de\n"
                          "digest 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
                          "signer benchmark-signer-with-a-rather-long-name-0001\n";

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sign @msg and verify the result @n times; 0, or -1 at the first verification that fails. */
static int pairs_run(long n, const unsigned char *sk, const unsigned char *pk)
{
    unsigned char sig[crypto_sign_BYTES];
    const size_t len = sizeof(msg) - 1;

    for (long i = 0; i < n; i++) {
        crypto_sign_detached(sig, NULL, (const unsigned char *)msg, len, sk);
        if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, len, pk) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    struct timespec t0;
    long pairs = PAIRS_DEFAULT;
    double secs;
    char *end;
    int rc = 1;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [PAIRS]\n", argv[0]);
        return 1;
    }
    if (argc == 2) {
        pairs = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || pairs < 1 || pairs > PAIRS_MAX) {
            fprintf(stderr, "sign_raw: PAIRS must be 1..%ld\n", PAIRS_MAX);
            return 1;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sign_raw: sodium_init failed\n");
        return 1;
    }
    crypto_sign_keypair(pk, sk);
    if (pairs_run(WARMUP, sk, pk) != 0)
        goto out;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pairs_run(pairs, sk, pk) != 0)
        goto out;
    secs = seconds_since(&t0);
    printf("sign_raw: %ld pairs, %zu-byte message, %.3f s, %.0f pairs/s\n", pairs, sizeof(msg) - 1,
           secs, (double)pairs / secs);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "sign_raw: a signature failed to verify\n");
    sodium_memzero(sk, sizeof(sk));
    return rc;
}
