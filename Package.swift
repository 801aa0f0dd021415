// swift-tools-version:6.0
import PackageDescription

// Layers (see docs/ARCHITECTURE.md): only FleetKernel and CFleetShim make
// context system calls; only FleetSSH touches libssh; only the controller's
// store touches SQLite. FleetSystem is the small OS helpers every layer
// shares (subprocess, line reader, atomic file write, lock) and depends only
// on its own C helpers (CFleetSystem: GNU calls Glibc's module hides, the
// detached spawn); FleetProtocol is pure data shared by both sides;
// FleetScheduler is a pure function; FleetTree reads, digests, validates and
// copies file trees, and three modules build on it, one job each:
// FleetTreeStream (the tree stream a move sends), FleetArchive (tar import)
// and FleetRootfs (template root file systems: busybox, Debian).
let package = Package(
    name: "vfleet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vfleet-agent", targets: ["vfleet-agent"]),
        .executable(name: "vfleet", targets: ["vfleet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibSSH", pkgConfig: "libssh", providers: [.apt(["libssh-dev"])]),
        .target(name: "CFleetShim"),
        .target(name: "CFleetSystem"),
        // TLS 1.3 with pinned ephemeral certificates for direct transfers
        // between agents (docs/ARCHITECTURE.md, direct transfers).
        .target(name: "CFleetTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "FleetSystem", dependencies: ["CFleetSystem"]),
        .target(name: "FleetProtocol"),
        .target(name: "FleetTree", dependencies: ["CLibCrypto", "FleetSystem"]),
        .target(name: "FleetTreeStream", dependencies: ["FleetSystem", "FleetTree"]),
        .target(name: "FleetArchive", dependencies: ["FleetTree"]),
        .target(name: "FleetRootfs", dependencies: ["FleetSystem", "FleetTree"]),
        .target(name: "FleetKernel", dependencies: ["CFleetShim", "CLibCap", "FleetSystem"]),
        .target(name: "FleetAgent", dependencies: ["CFleetTLS", "FleetArchive", "FleetKernel", "FleetProtocol", "FleetSystem", "FleetTree", "FleetTreeStream"]),
        .target(name: "FleetSSH", dependencies: ["CLibSSH", "FleetSystem"]),
        .target(name: "FleetScheduler", dependencies: ["FleetProtocol"]),
        // SQLite's session extension (changesets) for the replicated store.
        .target(name: "CFleetSQLiteSession", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(name: "FleetController", dependencies: [
            "CFleetSQLiteSession", "FleetEtcd", "FleetArchive", "FleetProtocol", "FleetRootfs", "FleetSSH", "FleetScheduler", "FleetSystem", "FleetTree", "FleetTreeStream",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The test cluster (network namespaces with sshd and the agent) for
        // `vfleet dev-cluster` and the tests; not part of the controller.
        .target(name: "FleetDevCluster", dependencies: ["FleetEtcd", "FleetProtocol", "FleetSSH", "FleetSystem"]),
        .target(name: "FleetCLI", dependencies: ["FleetProtocol"]),
        // The etcd v3 client (JSON gateway over HTTP/1.1) for the replicated
        // store (issue 19; docs/ARCHITECTURE.md, FleetEtcd).
        .target(name: "CFleetEtcdTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "FleetEtcd", dependencies: ["CFleetEtcdTLS", "FleetProtocol", "FleetSystem"]),
        .executableTarget(name: "vfleet-agent", dependencies: [
            "FleetAgent", "FleetCLI", "FleetRootfs", "FleetTree",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vfleet", dependencies: [
            "FleetController", "FleetDevCluster", "FleetRootfs", "FleetSystem", "FleetCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "FleetSystemTests", dependencies: ["FleetSystem", "FleetTestSupport"]),
        .testTarget(name: "FleetProtocolTests", dependencies: ["FleetProtocol", "FleetTestSupport"]),
        .testTarget(name: "FleetTreeTests", dependencies: ["FleetArchive", "FleetRootfs", "FleetSystem", "FleetTree", "FleetTreeStream", "FleetTestSupport"]),
        .testTarget(name: "FleetKernelTests", dependencies: ["FleetKernel", "FleetSystem", "FleetTestSupport"]),
        // Fixtures shared by test targets (a Debian tree built once per run).
        .target(name: "FleetTestSupport", dependencies: ["FleetSystem", "FleetTreeStream"], path: "Tests/FleetTestSupport"),
        .testTarget(name: "FleetAgentTests", dependencies: ["FleetAgent", "FleetArchive", "FleetKernel", "FleetSystem", "FleetTree", "FleetTreeStream", "FleetTestSupport"]),
        .testTarget(name: "FleetSSHTests", dependencies: ["FleetSSH", "FleetTestSupport"]),
        .testTarget(name: "FleetSchedulerTests", dependencies: ["FleetScheduler", "FleetTestSupport"]),
        // A real etcd cluster for the etcd client's and the replicated store's tests.
        .target(name: "FleetEtcdTestSupport", dependencies: ["FleetEtcd", "FleetSystem", "FleetTestSupport"], path: "Tests/FleetEtcdTestSupport"),
        .testTarget(name: "FleetEtcdTests", dependencies: ["FleetEtcd", "FleetEtcdTestSupport", "FleetSystem", "FleetTestSupport"]),
        .testTarget(name: "FleetControllerTests", dependencies: ["FleetController", "FleetDevCluster", "FleetEtcdTestSupport", "FleetSystem", "FleetTestSupport"]),
        .testTarget(name: "FleetReplicaTests", dependencies: ["FleetController", "FleetEtcd", "FleetEtcdTestSupport", "FleetSystem", "FleetTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
