/*
 * fuzz_config.c - the configuration file (util/config.c, through inih): the input as the INI
 * text of --config FILE on top of the defaults, then, when it loads, the [channel] settings
 * parsed as the server does at start (core/channel.c: deadline spans, closures, time zone,
 * principals) with keys already in a scratch data directory.
 */
#include "fuzz.h"

#include "core/channel.h"
#include "crypto/random.h"
#include "util/config.h"
#include "util/log.h"

#include <stdio.h>

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct config cfg;
    struct channel ch;
    char err[256];

    if (random_init() != 0)
        abort();
    log_set_level(LOG_ERROR);
    memcpy(dir, "/tmp/dissent-fuzz-config-XXXXXX", 32);
    if (mkdtemp(dir) == NULL)
        abort();
    /* create the channel key and the log key once (for the default origin) */
    config_defaults(&cfg);
    if (channel_init(&ch, &cfg, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "channel_init: %s\n", err);
        abort();
    }
    channel_release(&ch);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), err[512];
    struct config cfg;
    struct channel ch;

    config_defaults(&cfg);
    if (config_load_string(&cfg, text, "fuzz.ini", err, sizeof(err)) == 0) {
        /* every string setting stays terminated within its field */
        if (memchr(cfg.listen_host, '\0', sizeof(cfg.listen_host)) == NULL ||
            memchr(cfg.closures, '\0', sizeof(cfg.closures)) == NULL ||
            memchr(cfg.principals, '\0', sizeof(cfg.principals)) == NULL)
            abort();
        if (channel_init(&ch, &cfg, dir, err, sizeof(err)) == 0)
            channel_release(&ch);
    }
    free(text);
    return 0;
}
