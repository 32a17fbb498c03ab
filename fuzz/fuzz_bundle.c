/*
 * fuzz_bundle.c - memo bundles (core/bundle.c), as `dissent verify BUNDLE.json` reads them:
 * parse the untrusted JSON, check every co-signature, and encode what parsed again.
 */
#include "fuzz.h"

#include "core/bundle.h"
#include "crypto/random.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (random_init() != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bundle b;
    enum bundle_fault fault;
    char err[512], *out = NULL;
    size_t outlen = 0;

    if (bundle_parse((const char *)data, size, &b, &fault, err, sizeof(err)) != 0) {
        if (fault == BUNDLE_OK && size < (1u << 20))
            abort(); /* a failure names its fault, unless memory ran out */
        return 0;
    }
    if (fault != BUNDLE_OK || b.root == NULL)
        abort();
    if (bundle_check(&b, &fault, err, sizeof(err)) == 0) {
        struct bundle again;
        if (fault != BUNDLE_OK || b.nsigners == 0 || b.nsigners != b.nsignatures ||
            b.nsigners != b.nvkeys)
            abort();
        /* a verified bundle encodes, and what it encodes to parses and verifies the same */
        if (bundle_encode(&b, &out, &outlen) != 0 ||
            bundle_parse(out, outlen, &again, &fault, err, sizeof(err)) != 0 ||
            bundle_check(&again, &fault, err, sizeof(err)) != 0)
            abort();
        bundle_release(&again);
        free(out);
    } else if (fault == BUNDLE_OK) {
        abort();
    }
    bundle_release(&b);
    return 0;
}
