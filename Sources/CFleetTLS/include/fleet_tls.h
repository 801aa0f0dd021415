#ifndef FLEET_TLS_H
#define FLEET_TLS_H
#include <stddef.h>

/* TLS 1.3 for direct transfers between agents: an ephemeral Ed25519 key and
 * self-signed certificate per transfer, and a handshake that requires the
 * peer's certificate and compares its SHA-256 fingerprint with a pinned one.
 * Blocking sockets; the caller sets their timeouts. */

typedef struct fleet_tls_identity fleet_tls_identity;
typedef struct fleet_tls_session fleet_tls_session;

/* NULL on failure, with the reason in err. */
fleet_tls_identity *fleet_tls_identity_new(char *err, size_t errlen);
void fleet_tls_identity_free(fleet_tls_identity *identity);
/* 32 bytes: SHA-256 of the certificate's DER encoding. */
void fleet_tls_identity_fingerprint(const fleet_tls_identity *identity, unsigned char out[32]);

/* Handshake on a connected socket as server (accept) or client (connect).
 * NULL when it fails or the peer's fingerprint is not `peer`; err says which. */
fleet_tls_session *fleet_tls_accept(int fd, const fleet_tls_identity *identity, const unsigned char peer[32], char *err, size_t errlen);
fleet_tls_session *fleet_tls_connect(int fd, const fleet_tls_identity *identity, const unsigned char peer[32], char *err, size_t errlen);

/* Bytes read (0: the peer closed cleanly), or -1 with the reason in err. */
long fleet_tls_read(fleet_tls_session *session, void *buffer, size_t count, char *err, size_t errlen);
/* 0 once all `count` bytes are written, -1 with the reason in err; -1 too
 * once the peer takes nothing for the socket's SO_SNDTIMEO (one wait, not
 * one per partial write). */
int fleet_tls_write(fleet_tls_session *session, const void *buffer, size_t count, char *err, size_t errlen);
/* Sends close_notify (best effort) and frees the session; not the socket. */
void fleet_tls_close(fleet_tls_session *session);

#endif
