/*
 * banned.h - libc calls that are too easy to misuse, made compile errors (after git's banned.h).
 * Included into every translation unit by the build (-include).
 */
#ifndef DISSENT_BANNED_H
#define DISSENT_BANNED_H

/* The real declarations first, so the macros below only catch our own calls. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)

/*
 * Inside src/ (DISSENT_SRC), heap allocation goes through util/mem.h (counting and fault
 * injection); what other libraries allocate is still released with free() or their own call.
 */
#ifdef DISSENT_SRC
#include <stdlib.h>
#undef malloc
#define malloc(n) BANNED(malloc_use_mem_alloc)
#undef calloc
#define calloc(n, s) BANNED(calloc_use_mem_calloc)
#undef realloc
#define realloc(p, n) BANNED(realloc_use_mem_realloc)
#undef strdup
#define strdup(s) BANNED(strdup_use_mem_strdup)
#undef strndup
#define strndup(s, n) BANNED(strndup_use_mem_strndup)
#endif

#endif
