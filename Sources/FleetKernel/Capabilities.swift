import CLibCap
import Glibc

/// Capability sets by name, as the kernel numbers them.
public struct CapabilitySet: Sendable, Equatable, Codable {
    /// Bit n set: capability n is in the set.
    public var bits: UInt64

    public init(bits: UInt64) { self.bits = bits }

    public init(names: [String]) throws(KernelError) {
        var bits: UInt64 = 0
        for name in names { bits |= 1 << UInt64(try Capabilities.number(of: name)) }
        self.bits = bits
    }

    public func contains(_ cap: Int) -> Bool { bits & (1 << UInt64(cap)) != 0 }

    public var names: [String] {
        (0..<64).filter(contains).map(Capabilities.name(of:))
    }

    public func union(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(bits: bits | other.bits) }
    public func subtracting(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(bits: bits & ~other.bits) }
    public func intersection(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(bits: bits & other.bits) }
}

public enum Capabilities {
    /// Linux-VServer's secure default bounding set (util-vserver's
    /// `--secure`) less DAC_READ_SEARCH and SYS_PTRACE: enough to run
    /// services and an init, nothing that reaches the host (no SYS_ADMIN,
    /// NET_ADMIN, MKNOD, NET_RAW, SYS_TIME, SYS_MODULE…). VServer's kernel
    /// patch checked contexts where a stock kernel does not: with
    /// DAC_READ_SEARCH, open_by_handle_at opens any inode of a file system
    /// the guest holds a descriptor on ("shocker"); with SYS_PTRACE, guest
    /// root may attach to whatever else shares its pid namespace. Each is
    /// available by --cap-add (see docs/SECURITY.md).
    public static let vserverSecureNames = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_SYS_TTY_CONFIG", "CAP_LEASE", "CAP_SETFCAP", "CAP_AUDIT_WRITE",
    ]

    public static var vserverSecure: CapabilitySet {
        // The names are libcap's own; a failure here is a programming error.
        (try? CapabilitySet(names: vserverSecureNames)) ?? CapabilitySet(bits: 0)
    }

    /// Accepts "NET_ADMIN", "net_admin" or "CAP_NET_ADMIN".
    public static func number(of name: String) throws(KernelError) -> Int {
        var text = name.lowercased()
        if !text.hasPrefix("cap_") { text = "cap_" + text }
        var value: cap_value_t = 0
        guard cap_from_name(text, &value) == 0 else {
            throw KernelError("look up capability", name, errno: EINVAL, hint: "see capabilities(7) for the names, e.g. NET_ADMIN")
        }
        return Int(value)
    }

    public static func name(of cap: Int) -> String {
        guard let c = cap_to_name(cap_value_t(cap)) else { return "CAP_\(cap)" }
        defer { cap_free(c) }
        return String(cString: c).uppercased()
    }

    /// The highest capability number this kernel knows.
    public static var lastCap: Int {
        Int(SysFile.readIfPresent("/proc/sys/kernel/cap_last_cap")?.trimmed ?? "") ?? 40
    }

    /// A set read from a /proc/PID/status line, e.g. "CapBnd".
    public static func fromStatus(_ field: String, pid: String = "self") -> CapabilitySet? {
        guard let status = SysFile.readIfPresent("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let hex = line.dropFirst(field.count + 1).trimmingCharacters()
            return UInt64(hex, radix: 16).map(CapabilitySet.init(bits:))
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmed }
}
