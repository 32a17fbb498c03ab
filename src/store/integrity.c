#include "store/integrity.h"

#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/mem.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

_Static_assert(STORE_MAC_LEN == HASH_KEYED_LEN, "MAC sizes agree");
_Static_assert(STORE_TRUST_KEY_LEN == HASH_KEY_LEN, "key sizes agree");

/* The MAC input: a domain label, then length-prefixed fields. Large enough for an account row
 * (its two wraps, a password hash and three names are the bulk: about 900 bytes). */
struct macin {
    uint8_t b[2048];
    size_t n;
    bool over;
};

static void put(struct macin *m, const void *p, size_t len)
{
    uint8_t pre[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                      (uint8_t)len};

    if (m->over || len > sizeof(m->b) - m->n || sizeof(pre) > sizeof(m->b) - m->n - len) {
        m->over = true;
        return;
    }
    memcpy(m->b + m->n, pre, sizeof(pre));
    memcpy(m->b + m->n + sizeof(pre), p, len);
    m->n += sizeof(pre) + len;
}

static void put_i64(struct macin *m, int64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    put(m, b, sizeof(b));
}

static void put_str(struct macin *m, const char *s)
{
    put(m, s, strlen(s));
}

/* An optional fixed field: absent and present are told apart by the length (0 or @len). */
static void put_opt(struct macin *m, bool present, const void *p, size_t len)
{
    put(m, p, present ? len : 0);
}

static int finish(const struct store *st, struct macin *m, uint8_t mac[STORE_MAC_LEN])
{
    int rc = 0;

    memset(mac, 0, STORE_MAC_LEN);
    if (st->trust_key == NULL) {
        log_error("store: no integrity key on this connection (a bug: store_trust_set())");
        rc = ERR_INTERNAL;
    } else if (m->over) {
        log_error("store: an integrity MAC's input is over its limit (a bug)");
        rc = ERR_INTERNAL;
    } else {
        hash_keyed(mac, m->b, m->n, st->trust_key);
    }
    wipe(m->b, m->n);
    return rc;
}

int integ_user(const struct store *st, const struct user *u, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent account v1");
    put_i64(&m, u->id); /* sessions, envelopes and relations name accounts by id */
    put_str(&m, u->username);
    put_str(&m, u->display_name);
    put_str(&m, u->email);
    put_i64(&m, u->roles);
    put_str(&m, u->pwhash);
    put_i64(&m, u->disabled);
    put_opt(&m, u->has_keys, u->sign_pk, sizeof(u->sign_pk));
    put_opt(&m, u->has_keys, u->box_pk, sizeof(u->box_pk));
    put_opt(&m, u->has_keys, u->key_salt, sizeof(u->key_salt));
    put_opt(&m, u->has_keys, u->keys_wrapped, sizeof(u->keys_wrapped));
    put_opt(&m, u->has_recovery, u->recovery_wrapped, sizeof(u->recovery_wrapped));
    put_i64(&m, u->key_ops);
    put_i64(&m, u->key_mem);
    put_opt(&m, u->has_enrol, u->enrol_hash, sizeof(u->enrol_hash));
    put_i64(&m, u->enrol_expires);
    put_i64(&m, u->recovery_at);
    put_i64(&m, u->flags & ~STORE_USER_TAMPERED);
    put_opt(&m, u->has_log_tag, u->log_tag, sizeof(u->log_tag));
    put_i64(&m, u->reset_at);
    put_i64(&m, u->confirm_by);
    put_i64(&m, u->reset_memo);
    put_str(&m, u->key_binding);
    /* an account's channels (migration 27): channel 1 alone, every row before, adds nothing, so
     * that the rows sealed before still verify; any other set is covered */
    if (u->channels != 1)
        put_i64(&m, (int64_t)u->channels);
    return finish(st, &m, mac);
}

int integ_session(const struct store *st, const struct session *s, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent session v1");
    put(&m, s->hash, sizeof(s->hash));
    put_i64(&m, s->user_id);
    put(&m, s->user_tag, sizeof(s->user_tag));
    put_i64(&m, s->created_at);
    return finish(st, &m, mac);
}

int integ_totp(const struct store *st, const struct user_totp *t, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent totp v1");
    put_i64(&m, t->user_id);
    put(&m, t->sealed, sizeof(t->sealed));
    put_i64(&m, t->enabled);
    put_i64(&m, t->last_step);
    put(&m, t->codes, sizeof(t->codes));
    return finish(st, &m, mac);
}

int integ_channel(const struct store *st, const struct channel_row *r, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};
    uint8_t h[HASH_SHA256_LEN];

    hash_sha256(h, r->settings ? r->settings : "", r->settings ? strlen(r->settings) : 0);
    put_str(&m, "dissent channel v1");
    put_i64(&m, r->id);
    put_str(&m, r->slug);
    put_str(&m, r->name);
    put(&m, h, sizeof(h));
    put_i64(&m, r->created_at);
    if (r->version != 0) /* (a row made before versions: its MAC as it was) */
        put_i64(&m, r->version);
    return finish(st, &m, mac);
}

int integ_calendar(const struct store *st, const struct calendar_row *r, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent calendar v1");
    put_i64(&m, r->id);
    put_i64(&m, r->kind);
    put_i64(&m, r->first);
    put_i64(&m, r->last);
    put_str(&m, r->reason);
    put_i64(&m, r->created_at);
    put_i64(&m, r->removed_at);
    return finish(st, &m, mac);
}

int integ_sso(const struct store *st, const struct sso_link *l, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent sso link v1");
    put_i64(&m, l->user_id);
    put_str(&m, l->issuer);
    put_str(&m, l->subject);
    put_i64(&m, l->linked_at);
    return finish(st, &m, mac);
}

int integ_hold(const struct store *st, const struct store_hold *h, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent hold v1");
    put_i64(&m, h->id);
    put_str(&m, h->memo);
    put_i64(&m, h->from_day);
    put_i64(&m, h->to_day);
    put_str(&m, h->reason);
    put_i64(&m, h->placed_by);
    put_i64(&m, h->placed_at);
    put_i64(&m, h->lifted_by);
    put_i64(&m, h->lifted_at);
    put_str(&m, h->lift_reason);
    return finish(st, &m, mac);
}

int integ_passkey(const struct store *st, const struct passkey_row *r, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent passkey v1");
    put_i64(&m, r->user_id);
    put(&m, r->cred_id, r->cred_id_len);
    put_i64(&m, r->alg);
    put(&m, r->pk, r->pk_len);
    put_i64(&m, r->sign_count);
    put_str(&m, r->name);
    put_i64(&m, r->has_prf);
    put(&m, r->prf_salt, r->has_prf ? sizeof(r->prf_salt) : 0);
    put(&m, r->wrapped, r->has_prf ? sizeof(r->wrapped) : 0);
    put_i64(&m, r->created_at);
    put_i64(&m, r->last_used_at);
    return finish(st, &m, mac);
}

int integ_challenge(const struct store *st, const uint8_t hash[32], int64_t user_id, int purpose,
                    int64_t expires, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent webauthn challenge v1");
    put(&m, hash, 32);
    put_i64(&m, user_id);
    put_i64(&m, purpose);
    put_i64(&m, expires);
    return finish(st, &m, mac);
}

int integ_outbox(const struct store *st, const struct outbox_item *it, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent outbox v1");
    put_str(&m, it->dedupe);
    put_str(&m, it->kind);
    put_i64(&m, it->user_id);
    uint8_t subject[32], body[32];

    put_str(&m, it->rcpt);
    /* the texts by their SHA-256: an email may be longer than the MAC's input */
    hash_sha256(subject, it->subject != NULL ? it->subject : "",
                it->subject != NULL ? strlen(it->subject) : 0);
    hash_sha256(body, it->body != NULL ? it->body : "", it->body != NULL ? strlen(it->body) : 0);
    put(&m, subject, sizeof(subject));
    put(&m, body, sizeof(body));
    return finish(st, &m, mac);
}

int integ_envelope(const struct store *st, enum integ_envelope kind, int64_t memo_id,
                   const char *public_id, int64_t user_id, const uint8_t sealed[STORE_SEALED_LEN],
                   uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};

    put_str(&m, "dissent envelope v1");
    put_i64(&m, kind);
    put_i64(&m, memo_id);
    put_str(&m, public_id != NULL ? public_id : ""); /* random and never changed: a memo row
                                                         moved under another id finds nothing */
    put_i64(&m, user_id);
    put(&m, sealed, STORE_SEALED_LEN);
    return finish(st, &m, mac);
}

/* A blob's SHA-256 in the MAC input, told apart from an absent one (@present). */
static void put_hashed(struct macin *m, bool present, const uint8_t *p, size_t len)
{
    uint8_t h[32];

    if (present)
        hash_sha256(h, p != NULL ? p : (const uint8_t *)"", p != NULL ? len : 0);
    put_opt(m, present, h, sizeof(h));
}

int integ_memo(const struct store *st, const struct memo *m, uint8_t mac[STORE_MAC_LEN])
{
    struct macin in = {.n = 0};

    put_str(&in, "dissent memo v1");
    put_i64(&in, m->id); /* envelopes, relations and signatures name memos by id */
    put_str(&in, m->public_id);
    put_i64(&in, m->drafter_id);
    put_i64(&in, m->state);
    put_hashed(&in, true, m->title, m->title_len);
    put_hashed(&in, true, m->body, m->body_len);
    put_opt(&in, m->has_digest, m->digest, sizeof(m->digest));
    put_i64(&in, m->show_names);
    put_i64(&in, m->version);
    put_i64(&in, m->created_at);
    put_i64(&in, m->updated_at);
    put_i64(&in, m->filed_day);
    put_i64(&in, m->ack_day);
    put_i64(&in, m->ack_due);
    put_i64(&in, m->reply_due);
    put_i64(&in, m->reply_max);
    put_i64(&in, m->replied_day);
    put_i64(&in, m->closed_day);
    /* an empty blob reads back as NULL from SQLite: both are absent */
    put_hashed(&in, m->reason != NULL && m->reason_len > 0, m->reason, m->reason_len);
    put_hashed(&in, m->reply != NULL && m->reply_len > 0, m->reply, m->reply_len);
    put_hashed(&in, m->reply_note != NULL && m->reply_note_len > 0, m->reply_note,
               m->reply_note_len);
    put_opt(&in, m->has_log, m->log_tag, sizeof(m->log_tag));
    put_opt(&in, m->has_log, m->log_salt, sizeof(m->log_salt));
    put_i64(&in, m->log_index);
    /* its channel (migration 26): channel 1, every memo's before, adds nothing, so that the
     * rows sealed before still verify; any other is covered */
    if (m->channel_id != 1)
        put_i64(&in, m->channel_id);
    /* only when present, so that the MAC of a row without files is what it always was */
    if (m->has_files) {
        put_str(&in, "files");
        put(&in, m->files, sizeof(m->files));
    }
    return finish(st, &in, mac);
}

int integ_memo_check(const struct store *st, struct memo *m)
{
    uint8_t want[STORE_MAC_LEN];
    int rc = integ_drafter_open(st, m);

    if (rc == 0)
        rc = integ_memo(st, m, want);

    return rc != 0 ? rc : integ_check(st, want, m->mac, "memo", m->id);
}

int integ_legacy(const struct store *st, const struct legacy_text *t, uint8_t mac[STORE_MAC_LEN])
{
    struct macin m = {.n = 0};
    uint8_t h[32];

    hash_sha256(h, t->text, strlen(t->text)); /* a void reason may be over the input's size */
    put_str(&m, "dissent legacy text v1");
    put_i64(&m, t->table);
    put_i64(&m, t->id);
    put_i64(&m, t->memo_id);
    put_i64(&m, t->who);
    put_i64(&m, t->at);
    put_str(&m, t->kind);
    put(&m, h, sizeof(h));
    return finish(st, &m, mac);
}

int integ_derive(const struct store *st, const char *label, uint8_t key[32])
{
    memset(key, 0, 32);
    if (st->trust_key == NULL) {
        log_error("store: no integrity key on this connection (a bug: store_trust_set())");
        return ERR_INTERNAL;
    }
    seal_derive(key, st->trust_key, STORE_TRUST_KEY_LEN, label);
    return 0;
}

static void who_ad(char *ad, size_t len, enum store_who table, int64_t memo_id, int64_t row,
                   const char *kind)
{
    static const char *const names[] = {"audit", "comment", "event", "drafter", "member", "signer"};

    snprintf(ad, len, "dissent-who/1 %s %lld %lld %s", names[table], (long long)memo_id,
             (long long)row, kind != NULL && kind[0] != '\0' ? kind : "-");
}

int integ_who_seal(const struct store *st, enum store_who table, int64_t memo_id, int64_t row,
                   const char *kind, int64_t id, uint8_t out[STORE_WHO_LEN])
{
    uint8_t key[SEAL_KEY_LEN], b[8], *ct = NULL;
    char ad[160];
    size_t n = 0;
    int rc;

    memset(out, 0, STORE_WHO_LEN);
    if ((rc = integ_derive(st, "dissent-who", key)) != 0)
        return rc;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)id >> (56 - 8 * i));
    who_ad(ad, sizeof(ad), table, memo_id, row, kind);
    rc = seal_encrypt(key, ad, b, sizeof(b), &ct, &n);
    wipe(key, sizeof(key));
    if (rc == 0 && n == STORE_WHO_LEN)
        memcpy(out, ct, STORE_WHO_LEN);
    else if (rc == 0)
        rc = ERR_INTERNAL;
    mem_free(ct);
    return rc;
}

int integ_who_open(const struct store *st, enum store_who table, int64_t memo_id, int64_t row,
                   const char *kind, const uint8_t in[STORE_WHO_LEN], int64_t *id)
{
    uint8_t key[SEAL_KEY_LEN];
    char ad[160], *pt = NULL;
    size_t n = 0;
    uint64_t v = 0;
    int rc;

    *id = 0;
    if ((rc = integ_derive(st, "dissent-who", key)) != 0)
        return rc;
    who_ad(ad, sizeof(ad), table, memo_id, row, kind);
    rc = seal_decrypt(key, ad, in, STORE_WHO_LEN, &pt, &n);
    wipe(key, sizeof(key));
    if (rc == ERR_CRYPTO || (rc == 0 && n != 8))
        rc = ERR_INTEGRITY;
    if (rc == 0) {
        for (size_t i = 0; i < 8; i++)
            v = v << 8 | (uint8_t)pt[i];
        *id = (int64_t)v;
    }
    mem_free(pt);
    return rc;
}

int integ_ref(const struct store *st, int64_t id, int64_t *ref)
{
    uint8_t key[32], in[13 + 8], h[32];
    uint64_t v = 0;
    int rc;

    *ref = 0;
    if (id == 0)
        return 0;
    if ((rc = integ_derive(st, "dissent-ref", key)) != 0)
        return rc;
    memcpy(in, "dissent-ref/1", 13);
    for (int i = 0; i < 8; i++)
        in[13 + i] = (uint8_t)((uint64_t)id >> (56 - 8 * i));
    hash_keyed(h, in, sizeof(in), key);
    wipe(key, sizeof(key));
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    *ref = (int64_t)((v & (uint64_t)(STORE_REF_MIN - 1)) | (uint64_t)STORE_REF_MIN);
    return 0;
}

int integ_text_seal(const struct store *st, const char *ad, const char *text, char **out)
{
    uint8_t key[SEAL_KEY_LEN], *ct = NULL;
    size_t n = 0, pre = strlen(INTEG_TEXT_PREFIX), b64;
    int rc;

    *out = NULL;
    if ((rc = integ_derive(st, "dissent-text", key)) != 0)
        return rc;
    rc = seal_encrypt(key, ad, text, strlen(text), &ct, &n);
    wipe(key, sizeof(key));
    if (rc != 0)
        return rc;
    b64 = b64_encoded_len(n, true);
    if ((*out = mem_alloc(pre + b64)) == NULL)
        rc = ERR_NOMEM;
    else {
        memcpy(*out, INTEG_TEXT_PREFIX, pre);
        b64_encode(*out + pre, b64, ct, n, true);
    }
    mem_free(ct);
    return rc;
}

int integ_text_open(const struct store *st, const char *ad, const char *in, char **out)
{
    uint8_t key[SEAL_KEY_LEN], *ct = NULL;
    size_t pre = strlen(INTEG_TEXT_PREFIX), len, n = 0, m = 0;
    char *pt = NULL;
    int rc;

    *out = NULL;
    if (in == NULL || strncmp(in, INTEG_TEXT_PREFIX, pre) != 0)
        return ERR_INTEGRITY;
    len = strlen(in + pre);
    if ((ct = mem_alloc(len + 1)) == NULL)
        return ERR_NOMEM;
    if (b64_decode(ct, len + 1, &n, in + pre, len, true) != 0) {
        mem_free(ct);
        return ERR_INTEGRITY;
    }
    if ((rc = integ_derive(st, "dissent-text", key)) == 0) {
        rc = seal_decrypt(key, ad, ct, n, &pt, &m);
        wipe(key, sizeof(key));
    }
    mem_free(ct);
    if (rc == ERR_CRYPTO)
        rc = ERR_INTEGRITY;
    /* a text holds no NUL: one inside would cut what is shown from what was checked */
    if (rc == 0 && memchr(pt, '\0', m) != NULL) {
        mem_free(pt);
        rc = ERR_INTEGRITY;
    }
    if (rc == 0)
        *out = pt;
    return rc;
}

int integ_drafter_open(const struct store *st, struct memo *m)
{
    int64_t id = 0, ref = 0;
    int rc;

    if (!m->has_drafter) {
        /* a row of an earlier version names its drafter in clear: read only before its
         * conversion, or while adopting (store.h, "Who"); afterwards nobody, and the MAC fails */
        m->drafter_id = (st->actors_clear || st->adopting) && m->drafter_ref < STORE_REF_MIN
                            ? m->drafter_ref
                            : 0;
        return 0;
    }
    rc = integ_who_open(st, STORE_WHO_DRAFTER, m->id, 0, NULL, m->drafter, &id);
    if (rc == 0)
        rc = integ_ref(st, id, &ref);
    if (rc == ERR_INTEGRITY || (rc == 0 && ref != m->drafter_ref)) {
        log_error("integrity: the drafter of memo %lld does not open: it was changed outside "
                  "Dissent",
                  (long long)m->id);
        id = 0;
        rc = 0;
    }
    m->drafter_id = id;
    return rc;
}

int integ_check(const struct store *st, const uint8_t want[STORE_MAC_LEN],
                const uint8_t stored[STORE_MAC_LEN], const char *what, int64_t id)
{
    if (st->adopting || hash_equal(want, stored, STORE_MAC_LEN))
        return 0;
    log_error("integrity: %s %lld fails its integrity check: the database was changed outside "
              "Dissent; it is not used",
              what, (long long)id);
    return ERR_INTEGRITY;
}
