#include "fleet_etcd_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fleet_etcd_tls_context {
    SSL_CTX *ctx;
};

struct fleet_etcd_tls_session {
    SSL *ssl;
};

static void say(char *err, size_t errlen, const char *what) {
    unsigned long code = ERR_get_error();
    char reason[256] = "";
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    snprintf(err, errlen, "%s%s%s", what, reason[0] ? ": " : "", reason);
}

fleet_etcd_tls_context *fleet_etcd_tls_context_new(const char *ca, const char *cert, const char *key, char *err, size_t errlen) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        say(err, errlen, "cannot make a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    char what[512];
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        snprintf(what, sizeof what, "cannot read the CA file %s", ca);
        say(err, errlen, what);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (cert && key) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
            snprintf(what, sizeof what, "cannot read the client certificate %s", cert);
            say(err, errlen, what);
            SSL_CTX_free(ctx);
            return NULL;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
            snprintf(what, sizeof what, "cannot use the client key %s with %s", key, cert);
            say(err, errlen, what);
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    fleet_etcd_tls_context *context = calloc(1, sizeof *context);
    if (!context) {
        SSL_CTX_free(ctx);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    context->ctx = ctx;
    return context;
}

void fleet_etcd_tls_context_free(fleet_etcd_tls_context *context) {
    if (!context) return;
    SSL_CTX_free(context->ctx);
    free(context);
}

fleet_etcd_tls_session *fleet_etcd_tls_session_new(fleet_etcd_tls_context *context, int fd, const char *host, char *err, size_t errlen) {
    SSL *ssl = SSL_new(context->ctx);
    if (!ssl) {
        say(err, errlen, "cannot make a TLS session");
        return NULL;
    }
    unsigned char address[16];
    int numeric = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
    int ok = SSL_set_fd(ssl, fd) == 1;
    if (ok && numeric) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    } else if (ok) {
        ok = SSL_set1_host(ssl, host) == 1 && SSL_set_tlsext_host_name(ssl, host) == 1;
    }
    if (!ok) {
        say(err, errlen, "cannot set up the TLS session");
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    fleet_etcd_tls_session *session = calloc(1, sizeof *session);
    if (!session) {
        SSL_free(ssl);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    session->ssl = ssl;
    return session;
}

void fleet_etcd_tls_session_free(fleet_etcd_tls_session *session) {
    if (!session) return;
    SSL_free(session->ssl);
    free(session);
}

/* What an SSL call's result means; -1 with err filled for a failure. */
static long outcome(fleet_etcd_tls_session *session, int rc, char *err, size_t errlen) {
    switch (SSL_get_error(session->ssl, rc)) {
    case SSL_ERROR_WANT_READ: return FLEET_ETCD_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return FLEET_ETCD_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return 0;
    default: break;
    }
    long verify = SSL_get_verify_result(session->ssl);
    if (verify != X509_V_OK) {
        char what[256];
        snprintf(what, sizeof what, "certificate verify failed: %s", X509_verify_cert_error_string(verify));
        ERR_clear_error();
        snprintf(err, errlen, "%s", what);
    } else {
        say(err, errlen, "TLS failed");
    }
    return -1;
}

int fleet_etcd_tls_handshake(fleet_etcd_tls_session *session, char *err, size_t errlen) {
    int rc = SSL_do_handshake(session->ssl);
    if (rc == 1) return 1;
    long result = outcome(session, rc, err, errlen);
    return result == 0 ? -1 : (int)result;
}

long fleet_etcd_tls_read(fleet_etcd_tls_session *session, void *buffer, size_t count, char *err, size_t errlen) {
    size_t done = 0;
    int rc = SSL_read_ex(session->ssl, buffer, count, &done);
    if (rc == 1) return (long)done;
    int code = SSL_get_error(session->ssl, rc);
    /* A peer that closes without close_notify ends the stream too. */
    if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;
    if (code == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return 0;
    }
    return outcome(session, rc, err, errlen);
}

long fleet_etcd_tls_write(fleet_etcd_tls_session *session, const void *buffer, size_t count, char *err, size_t errlen) {
    size_t done = 0;
    int rc = SSL_write_ex(session->ssl, buffer, count, &done);
    if (rc == 1) return (long)done;
    long result = outcome(session, rc, err, errlen);
    return result == 0 ? -1 : result;
}
