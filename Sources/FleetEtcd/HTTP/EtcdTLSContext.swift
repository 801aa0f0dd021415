import CFleetEtcdTLS
import Foundation

/// The TLS settings loaded once (CA, client certificate and key) for every
/// connection to the members.
// @unchecked Sendable: OpenSSL's SSL_CTX is only read once set up (each
// connection makes its own SSL from it), which OpenSSL allows from any thread.
final class EtcdTLSContext: @unchecked Sendable {
    let context: OpaquePointer

    init(_ files: EtcdTLSFiles) throws(EtcdError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let context = fleet_etcd_tls_context_new(files.caFile, files.certificateFile, files.keyFile, &error, error.count) else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw EtcdError(.invalidArgument, "\(reason): check VFLEET_ETCD_CA, VFLEET_ETCD_CERT and VFLEET_ETCD_KEY (PEM files)")
        }
        self.context = context
    }

    deinit { fleet_etcd_tls_context_free(context) }
}
