import FleetEtcd
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct EtcdSettingsTests {
    @Test func parsesEndpoints() throws {
        #expect(try EtcdEndpoint(parsing: "127.0.0.1:2379") == EtcdEndpoint(host: "127.0.0.1", port: 2379))
        #expect(try EtcdEndpoint(parsing: " http://etcd1:2379/ ") == EtcdEndpoint(host: "etcd1", port: 2379))
        #expect(try EtcdEndpoint(parsing: "[::1]:2379") == EtcdEndpoint(host: "::1", port: 2379))
        #expect(EtcdEndpoint(host: "::1", port: 2379).description == "[::1]:2379")
        for bad in ["", "etcd1", "etcd1:", "etcd1:0", "etcd1:70000", ":2379"] {
            #expect(throws: EtcdError.self) { try EtcdEndpoint(parsing: bad) }
        }
    }

    @Test func readsTheEnvironment() throws {
        let settings = try EtcdSettings.fromEnvironment([
            "VFLEET_ETCD_ENDPOINTS": "127.0.0.1:2379, 127.0.0.1:22379,127.0.0.1:32379", "VFLEET_ETCD_TIMEOUT": "2.5",
        ])
        #expect(settings.endpoints.map(\.port) == [2379, 22379, 32379])
        #expect(settings.requestTimeout == 2.5)
        #expect(settings.tls == nil)
        let tls = try EtcdSettings.fromEnvironment([
            "VFLEET_ETCD_ENDPOINTS": "a:1", "VFLEET_ETCD_CA": "/ca.pem", "VFLEET_ETCD_CERT": "/c.pem", "VFLEET_ETCD_KEY": "/k.pem",
        ])
        #expect(tls.tls == EtcdTLSFiles(caFile: "/ca.pem", certificateFile: "/c.pem", keyFile: "/k.pem"))
    }

    @Test func refusesIncompleteSettingsSayingWhatToSet() {
        let cases: [([String: String], String)] = [
            ([:], "VFLEET_ETCD_ENDPOINTS"),
            (["VFLEET_ETCD_ENDPOINTS": "a:1", "VFLEET_ETCD_TIMEOUT": "soon"], "VFLEET_ETCD_TIMEOUT"),
            (["VFLEET_ETCD_ENDPOINTS": "a:1", "VFLEET_ETCD_CERT": "/c.pem"], "VFLEET_ETCD_CA"),
            (["VFLEET_ETCD_ENDPOINTS": "a:1", "VFLEET_ETCD_CA": "/ca", "VFLEET_ETCD_CERT": "/c.pem"], "VFLEET_ETCD_KEY"),
        ]
        for (environment, named) in cases {
            do {
                _ = try EtcdSettings.fromEnvironment(environment)
                Issue.record("accepted \(environment)")
            } catch {
                #expect(error.kind == .invalidArgument)
                #expect(error.message.contains(named), "\(error.message)")
            }
        }
    }
}
