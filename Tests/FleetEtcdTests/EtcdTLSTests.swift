import FleetEtcd
import FleetEtcdTestSupport
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// TLS to etcd: members with their own CA that require a client certificate.
@Suite(.tags(.root), .serialized) struct EtcdTLSTests {
    @Test func readsWritesAndWatchesOverTLSWithAClientCertificate() throws {
        try withEtcdCluster(size: 1, tls: true) { cluster in
            let etcd = try cluster.client()
            let put = try etcd.put(EtcdPutRequest("/vfleet/tls", "yes"))
            #expect(try etcd.get("/vfleet/tls")?.valueString == "yes")
            let watch = try etcd.watch(.prefix("/vfleet/"), fromRevision: put.header.revision)
            defer { watch.cancel() }
            #expect(try watch.next(timeout: 5)?.kv.valueString == "yes")
        }
    }

    @Test func refusesWhatCannotBeTrusted() throws {
        try withEtcdCluster(size: 1, tls: true) { cluster in
            let certificates = try #require(cluster.certificates)
            // The members' certificate signed by another CA than ours.
            let strangers = try EtcdClient(settings: EtcdSettings(endpoints: cluster.endpoints, requestTimeout: 2, tls: EtcdTLSFiles(
                caFile: certificates.otherCA, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey)))
            do throws(EtcdError) {
                _ = try strangers.get("/vfleet/tls")
                Issue.record("a member whose certificate our CA did not sign was trusted")
            } catch {
                #expect(error.kind == .unreachable)
                #expect(error.message.contains("certificate verify failed"), "\(error)")
            }
            // No client certificate: the member refuses us.
            let anonymous = try EtcdClient(settings: EtcdSettings(endpoints: cluster.endpoints, requestTimeout: 2, tls: EtcdTLSFiles(caFile: certificates.ca)))
            do throws(EtcdError) {
                _ = try anonymous.get("/vfleet/tls")
                Issue.record("a client without a certificate was served")
            } catch {
                #expect(error.kind == .unreachable)
                #expect(error.message.contains("bad certificate"), "\(error)")
            }
            // Plain HTTP to a TLS member gets no answer it can read.
            let plain = try EtcdClient(settings: EtcdSettings(endpoints: cluster.endpoints, requestTimeout: 2))
            do throws(EtcdError) {
                _ = try plain.get("/vfleet/tls")
                Issue.record("plain HTTP to a TLS member was served")
            } catch {
                #expect(error.kind == .unreachable)
            }
            // None of them wrote anything.
            #expect(try cluster.client().get("/vfleet/tls") == nil)
        }
    }

    @Test func refusesAMemberWhoseCertificateNamesAnotherAddressOrHost() throws {
        try withEtcdCluster(size: 1, tls: true) { cluster in
            let certificates = try #require(cluster.certificates)
            let port = cluster.endpoints[0].port
            // The same member, reached at an address and a name its
            // certificate (IP:127.0.0.1 only) does not carry.
            for (host, reason) in [("127.0.0.2", "IP address mismatch"), ("localhost", "hostname mismatch")] {
                let client = try EtcdClient(settings: EtcdSettings(
                    endpoints: [EtcdEndpoint(host: host, port: port)], requestTimeout: 2, tls: certificates.clientFiles))
                do throws(EtcdError) {
                    _ = try client.get("/vfleet/tls")
                    Issue.record("\(host): a certificate for another address was trusted")
                } catch {
                    #expect(error.kind == .unreachable)
                    #expect(error.message.contains("certificate verify failed: \(reason)"), "\(error)")
                }
            }
            #expect(try cluster.client().get("/vfleet/tls") == nil)
        }
    }

    @Test func unreadableFilesAreRefusedUpFront() throws {
        do throws(EtcdError) {
            _ = try EtcdClient(settings: EtcdSettings(endpoints: [EtcdEndpoint(host: "127.0.0.1", port: 2379)], tls: EtcdTLSFiles(caFile: "/nonexistent/ca.pem")))
            Issue.record("a missing CA file was accepted")
        } catch {
            #expect(error.kind == .invalidArgument)
            #expect(error.message.contains("cannot read the CA file /nonexistent/ca.pem") && error.message.contains("VFLEET_ETCD_CA"), "\(error)")
        }
    }
}
