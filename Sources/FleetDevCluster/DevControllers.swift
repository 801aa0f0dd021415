import FleetProtocol
import Foundation

/// The controller machines of a test cluster with a replicated store: each
/// a state directory (its own SQLite replica) and a network namespace on the
/// bridge (so a test can cut one controller off the hosts and etcd, links
/// down, sessions hanging), all sharing the cluster's controller key.
enum DevControllers {
    /// The store mode setting for a controller that shares the fleet through etcd.
    static let replicatedStore = ["VFLEET_STORE": "replicated"]

    /// Address of controller `n` (1-based): .101… of the cluster's /24.
    static func address(prefix: String, controller n: Int) -> String { "\(prefix).\(100 + n)" }

    static func make(count: Int, index: Int, prefix: String, state: DevClusterState) throws(FleetError) -> [DevClusterState.Controller] {
        guard let etcd = state.etcd, !etcd.isEmpty else { return [] }
        var made: [DevClusterState.Controller] = []
        for n in 1...count {
            let name = "controller\(n)"
            let dir = state.directory + "/controllers/" + name
            try DevCluster.makeDirectory(dir)
            let ns = "vf\(index)-\(name)"
            let addr = address(prefix: prefix, controller: n)
            try DevCluster.plugIn(namespace: ns, veth: "vf\(index)c\(n)", address: addr, bridge: state.bridge)
            var environment = replicatedStore
            environment["VFLEET_DB"] = dir + "/fleet.db"
            environment["VFLEET_IDENTITY"] = state.identityFile
            environment["VFLEET_KNOWN_HOSTS"] = state.knownHostsFile
            environment["VFLEET_ETCD_ENDPOINTS"] = DevEtcd.endpointsSetting(etcd)
            // Each serve's /metrics on its own address in its own namespace.
            environment["VFLEET_METRICS_ADDRESS"] = "\(addr):9464"
            made.append(DevClusterState.Controller(name: name, namespace: ns, address: addr, stateDirectory: dir, environment: environment))
        }
        return made
    }

    /// Removes the controller's namespace (killing what runs in it); its
    /// state directory goes with the cluster's files.
    static func stop(_ controller: DevClusterState.Controller) {
        DevCluster.killNamespace(controller.namespace)
    }
}
