@testable import FleetController
import FleetTestSupport
import Testing

/// Which address a direct transfer names for a host (agents bind to it and
/// check connections against it, so it must be numeric).
@Suite(.tags(.unit)) struct TransferAddressTests {
    @Test func aNumericEnrolledAddressIsKept() {
        #expect(TransferAddress.numeric("10.0.0.12", reached: "10.9.9.9") == "10.0.0.12")
        #expect(TransferAddress.numeric("fd00::12", reached: "10.9.9.9") == "fd00::12")
    }

    @Test func aHostEnrolledByNameIsNamedByTheAddressItsSessionReached() {
        #expect(TransferAddress.numeric("web3.example", reached: "10.0.0.13") == "10.0.0.13")
        #expect(TransferAddress.numeric("web3.example", reached: "fd00::13") == "fd00::13")
        // No session address known: the name goes, and the agents refuse it (auto then relays).
        #expect(TransferAddress.numeric("web3.example", reached: nil) == "web3.example")
    }
}
