import FleetKernel
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct CapabilitiesTests {
    @Test func defaultBoundIsVServersSecureSetLessTheTwoEscapes() {
        let set = Capabilities.vserverSecure
        #expect(set.names.count == 13)
        // open_by_handle_at ("shocker") and ptrace of what enters the guest.
        #expect(!set.names.contains("CAP_DAC_READ_SEARCH"))
        #expect(!set.names.contains("CAP_SYS_PTRACE"))
        #expect(set.names.contains("CAP_CHOWN"))
        #expect(set.names.contains("CAP_NET_BIND_SERVICE"))
        #expect(!set.names.contains("CAP_SYS_ADMIN"))
        #expect(!set.names.contains("CAP_NET_RAW"))
        #expect(!set.names.contains("CAP_MKNOD"))
    }

    @Test func namesInEverySpelling() throws {
        #expect(try Capabilities.number(of: "NET_ADMIN") == 12)
        #expect(try Capabilities.number(of: "cap_net_admin") == 12)
        #expect(try Capabilities.number(of: "CAP_SYS_ADMIN") == 21)
        #expect(throws: KernelError.self) { try Capabilities.number(of: "CAP_BOGUS") }
        #expect(Capabilities.name(of: 0) == "CAP_CHOWN")
    }

    @Test func setAlgebra() throws {
        let a = try CapabilitySet(names: ["CHOWN", "KILL"])
        let b = try CapabilitySet(names: ["KILL"])
        #expect(a.subtracting(b).names == ["CAP_CHOWN"])
        #expect(a.union(try CapabilitySet(names: ["SYS_ADMIN"])).names.count == 3)
    }
}
