@testable import FleetAgent
import FleetProtocol
import FleetTestSupport
import Testing

/// The agent's dispatcher is built from the typed contract (RPC.methods):
/// a method the controller can call has a handler here, and a handler
/// answers only a method of the contract. No root needed: the tables are
/// read, not run.
@Suite(.tags(.unit)) struct RPCContractTests {
    @Test func everyContractMethodHasAHandlerAndEveryHandlerAMethod() {
        let contract = Set(RPC.methods.map { $0.name })
        let line = Set(RPCServer.lineHandlers.keys)
        let bulk = Set(RPCServer.bulkHandlers.keys)
        #expect(line.isDisjoint(with: bulk))
        #expect(contract.subtracting(line.union(bulk)).isEmpty, "methods without a handler: \(contract.subtracting(line.union(bulk)).sorted())")
        #expect(line.union(bulk).subtracting(contract).isEmpty, "handlers without a method: \(line.union(bulk).subtracting(contract).sorted())")
    }

    @Test func bulkMethodsAreServedWithTheirStreams() {
        let bulk = Set(RPC.methods.filter { $0.isBulk }.map { $0.name })
        #expect(Set(RPCServer.bulkHandlers.keys) == bulk)
        #expect(bulk == ["template.receive", "guest.export", "guest.import", "replica.relay-send", "replica.relay-receive"])
    }
}
