/*
 * fuzz_checkpoint.c - C2SP checkpoints and tlog proofs (tlog/checkpoint.c, tlog/proof.c): the
 * input as a checkpoint text (strict, so formatting what parsed must give the input back), as
 * a signed checkpoint opened with the fuzz log key, and as a tlog-proof text whose inclusion
 * proof is then verified.
 */
#include "fuzz.h"
#include "keys.h"

#include "crypto/random.h"
#include "tlog/checkpoint.h"
#include "tlog/proof.h"

static struct note_vkey key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (random_init() != 0)
        abort();
    fuzz_log_vkey(&key);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct tlog_checkpoint cp;
    struct tlog_proof *p;
    char err[256], *out = NULL;
    size_t outlen = 0;

    if (tlog_checkpoint_parse(text, size, &cp) == 0) {
        if (tlog_checkpoint_format(&cp, &out, &outlen) != 0 || outlen != size ||
            memcmp(out, text, size) != 0)
            abort();
        free(out);
    }
    if (tlog_checkpoint_open(text, size, NULL, &key, &cp, err, sizeof(err)) == 0 &&
        (cp.origin_len != strlen(FUZZ_ORIGIN) || memcmp(cp.origin, FUZZ_ORIGIN, cp.origin_len)))
        abort();
    if ((p = malloc(sizeof(*p))) == NULL)
        abort();
    if (tlog_proof_parse(text, size, p) == 0) {
        uint8_t leaf[HASH_SHA256_LEN] = {0};
        /* canonical form only: what parsed formats back to the input */
        if (tlog_proof_format(p, &out, &outlen) != 0 || outlen != size ||
            memcmp(out, text, size) != 0)
            abort();
        free(out);
        (void)!tlog_proof_verify(p, leaf, NULL, &key, &cp, err, sizeof(err));
    }
    free(p);
    return 0;
}
