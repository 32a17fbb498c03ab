#include "crypto/password.h"

#include "util/err.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

/* The gate: how many Argon2id computations run at once (0: not set yet, one per core). */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_max, gate_busy;

void password_gate_set(int n)
{
    pthread_mutex_lock(&gate_mu);
    gate_max = n > 0 ? n : 0;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

void password_gate_enter(void)
{
    pthread_mutex_lock(&gate_mu);
    if (gate_max == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        gate_max = n > 0 && n < 1024 ? (int)n : 1;
    }
    while (gate_busy >= gate_max)
        pthread_cond_wait(&gate_cv, &gate_mu);
    gate_busy++;
    pthread_mutex_unlock(&gate_mu);
}

void password_gate_leave(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_busy--;
    pthread_cond_signal(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

int password_hash(char out[PASSWORD_HASH_MAX], const char *pw, size_t len, uint64_t ops,
                  uint64_t mem)
{
    int rc;

    password_gate_enter();
    rc = crypto_pwhash_str(out, pw, len, ops, (size_t)mem);
    password_gate_leave();
    return rc != 0 ? ERR_NOMEM : 0;
}

int password_verify(const char *stored, const char *pw, size_t len)
{
    int rc;

    password_gate_enter();
    rc = crypto_pwhash_str_verify(stored, pw, len);
    password_gate_leave();
    return rc != 0 ? ERR_UNAUTH : 0;
}

void password_dummy_verify(uint64_t ops, uint64_t mem)
{
    char tmp[PASSWORD_HASH_MAX];

    /* Hashing costs what verifying costs with the same parameters. */
    password_gate_enter();
    if (crypto_pwhash_str(tmp, "dummy-password", 14, ops, (size_t)mem) == 0)
        sodium_memzero(tmp, sizeof(tmp));
    password_gate_leave();
}
