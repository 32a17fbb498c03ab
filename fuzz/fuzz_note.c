/*
 * fuzz_note.c - C2SP signed notes (crypto/note.c): parse and verify an untrusted note against
 * known keys (the spec's example key, the fuzz log key, and two keys sharing a name), add a
 * signature to it, and read the input as a verifier key and as a signer key.
 */
#include "fuzz.h"
#include "keys.h"

#include "crypto/random.h"

#include <stdbool.h>

#define NKEYS 3

static struct note_vkey keys[NKEYS];
static struct note_skey signer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char example[] =
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    uint8_t pub[NOTE_PUBKEY_LEN] = {0};

    if (random_init() != 0 || note_vkey_parse(example, strlen(example), &keys[0]) != 0)
        abort();
    fuzz_log_vkey(&keys[1]);
    /* same name as the log key, another public key (so another key ID) */
    if (note_vkey_init(FUZZ_ORIGIN, strlen(FUZZ_ORIGIN), pub, &keys[2]) != 0)
        abort();
    fuzz_log_skey(&signer);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *msg = (const char *)data;
    bool verified[NKEYS];
    struct note n;
    struct note_vkey vk;
    struct note_skey sk;
    char err[256], *out = NULL;
    size_t text_len = 0, outlen = 0;

    if (note_parse(msg, size, &n, err, sizeof(err)) == 0) {
        if (n.nsigs < 1 || n.nsigs > NOTE_MAX_SIGS || n.text_len == 0 || n.text_len >= size ||
            n.text != msg || n.text[n.text_len - 1] != '\n')
            abort();
        (void)!note_verify(&n, keys, NKEYS, verified, err, sizeof(err));
        note_release(&n);
    }
    if (note_open(msg, size, keys, NKEYS, verified, &text_len, err, sizeof(err)) == 0 &&
        (text_len == 0 || text_len >= size))
        abort();
    if (note_sign_add(msg, size, &signer, &out, &outlen) == 0) {
        /* what we signed must open with our key */
        if (out == NULL || strlen(out) != outlen ||
            note_open(out, outlen, &keys[1], 1, NULL, NULL, err, sizeof(err)) != 0)
            abort();
        free(out);
    }
    if (size < NOTE_MAX_SIZE / 2 && note_text_check(msg, size) == 0) {
        if (note_sign(msg, size, &signer, &out, &outlen) != 0 ||
            note_open(out, outlen, &keys[1], 1, NULL, &text_len, err, sizeof(err)) != 0 ||
            text_len != size || memcmp(out, msg, size) != 0)
            abort();
        free(out);
    }
    if (note_vkey_parse(msg, size, &vk) == 0) {
        char back[NOTE_VKEY_MAX];
        if (note_vkey_format(&vk, back, sizeof(back)) != 0)
            abort();
    }
    if (note_skey_parse(msg, size, &sk) == 0)
        note_skey_clear(&sk);
    note_name_check(msg, size);
    return 0;
}
