/*
 * file.h - a small file replaced whole and durably: the state files beside the key files in the
 * data directory (the channel pin, the log's signed state, the count of legal holds), which a
 * crash must leave either as they were or as written, never half.
 */
#ifndef DISSENT_UTIL_FILE_H
#define DISSENT_UTIL_FILE_H

#include <stddef.h>

/**
 * file_replace() - write @len bytes of @data to @dir/@name (mode 0600) through a temporary file
 * in @dir, fsync'd and renamed over it, then fsync @dir. 0 or ERR_IO (logged with @what, the
 * temporary file removed).
 */
int file_replace(const char *dir, const char *name, const void *data, size_t len, const char *what);

/**
 * file_read() - the whole file @path ("-": standard input), at most @cap bytes, into a malloc'd
 * buffer *@out (no NUL added; mem_free(), wiped first if it held a secret) of *@outlen bytes. 0,
 * ERR_NOT_FOUND (no such file), ERR_TOO_LARGE, ERR_IO or ERR_NOMEM.
 */
int file_read(const char *path, size_t cap, char **out, size_t *outlen);

#endif
