import Glibc

/// Extended attributes that name owners, which a rebase must move along
/// with the files' own uid and gid: POSIX ACL entries (journald gives its
/// journal one) and the root id of a user namespace's file capabilities
/// (what `setcap` inside such a guest writes).
package enum OwnerXattrs {
    package static let aclNames = ["system.posix_acl_access", "system.posix_acl_default"]
    package static let capabilityName = "security.capability"

    /// An ACL's named user and group entries moved to `base` (id k of any
    /// range becomes base + k); nil when it names nobody or is malformed.
    /// Layout: a 4-byte version (2), then 8-byte entries: tag (16 bits),
    /// permissions (16 bits), id (32 bits), little-endian.
    package static func rebasedACL(_ value: [UInt8], to base: UInt32, rangeSize: UInt32) -> [UInt8]? {
        guard value.count >= 4, (value.count - 4) % 8 == 0, u32(value, 0) == 2 else { return nil }
        var out = value
        var changed = false
        var offset = 4
        while offset < value.count {
            let tag = UInt16(value[offset]) | UInt16(value[offset + 1]) << 8
            if tag == 0x02 || tag == 0x08 { // ACL_USER, ACL_GROUP
                let id = u32(value, offset + 4)
                let moved = base + id % rangeSize
                if moved != id {
                    put32(&out, offset + 4, moved)
                    changed = true
                }
            }
            offset += 8
        }
        return changed ? out : nil
    }

    /// A version 3 file capability (it carries the root id of the user
    /// namespace it is for, at byte 20 of 24) moved to `base`; nil for
    /// version 2 (valid in every namespace) or when nothing changes.
    package static func rebasedCapability(_ value: [UInt8], to base: UInt32, rangeSize: UInt32) -> [UInt8]? {
        guard value.count == 24, u32(value, 0) >> 24 == 3 else { return nil }
        let rootid = u32(value, 20)
        let moved = base + rootid % rangeSize
        guard moved != rootid else { return nil }
        var out = value
        put32(&out, 20, moved)
        return out
    }

    private static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    private static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
        for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    // MARK: - System calls (Swift's Glibc module does not export <sys/xattr.h>)

    private typealias Get = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    private typealias Set = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    nonisolated(unsafe) private static let lget = unsafeBitCast(dlsym(nil, "lgetxattr"), to: Get.self)
    nonisolated(unsafe) private static let lset = unsafeBitCast(dlsym(nil, "lsetxattr"), to: Set.self)
    private typealias List = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int
    nonisolated(unsafe) private static let llist = unsafeBitCast(dlsym(nil, "llistxattr"), to: List.self)

    /// The attribute's value, or nil when the entry has none (or the file
    /// system has no such attributes).
    package static func get(_ path: UnsafePointer<CChar>, _ name: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { lget(path, name, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Array(buffer[0..<n])
    }

    package static func set(_ path: UnsafePointer<CChar>, _ name: String, _ value: [UInt8]) -> Int32 {
        value.withUnsafeBytes { lset(path, name, $0.baseAddress, $0.count, 0) } == 0 ? 0 : errno
    }

    /// Whether the entry has any extended attribute at all (one
    /// llistxattr, where reading three names one by one took three calls).
    /// True when that cannot be told, so callers then look name by name.
    package static func hasAny(_ path: UnsafePointer<CChar>) -> Bool {
        llist(path, nil, 0) != 0
    }

    package static func get(_ path: String, _ name: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { lget(path, name, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Array(buffer[0..<n])
    }

    package static func set(_ path: String, _ name: String, _ value: [UInt8]) -> Int32 {
        value.withUnsafeBytes { lset(path, name, $0.baseAddress, $0.count, 0) } == 0 ? 0 : errno
    }
}
