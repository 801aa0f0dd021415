import FleetKernel
import FleetProtocol
import Foundation

/// Guesses a template's init style and default init from its files, read
/// through GuestTree: an imported tree's links are resolved inside it, never
/// in the host's tree.
enum InitDetector {
    static func style(rootfs: String) -> InitStyle {
        guard let tree = try? GuestTree(directory: rootfs) else { return .plain }
        for path in ["/sbin/init", "/usr/sbin/init"] where tree.linkTarget(path)?.contains("systemd") == true {
            return .systemd
        }
        if tree.isRegularFile("/etc/inittab"), tree.linkTarget("/sbin/init")?.hasSuffix("busybox") != true {
            return .sysv
        }
        return .plain
    }

    static func defaultInit(rootfs: String) -> [String] {
        guard let tree = try? GuestTree(directory: rootfs) else { return [] }
        return ["/sbin/init", "/usr/sbin/init"].first(where: tree.exists).map { [$0] } ?? []
    }
}
