import FleetController
import FleetDevCluster
import FleetTestSupport
import Testing

/// The test cluster's agents share one kernel: each host's block of context
/// ids (so of host uids) is its own, across the hosts of one cluster and of
/// the clusters up at the same time.
@Suite(.tags(.unit)) struct DevClusterContextBlockTests {
    @Test func blocksOfConcurrentClustersAndTheirHostsAreDisjointAndFit() {
        var blocks: [(index: Int, host: Int, range: Range<Int>)] = []
        for index in 1...16 {
            for host in 1...DevCluster.maximumHosts {
                let first = DevCluster.firstContextId(clusterIndex: index, host: host)
                blocks.append((index, host, first..<(first + DevCluster.contextIdsPerHost)))
            }
        }
        // Above a lone agent's 100 (the integration tests), and the last id
        // of the last block still gives host ids that fit in 32 bits.
        #expect(blocks.allSatisfy { $0.range.lowerBound >= 1000 })
        #expect(blocks.allSatisfy { $0.range.upperBound - 1 <= 65534 })
        let sorted = blocks.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(a.range.upperBound <= b.range.lowerBound, "cluster \(a.index) host \(a.host) overlaps cluster \(b.index) host \(b.host)")
        }
        // The 17th cluster reuses the first one's blocks, not something out of range.
        #expect(DevCluster.firstContextId(clusterIndex: 17, host: 3) == DevCluster.firstContextId(clusterIndex: 1, host: 3))
    }
}
