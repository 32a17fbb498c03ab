/*
 * replay.c - run a fuzz target's committed corpus as a test: every regular file of the corpus
 * directory (argv[1], default SOURCE_ROOT/fuzz/corpus/FUZZ_NAME) goes through
 * LLVMFuzzerTestOneInput() once, in name order. Prints one TAP line with the count; a crash, a
 * sanitizer report or a leak fails the test through the process's status.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX (16u << 20) /* larger corpus files are an error: corpora stay small */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read @path whole into a malloc'd buffer; -1 on failure. */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = -1;

    if (f == NULL)
        return -1;
    if ((buf = malloc(REPLAY_MAX + 1)) == NULL)
        goto out;
    n = fread(buf, 1, REPLAY_MAX + 1, f);
    if (ferror(f) || n > REPLAY_MAX)
        goto out;
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : SOURCE_ROOT "/fuzz/corpus/" FUZZ_NAME;
    char **names = NULL;
    size_t count = 0, cap = 0, ran = 0;
    struct dirent *e;
    DIR *d;
    int rc = 1;

    printf("1..1\n");
    fflush(stdout);
    if ((d = opendir(dir)) == NULL) {
        printf("not ok 1 - fuzz corpus %s: cannot open %s\n", FUZZ_NAME, dir);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            char **more = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
            if (more == NULL)
                goto out;
            names = more;
        }
        if ((names[count] = strdup(e->d_name)) == NULL)
            goto out;
        count++;
    }
    if (count > 0)
        qsort(names, count, sizeof(*names), by_name);
    if (LLVMFuzzerInitialize(&argc, &argv) != 0)
        goto out;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        struct stat sb;
        uint8_t *buf = NULL;
        size_t len = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (slurp(path, &buf, &len) != 0) {
            printf("not ok 1 - fuzz corpus %s: cannot read %s\n", FUZZ_NAME, path);
            goto out;
        }
        /* named before it runs, so that the log of a crash says which input did it */
        fprintf(stderr, "%s\n", names[i]);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        ran++;
    }
    if (ran == 0) {
        printf("not ok 1 - fuzz corpus %s: no inputs in %s\n", FUZZ_NAME, dir);
        goto out;
    }
    printf("ok 1 - fuzz corpus %s: %zu inputs\n", FUZZ_NAME, ran);
    rc = 0;
out:
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}
