/*
 * file.c - files replaced whole and durably (file.h).
 */
#include "util/file.h"

#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int file_replace(const char *dir, const char *name, const void *data, size_t len, const char *what)
{
    char path[1200], tmp[1300];
    int fd, dfd, rc = 0;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name, (long)getpid()) >=
            (int)sizeof(tmp)) {
        log_error("%s: the path of %s is too long", what, name);
        return ERR_IO;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
        rename(tmp, path) != 0) {
        log_error("%s: cannot write %s: %s", what, path, strerror(errno));
        rc = ERR_IO;
    }
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        log_error("%s: cannot sync %s: %s", what, dir, strerror(errno));
        rc = ERR_IO;
    }
    if (dfd >= 0)
        close(dfd);
    return rc;
}

int file_read(const char *path, size_t cap, char **out, size_t *outlen)
{
    FILE *f = NULL;
    char *buf = NULL, *grown;
    size_t len = 0, size = 0, n;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        rc = errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
        goto out;
    }
    for (;;) {
        if (len == size) {
            /* one byte past the cap tells "exactly cap" from "more than cap" */
            size_t want = size == 0 ? 4096 : size * 2;

            if (size > cap) {
                rc = ERR_TOO_LARGE;
                goto out;
            }
            if (want > cap + 1)
                want = cap + 1;
            grown = mem_realloc(buf, want);
            if (grown == NULL) {
                rc = ERR_NOMEM;
                goto out;
            }
            buf = grown;
            size = want;
        }
        n = fread(buf + len, 1, size - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = ERR_IO;
        goto out;
    }
    if (len > cap) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    *out = buf;
    *outlen = len;
    buf = NULL;
out:
    mem_free(buf); /* wiped: the file may hold a key */
    if (f != NULL && f != stdin)
        fclose(f);
    return rc;
}
