/*
 * file.c - files replaced whole and durably (file.h).
 */
#include "util/file.h"

#include "util/err.h"
#include "util/log.h"

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
