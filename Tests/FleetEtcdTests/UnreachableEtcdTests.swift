import FleetEtcd
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// Endpoints where no etcd answers: the error comes within the request
/// timeout and says what to check. Loopback sockets only, no etcd.
@Suite(.tags(.unit)) struct UnreachableEtcdTests {
    @Test func refusedEndpointsGiveTheClearErrorAtOnce() throws {
        let ports = [try LoopbackPort.free(), try LoopbackPort.free()]
        let client = try EtcdClient(settings: EtcdSettings(endpoints: ports.map { EtcdEndpoint(host: "127.0.0.1", port: $0) }, requestTimeout: 3))
        let start = Monotonic.now
        do throws(EtcdError) {
            _ = try client.get("/vfleet/x")
            Issue.record("a read succeeded with no etcd")
        } catch {
            #expect(error.kind == .unreachable)
            for port in ports { #expect(error.message.contains("cannot reach etcd at") && error.message.contains("127.0.0.1:\(port) (Connection refused)"), "\(error)") }
            #expect(error.message.contains("is etcd running") && error.message.contains("VFLEET_ETCD_ENDPOINTS"), "\(error)")
            #expect(error.fleetError.code == .unreachable)
        }
        // Bounded rounds of refused connects, not the whole timeout.
        #expect(Monotonic.now - start < 1.5)
    }

    @Test func aSilentMemberCostsNoMoreThanTheTimeout() throws {
        let silent = try SilentListener()
        let refused = try LoopbackPort.free()
        let endpoints = [EtcdEndpoint(host: "127.0.0.1", port: silent.port), EtcdEndpoint(host: "127.0.0.1", port: refused)]
        let client = try EtcdClient(settings: EtcdSettings(endpoints: endpoints, requestTimeout: 1))
        let start = Monotonic.now
        do throws(EtcdError) {
            _ = try client.get("/vfleet/x")
            Issue.record("a read succeeded with no etcd")
        } catch {
            #expect(error.kind == .unreachable)
            #expect(error.message.contains("127.0.0.1:\(silent.port) (read timed out)"), "\(error)")
        }
        #expect(Monotonic.now - start < 1.6)
    }

    @Test func aWriteWithoutAnswerIsReportedUnknownNotRepeated() throws {
        // The put reaches a member that closes without answering: it may
        // have been applied there, so the client must not send it on.
        let closing = try RequestWitness()
        let next = try RequestWitness()
        let endpoints = [EtcdEndpoint(host: "127.0.0.1", port: closing.port), EtcdEndpoint(host: "127.0.0.1", port: next.port)]
        let client = try EtcdClient(settings: EtcdSettings(endpoints: endpoints, requestTimeout: 1))
        do throws(EtcdError) {
            _ = try client.put(EtcdPutRequest("/vfleet/log/1", "entry"))
            Issue.record("a put succeeded with no etcd")
        } catch {
            #expect(error.kind == .outcomeUnknown)
            #expect(error.message.contains("may or may not have been applied"), "\(error)")
            #expect(error.message.contains("127.0.0.1:\(closing.port)"), "\(error)")
        }
        #expect(closing.connections == 1)
        #expect(next.connections == 0, "the put was sent again to another endpoint")
        // A read in the same situation does go on to the next endpoint.
        #expect(throws: EtcdError.self) { try client.get("/vfleet/log/1") }
        #expect(next.connections >= 1)
    }

    @Test func aWriteToASilentMemberEndsAtTheTimeout() throws {
        let silent = try SilentListener()
        let client = try EtcdClient(settings: EtcdSettings(endpoints: [EtcdEndpoint(host: "127.0.0.1", port: silent.port)], requestTimeout: 1))
        let start = Monotonic.now
        #expect(throws: EtcdError(.outcomeUnknown, "etcd at 127.0.0.1:\(silent.port) did not answer the put of /vfleet/x (read timed out): it may or may not have been applied; read it back before trying again")) {
            try client.put(EtcdPutRequest("/vfleet/x", "1"))
        }
        #expect(Monotonic.now - start < 1.6)
    }
}
