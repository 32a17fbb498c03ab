/*
 * fuzz_receipt.c - filing receipts (core/receipt.c), as `dissent verify RECEIPT.json --vkey`
 * reads them: parse the untrusted JSON, then check it against the fuzz log key, without and
 * with a memo text.
 */
#include "fuzz.h"
#include "keys.h"

#include "core/receipt.h"
#include "crypto/random.h"

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
    static const char text[] = "dissent-memo/v1\nid 0123456789abcdef01234567\n";
    struct receipt *r = malloc(sizeof(*r));
    struct receipt_result *res = malloc(sizeof(*res));
    enum receipt_fault fault;
    char err[512];

    if (r == NULL || res == NULL)
        abort();
    if (receipt_parse((const char *)data, size, r, &fault, err, sizeof(err)) == 0) {
        if (fault != RECEIPT_OK || r->proof == NULL || strlen(r->proof) != r->proof_len)
            abort();
        if (receipt_check(r, &key, NULL, 0, res, &fault, err, sizeof(err)) == 0 &&
            (fault != RECEIPT_OK || res->index != r->index || res->log_size <= res->index))
            abort();
        (void)!receipt_check(r, &key, text, sizeof(text) - 1, res, &fault, err, sizeof(err));
        receipt_release(r);
    } else if (fault == RECEIPT_OK && size < (1u << 20)) {
        /* a failure names its fault, unless memory ran out */
        abort();
    }
    free(res);
    free(r);
    return 0;
}
