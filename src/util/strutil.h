/*
 * strutil.h - small string helpers with explicit sizes.
 */
#ifndef DISSENT_UTIL_STRUTIL_H
#define DISSENT_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * str_copy() - copy the NUL-terminated @src into @dst of @len bytes, always terminating.
 * Returns 0, or ERR_TOO_LARGE when @src did not fit (then @dst holds a truncated copy).
 */
int str_copy(char *dst, size_t len, const char *src);

/**
 * str_parse_i64() - parse a whole decimal string into [@min, @max].
 * Returns 0 and sets *@out, or ERR_INVALID (empty, trailing junk, out of range).
 * *@out is left unchanged on failure.
 */
int str_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/** str_parse_bool() - "true/false/yes/no/on/off/1/0" into *@out; ERR_INVALID otherwise. */
int str_parse_bool(const char *s, bool *out);

/**
 * str_parse_hostport() - split "HOST:PORT" (HOST may be "[v6]") into @host (@hostlen bytes) and
 * *@port (0..65535). Returns 0 or ERR_INVALID.
 */
int str_parse_hostport(const char *s, char *host, size_t hostlen, int *port);

/** str_utf8_valid() - true when @s[0..@len) is well-formed UTF-8 with no NUL byte. */
bool str_utf8_valid(const char *s, size_t len);

/** str_blank() - true when the NUL-terminated @s holds nothing but spaces, tabs and line breaks. */
bool str_blank(const char *s);

/**
 * str_fold() - fold the capital letters of UTF-8 @s[0..@len) to small ones in place, for a
 * search that ignores case: A-Z and the capitals of Latin-1 (U+00C0-U+00DE but U+00D7, "É" to
 * "é"), which keep their length. Other scripts are compared as written.
 */
void str_fold(char *s, size_t len);

/**
 * str_contains() - whether @needle[0..@nlen) occurs in @hay[0..@hlen) starting on a character
 * of the UTF-8 @hay (never inside one). An empty needle occurs everywhere.
 */
bool str_contains(const char *hay, size_t hlen, const char *needle, size_t nlen);

/**
 * str_email_valid() - whether @v is an address fit for an SMTP envelope and a header: the one
 * email rule, for the configuration's addresses and accounts' alike (local@domain, 3 to 254
 * bytes of printable ASCII, no spaces, brackets, quotes, commas, semicolons or line breaks).
 */
bool str_email_valid(const char *v);

/**
 * str_hex_groups() - @n bytes of @raw as lower-case hex, groups of 4 bytes (8 digits) joined by
 * '-' ("0a1b2c3d-..."), into @out of 2n + n/4 bytes (NUL included). For secrets a person copies:
 * recovery keys, enrolment codes.
 */
void str_hex_groups(char *out, const uint8_t *raw, size_t n);

/** str_hex() - @n bytes of @raw as lower-case hex into @out (@outlen bytes, NUL included;
 *  cut short when too small). */
void str_hex(char *out, size_t outlen, const uint8_t *raw, size_t n);

/**
 * str_hex_groups_parse() - exactly @n bytes from hex @text, dashes and spaces ignored, either
 * case; false (and @raw partly written: wipe it) for anything else.
 */
bool str_hex_groups_parse(const char *text, uint8_t *raw, size_t n);

#endif
