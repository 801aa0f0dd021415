import Foundation

/// How to reach an etcd cluster: its members' endpoints (tried in order, the
/// one that answered last first), timeouts, and TLS files.
public struct EtcdSettings: Sendable, Equatable {
    public var endpoints: [EtcdEndpoint]
    /// Seconds one request may take in all, failover included.
    public var requestTimeout: Double
    /// Seconds a TCP connect to one member may take before the next is tried.
    public var connectTimeout: Double
    public var tls: EtcdTLSFiles?

    public init(endpoints: [EtcdEndpoint], requestTimeout: Double = 5, connectTimeout: Double = 1, tls: EtcdTLSFiles? = nil) {
        self.endpoints = endpoints
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.tls = tls
    }

    /// From `VFLEET_ETCD_ENDPOINTS` (comma-separated HOST:PORT),
    /// `VFLEET_ETCD_TIMEOUT` (seconds), and `VFLEET_ETCD_CA`,
    /// `VFLEET_ETCD_CERT`, `VFLEET_ETCD_KEY` for TLS.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(EtcdError) -> EtcdSettings {
        guard let list = environment["VFLEET_ETCD_ENDPOINTS"], !list.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw EtcdError(.invalidArgument, "no etcd endpoints: set VFLEET_ETCD_ENDPOINTS to the members' HOST:PORT, comma-separated (e.g. in vfleet.env)")
        }
        var endpoints: [EtcdEndpoint] = []
        for item in list.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            endpoints.append(try EtcdEndpoint(parsing: String(item)))
        }
        var settings = EtcdSettings(endpoints: endpoints)
        if let text = environment["VFLEET_ETCD_TIMEOUT"] {
            guard let seconds = Double(text), seconds > 0 else {
                throw EtcdError(.invalidArgument, "bad VFLEET_ETCD_TIMEOUT '\(text)': give seconds, e.g. 5")
            }
            settings.requestTimeout = seconds
        }
        let certificate = environment["VFLEET_ETCD_CERT"], key = environment["VFLEET_ETCD_KEY"]
        if let ca = environment["VFLEET_ETCD_CA"] {
            guard (certificate == nil) == (key == nil) else {
                throw EtcdError(.invalidArgument, "VFLEET_ETCD_CERT and VFLEET_ETCD_KEY go together: set both for client certificate authentication, or neither")
            }
            settings.tls = EtcdTLSFiles(caFile: ca, certificateFile: certificate, keyFile: key)
        } else if certificate != nil || key != nil {
            throw EtcdError(.invalidArgument, "VFLEET_ETCD_CERT/VFLEET_ETCD_KEY need VFLEET_ETCD_CA (the CA that signed the etcd members' certificates)")
        }
        return settings
    }
}
