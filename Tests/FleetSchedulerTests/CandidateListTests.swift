@testable import FleetScheduler
import FleetTestSupport
import Testing

/// The blocked sorted list under churn, against a plain sorted array.
@Suite(.tags(.unit)) struct CandidateListTests {
    struct TestKey: CandidateKey {
        var freeMemory: UInt64
        var host: Int32
        var freeCpu: Int
        var freeDisk: UInt64
        var size: UInt64 { 0 }

        static func == (a: TestKey, b: TestKey) -> Bool { a.freeMemory == b.freeMemory && a.host == b.host }
        static func < (a: TestKey, b: TestKey) -> Bool { (a.freeMemory, a.host) < (b.freeMemory, b.host) }
    }

    @Test func staysSortedAndFindsWhatAFlatArrayFinds() {
        var random = SplitMix64(state: 99)
        var current: [Int32: TestKey] = [:]
        func randomKey(_ host: Int32) -> TestKey {
            TestKey(freeMemory: random.next() % 1000, host: host, freeCpu: Int(random.next() % 16), freeDisk: random.next() % 50)
        }
        for host in Int32(0)..<500 { current[host] = randomKey(host) }
        var list = CandidateList(sorted: current.values.sorted())
        for round in 0..<20_000 {
            // Re-key one host, as a placement does; now and then drop or add one.
            let host = Int32(random.next() % 600)
            if let old = current[host] { list.remove(old) }
            if round % 7 == 0 {
                current[host] = nil
            } else {
                let key = randomKey(host)
                current[host] = key
                list.insert(key)
            }
            if round % 50 == 0 {
                let need = ResourceNeed(memory: random.next() % 1000, cpu: Int(random.next() % 16), disk: random.next() % 50)
                let expected = current.values.sorted().first { $0.freeMemory >= need.memory && need.isMet(by: $0) }
                let found = list.scan(
                    from: TestKey(freeMemory: need.memory, host: .min, freeCpu: 0, freeDisk: 0), need: need,
                    stop: { _ in false }, prune: { _, _ in false }, visit: { _ in true })
                #expect(found == expected, "round \(round)")
                #expect(list.first == current.values.min(), "round \(round)")
            }
        }
        var all: [TestKey] = []
        _ = list.scan(from: nil, need: ResourceNeed(memory: 0, cpu: .min, disk: 0),
                      stop: { _ in false }, prune: { _, _ in false }, visit: { all.append($0); return false })
        #expect(all == current.values.sorted())
    }
}
