#ifndef FLEET_ETCD_TLS_H
#define FLEET_ETCD_TLS_H
#include <stddef.h>

/* TLS client for FleetEtcd: the members' certificates checked against the
 * cluster's CA file and the endpoint's host name or address, and this
 * client's certificate when the members require one. Non-blocking sockets:
 * a call that needs the socket ready returns FLEET_ETCD_TLS_WANT_READ or
 * _WANT_WRITE and the caller polls, so every wait has the caller's deadline. */

#define FLEET_ETCD_TLS_WANT_READ (-2)
#define FLEET_ETCD_TLS_WANT_WRITE (-3)

typedef struct fleet_etcd_tls_context fleet_etcd_tls_context;
typedef struct fleet_etcd_tls_session fleet_etcd_tls_session;

/* NULL on failure, with the file and the reason in err. cert and key are
 * both NULL (no client certificate) or both set. */
fleet_etcd_tls_context *fleet_etcd_tls_context_new(const char *ca, const char *cert, const char *key, char *err, size_t errlen);
void fleet_etcd_tls_context_free(fleet_etcd_tls_context *context);

/* A session on a connected socket, to verify `host` (a name or a numeric address). */
fleet_etcd_tls_session *fleet_etcd_tls_session_new(fleet_etcd_tls_context *context, int fd, const char *host, char *err, size_t errlen);
void fleet_etcd_tls_session_free(fleet_etcd_tls_session *session);

/* 1 when done, WANT_READ/WANT_WRITE, or -1 with the reason in err. */
int fleet_etcd_tls_handshake(fleet_etcd_tls_session *session, char *err, size_t errlen);
/* Bytes read (0: the peer closed), WANT_READ/WANT_WRITE, or -1. */
long fleet_etcd_tls_read(fleet_etcd_tls_session *session, void *buffer, size_t count, char *err, size_t errlen);
/* Bytes written (> 0), WANT_READ/WANT_WRITE, or -1. */
long fleet_etcd_tls_write(fleet_etcd_tls_session *session, const void *buffer, size_t count, char *err, size_t errlen);

#endif
