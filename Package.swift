// swift-tools-version:6.0
import PackageDescription

// Layers (see docs/ARCHITECTURE.md): only FleetKernel and CFleetShim make
// context system calls; FleetProtocol is pure data; FleetTree reads and
// writes file trees; FleetAgent is the host agent's logic.
let package = Package(
    name: "vfleet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vfleet-agent", targets: ["vfleet-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CFleetShim"),
        .target(name: "FleetProtocol"),
        .target(name: "FleetTree", dependencies: ["CLibCrypto"]),
        .target(name: "FleetKernel", dependencies: ["CFleetShim", "CLibCap"]),
        .target(name: "FleetAgent", dependencies: ["FleetKernel", "FleetProtocol", "FleetTree"]),
        .executableTarget(name: "vfleet-agent", dependencies: [
            "FleetAgent",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "FleetProtocolTests", dependencies: ["FleetProtocol"]),
        .testTarget(name: "FleetTreeTests", dependencies: ["FleetTree"]),
        .testTarget(name: "FleetKernelTests", dependencies: ["FleetKernel"]),
        .testTarget(name: "FleetAgentTests", dependencies: ["FleetAgent", "FleetKernel"]),
    ],
    swiftLanguageModes: [.v6]
)
