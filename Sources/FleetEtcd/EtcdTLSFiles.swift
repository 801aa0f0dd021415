import Foundation

/// The files for TLS to etcd: the CA that signed the members' certificates,
/// and this client's certificate and key when the members require one
/// (`--client-cert-auth`).
public struct EtcdTLSFiles: Sendable, Equatable {
    public var caFile: String
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
