import FleetKernel
import FleetProtocol
import Foundation

/// Guesses a template's init style and default init from its files.
enum InitDetector {
    static func style(rootfs: String) -> InitStyle {
        let fm = FileManager.default
        if let target = try? fm.destinationOfSymbolicLink(atPath: rootfs + "/sbin/init"), target.contains("systemd") {
            return .systemd
        }
        if let target = try? fm.destinationOfSymbolicLink(atPath: rootfs + "/usr/sbin/init"), target.contains("systemd") {
            return .systemd
        }
        // Resolved inside the tree: an imported tree's links are its own.
        if let tree = try? GuestTree(directory: rootfs), tree.isRegularFile("/etc/inittab"), !isBusybox(rootfs + "/sbin/init") {
            return .sysv
        }
        return .plain
    }

    static func defaultInit(rootfs: String) -> [String] {
        let fm = FileManager.default
        for candidate in ["/sbin/init", "/usr/sbin/init"] {
            if (try? fm.attributesOfItem(atPath: rootfs + candidate)) != nil { return [candidate] }
        }
        return []
    }

    private static func isBusybox(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path))?.hasSuffix("busybox") ?? false
    }
}
