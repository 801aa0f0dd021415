import FleetEtcd
import Foundation

/// Runs `body` against a fresh etcd cluster and always tears it down
/// (members stopped by pid, data removed), also when `body` throws.
public func withEtcdCluster<T>(size: Int = 3, tls: Bool = false, _ body: (EtcdTestCluster) throws -> T) throws -> T {
    let cluster = try EtcdTestCluster.start(size: size, tls: tls)
    defer { cluster.shutdown() }
    return try body(cluster)
}
