import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.unit)) struct IPv4Tests {
    @Test func parsesStrictDottedQuads() {
        #expect(IPv4Address("10.0.0.5")?.value == 0x0A00_0005)
        #expect(IPv4Address("255.255.255.255")?.value == UInt32.max)
        for bad in ["10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1.", "a.b.c.d", "", "10..0.1", "1e1.0.0.1", "10.0.0.-1"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPv4Address(0xC0A8_0101).description == "192.168.1.1")
    }

    @Test func cidrArithmetic() throws {
        let c = try #require(IPv4CIDR("10.40.0.77/24"))
        #expect(c.network.description == "10.40.0.0")
        #expect(c.broadcast.description == "10.40.0.255")
        #expect(c.contains(IPv4Address("10.40.0.1")!))
        #expect(!c.contains(IPv4Address("10.40.1.1")!))
        #expect(c.assignable == 0x0A28_0001...0x0A28_00FE)
        #expect(IPv4CIDR("10.0.0.0/30")?.assignable?.count == 2)
        #expect(IPv4CIDR("10.0.0.7/32")?.assignable?.count == 1)
        #expect(IPv4CIDR("10.0.0.5")?.prefix == nil)
        #expect(IPv4CIDR("10.0.0.5", defaultPrefix: 32)?.prefix == 32)
        #expect(IPv4CIDR("10.0.0.5/33") == nil)
        #expect(IPv4CIDR("10.0.0.5/-1") == nil)
        #expect(IPv4CIDR("0.0.0.0/0")?.mask == 0)
    }
}

@Suite(.tags(.unit)) struct GuestNetworkSpecTests {
    func spec(_ mode: NetworkMode, _ addresses: [String]? = nil, gateway: String? = nil, bridge: String? = nil) -> GuestSpec {
        GuestSpec(name: "web", template: "base", network: mode, addresses: addresses, gateway: gateway, bridge: bridge)
    }

    func message(_ s: GuestSpec) -> String? {
        do { try s.validate(); return nil } catch { return error.message }
    }

    @Test func validNetworks() throws {
        try spec(.isolated, ["10.0.0.5"]).validate()
        try spec(.isolated, ["10.0.0.5", "10.0.0.6/24"]).validate()
        try spec(.private, ["10.0.0.5/24"], gateway: "10.0.0.1", bridge: "br-guests").validate()
        try spec(.private, ["10.0.0.5/24"]).validate()
        try spec(.none).validate()
        try spec(.host).validate()
        #expect(spec(.isolated, ["10.0.0.5"]).interfaceAddresses.map(\.description) == ["10.0.0.5/32"])
    }

    @Test func refusedWithTheReason() {
        #expect(message(spec(.isolated))?.contains("needs an address") == true)
        #expect(message(spec(.none, ["10.0.0.5"]))?.contains("--ip needs --net isolated or --net private") == true)
        #expect(message(spec(.private, ["10.0.0.5"]))?.contains("needs its prefix") == true)
        #expect(message(spec(.isolated, ["10.0.0.300"]))?.contains("is not an IPv4 address") == true)
        #expect(message(spec(.isolated, ["127.0.0.2"]))?.contains("cannot be a guest's address") == true)
        #expect(message(spec(.isolated, ["10.0.0.0/24"]))?.contains("cannot be a guest's address") == true)
        #expect(message(spec(.isolated, ["10.0.0.5", "10.0.0.5/24"]))?.contains("given twice") == true)
        #expect(message(spec(.isolated, (1...17).map { "10.0.0.\($0)" }))?.contains("at most 16") == true)
        #expect(message(spec(.isolated, ["10.0.0.5"], gateway: "10.0.0.1"))?.contains("--gateway is for --net private only") == true)
        #expect(message(spec(.private, ["10.0.0.5/24"], gateway: "10.0.1.1"))?.contains("not reachable") == true)
        #expect(message(spec(.private, ["10.0.0.5/24"], gateway: "10.0.0.5"))?.contains("not reachable") == true)
        #expect(message(spec(.private, ["10.0.0.5/24"], bridge: "a-name-longer-than-15"))?.contains("not a Linux interface name") == true)
        #expect(message(spec(.host, nil, bridge: "br0"))?.contains("--bridge is for --net private only") == true)
        for cap in ["NET_ADMIN", "net_raw", "CAP_NET_ADMIN"] {
            var s = spec(.isolated, ["10.0.0.5"])
            s.capAdd = [cap]
            #expect(message(s)?.contains("would reach the host's own network stack") == true, "\(cap)")
        }
        var privateAdmin = spec(.private, ["10.0.0.5/24"])
        privateAdmin.capAdd = ["NET_ADMIN"]
        #expect(message(privateAdmin) == nil)
    }

    @Test func oldRecordsWithoutAddressesStillDecode() throws {
        let json = #"{"name":"a","template":"t","limits":{},"autostart":false,"network":"host","capAdd":[],"capDrop":[]}"#
        let s = try JSONDecoder().decode(GuestSpec.self, from: Data(json.utf8))
        #expect(s.addresses == nil && s.network == .host)
    }
}
