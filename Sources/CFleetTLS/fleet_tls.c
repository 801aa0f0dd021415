#include "fleet_tls.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

struct fleet_tls_identity {
    EVP_PKEY *key;
    X509 *cert;
    unsigned char fingerprint[32];
};

struct fleet_tls_session {
    SSL_CTX *ctx;
    SSL *ssl;
};

/* A write to a peer that went away raises SIGPIPE, which would end the
 * agent; OpenSSL writes with write(2), so SIGPIPE is blocked in this thread
 * around each call and one it raised is consumed (EPIPE is the error). */
static void pipe_block(sigset_t *old) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static void pipe_restore(const sigset_t *old) {
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        int saved = errno;
        sigtimedwait(&set, NULL, &zero);
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void fail(char *err, size_t errlen, const char *what) {
    unsigned long code = ERR_get_error();
    char reason[256] = "";
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    if (err && errlen) snprintf(err, errlen, "%s%s%s", what, reason[0] ? ": " : "", reason);
}

fleet_tls_identity *fleet_tls_identity_new(char *err, size_t errlen) {
    fleet_tls_identity *id = calloc(1, sizeof *id);
    if (!id) { fail(err, errlen, "out of memory"); return NULL; }
    id->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!id->key) { fail(err, errlen, "cannot make an Ed25519 key"); goto bad; }
    id->cert = X509_new();
    if (!id->cert) { fail(err, errlen, "cannot make a certificate"); goto bad; }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) { fail(err, errlen, "no random bytes"); goto bad; }
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    ASN1_INTEGER *asn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    if (!asn || X509_set_version(id->cert, 2) != 1 || X509_set_serialNumber(id->cert, asn) != 1) {
        ASN1_INTEGER_free(asn);
        fail(err, errlen, "cannot set the certificate's serial");
        goto bad;
    }
    ASN1_INTEGER_free(asn);
    /* Validity is not what is trusted (the pinned fingerprint is); a day
     * around now tolerates clocks that differ. */
    X509_gmtime_adj(X509_getm_notBefore(id->cert), -86400);
    X509_gmtime_adj(X509_getm_notAfter(id->cert), 86400);
    X509_NAME *name = X509_get_subject_name(id->cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"vfleet-transfer", -1, -1, 0);
    if (X509_set_issuer_name(id->cert, name) != 1 || X509_set_pubkey(id->cert, id->key) != 1 ||
        X509_sign(id->cert, id->key, NULL) <= 0) {
        fail(err, errlen, "cannot sign the certificate");
        goto bad;
    }
    unsigned int len = 0;
    if (X509_digest(id->cert, EVP_sha256(), id->fingerprint, &len) != 1 || len != 32) {
        fail(err, errlen, "cannot fingerprint the certificate");
        goto bad;
    }
    return id;
bad:
    fleet_tls_identity_free(id);
    return NULL;
}

void fleet_tls_identity_free(fleet_tls_identity *id) {
    if (!id) return;
    X509_free(id->cert);
    EVP_PKEY_free(id->key);
    OPENSSL_cleanse(id, sizeof *id);
    free(id);
}

void fleet_tls_identity_fingerprint(const fleet_tls_identity *id, unsigned char out[32]) {
    memcpy(out, id->fingerprint, 32);
}

/* Self-signed certificates fail the chain check; the fingerprint comparison
 * after the handshake is the check. */
static int accept_any(int ok, X509_STORE_CTX *store) {
    (void)ok; (void)store;
    return 1;
}

static fleet_tls_session *handshake(int fd, const fleet_tls_identity *id, const unsigned char peer[32], int server,
                                    char *err, size_t errlen) {
    fleet_tls_session *s = calloc(1, sizeof *s);
    if (!s) { fail(err, errlen, "out of memory"); return NULL; }
    s->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!s->ctx) { fail(err, errlen, "cannot make a TLS context"); goto bad; }
    if (SSL_CTX_set_min_proto_version(s->ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_use_certificate(s->ctx, id->cert) != 1 || SSL_CTX_use_PrivateKey(s->ctx, id->key) != 1) {
        fail(err, errlen, "cannot set up TLS 1.3 with this transfer's key");
        goto bad;
    }
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
    SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
    /* Without read-ahead OpenSSL reads each record with two read(2) calls
     * (its 5-byte header, then its body): 25,000 calls for a 200 MB layer on
     * the receiving side, whose CPU is what a stream waits for. With it, one
     * read fills a 64 KiB buffer with several records. */
    SSL_CTX_set_read_ahead(s->ctx, 1);
    SSL_CTX_set_default_read_buffer_len(s->ctx, 64 * 1024);
    SSL_CTX_set_num_tickets(s->ctx, 0);
    s->ssl = SSL_new(s->ctx);
    if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) { fail(err, errlen, "cannot make a TLS session"); goto bad; }
    sigset_t old;
    pipe_block(&old);
    int r = server ? SSL_accept(s->ssl) : SSL_connect(s->ssl);
    pipe_restore(&old);
    if (r != 1) {
        int saved = errno;
        char what[128];
        snprintf(what, sizeof what, "TLS handshake failed%s%s", saved ? " (" : "", saved ? strerror(saved) : "");
        if (saved) strncat(what, ")", sizeof what - strlen(what) - 1);
        fail(err, errlen, what);
        goto bad;
    }
    X509 *cert = SSL_get1_peer_certificate(s->ssl);
    unsigned char got[32];
    unsigned int len = 0;
    int ok = cert && X509_digest(cert, EVP_sha256(), got, &len) == 1 && len == 32 && CRYPTO_memcmp(got, peer, 32) == 0;
    X509_free(cert);
    if (!ok) {
        if (err && errlen) snprintf(err, errlen, "the peer's certificate is not the one this transfer pinned");
        goto bad;
    }
    return s;
bad:
    if (s->ssl) SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
    free(s);
    return NULL;
}

fleet_tls_session *fleet_tls_accept(int fd, const fleet_tls_identity *id, const unsigned char peer[32], char *err, size_t errlen) {
    return handshake(fd, id, peer, 1, err, errlen);
}

fleet_tls_session *fleet_tls_connect(int fd, const fleet_tls_identity *id, const unsigned char peer[32], char *err, size_t errlen) {
    return handshake(fd, id, peer, 0, err, errlen);
}

long fleet_tls_read(fleet_tls_session *s, void *buffer, size_t count, char *err, size_t errlen) {
    size_t got = 0;
    int r = SSL_read_ex(s->ssl, buffer, count, &got);
    if (r == 1) return (long)got;
    int code = SSL_get_error(s->ssl, r);
    if (code == SSL_ERROR_ZERO_RETURN) return 0;
    int saved = errno;
    fail(err, errlen, code == SSL_ERROR_SYSCALL && saved ? strerror(saved) : "TLS read failed");
    return -1;
}

/* The socket's send timeout (SO_SNDTIMEO) in milliseconds, -1 for none. */
static int send_timeout_ms(int fd) {
    struct timeval tv = {0, 0};
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) != 0 || (tv.tv_sec == 0 && tv.tv_usec == 0)) return -1;
    long ms = tv.tv_sec * 1000L + tv.tv_usec / 1000;
    return ms > 0x7fffffffL ? 0x7fffffff : (int)ms;
}

/* Writes all of `buffer`; fails once the peer takes nothing for the
 * socket's send timeout. The socket is non-blocking for the call and each
 * wait is a poll of that length: a blocking write(2) with SO_SNDTIMEO that
 * had queued part of a record returns that part after the timeout, and
 * OpenSSL then waits a whole timeout again for the rest, so a cut link took
 * two timeouts to end a transfer (the link-cut cluster test measured 62 s). */
int fleet_tls_write(fleet_tls_session *s, const void *buffer, size_t count, char *err, size_t errlen) {
    int fd = SSL_get_fd(s->ssl);
    int wait_ms = send_timeout_ms(fd);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        if (err && errlen) snprintf(err, errlen, "cannot make the transfer socket non-blocking: %s", strerror(errno));
        return -1;
    }
    int result = 0;
    size_t done = 0;
    sigset_t old;
    pipe_block(&old);
    while (done < count) {
        size_t wrote = 0;
        /* After WANT_WRITE OpenSSL wants the same buffer and length again,
         * which `done` (unchanged until a write succeeds) gives it. */
        int r = SSL_write_ex(s->ssl, (const char *)buffer + done, count - done, &wrote);
        if (r == 1) {
            done += wrote;
            continue;
        }
        int saved = errno;
        int code = SSL_get_error(s->ssl, r);
        if (code == SSL_ERROR_WANT_WRITE || code == SSL_ERROR_WANT_READ) {
            ERR_clear_error();
            struct pollfd p = { .fd = fd, .events = code == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, .revents = 0 };
            int ready = poll(&p, 1, wait_ms);
            if (ready > 0 || (ready < 0 && errno == EINTR)) continue;
            if (err && errlen) {
                if (ready == 0) snprintf(err, errlen, "the peer took nothing for %d s (it stopped reading, or the link to it is down)", wait_ms / 1000);
                else snprintf(err, errlen, "cannot wait for the transfer socket: %s", strerror(errno));
            }
            result = -1;
            break;
        }
        fail(err, errlen, code == SSL_ERROR_SYSCALL && saved ? strerror(saved) : "TLS write failed");
        result = -1;
        break;
    }
    pipe_restore(&old);
    fcntl(fd, F_SETFL, flags);
    return result;
}

void fleet_tls_close(fleet_tls_session *s) {
    if (!s) return;
    // close_notify is a courtesy (the stream has its own end record): on a
    // connection whose peer stopped reading (a cut link) it must not wait
    // out the idle timeout a second time in a full send buffer.
    int fd = SSL_get_fd(s->ssl);
    if (fd >= 0) {
        struct timeval brief = { .tv_sec = 1, .tv_usec = 0 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &brief, sizeof brief);
    }
    sigset_t old;
    pipe_block(&old);
    SSL_shutdown(s->ssl);
    pipe_restore(&old);
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
    free(s);
}
