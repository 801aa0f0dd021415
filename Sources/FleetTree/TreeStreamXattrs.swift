import Glibc

/// One extended attribute, name and value as raw bytes.
package struct ExtendedAttribute: Equatable {
    package var name: [UInt8]
    package var value: [UInt8]

    package init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// Reads and writes extended attributes without following symlinks.
///
/// Regular files and directories are handled through an open descriptor.
/// Symlinks, FIFOs and device nodes cannot be opened without side effects,
/// so they are named as `/proc/self/fd/<parent>/<name>` and handled with the
/// `l*xattr` calls: the parent descriptor was reached without following any
/// symlink, and the `l` calls do not follow the last component.
///
/// The calls are looked up at run time because Swift's Glibc module does not
/// export <sys/xattr.h>.
package enum TreeStreamXattrs {
    package enum Target {
        case descriptor(Int32)
        case entry(parent: Int32, name: [UInt8])

        /// The no-follow path that names an entry through its parent's descriptor.
        var procPath: [UInt8] {
            guard case .entry(let parent, let name) = self else { return [] }
            return Array("/proc/self/fd/\(parent)/".utf8) + name
        }
    }

    private typealias PathList = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int
    private typealias PathGet = @convention(c) (
        UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    private typealias PathSet = @convention(c) (
        UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias PathRemove = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    private typealias FDList = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int
    private typealias FDGet = @convention(c) (Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    private typealias FDSet = @convention(c) (Int32, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias FDRemove = @convention(c) (Int32, UnsafePointer<CChar>?) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let address = dlsym(nil, name) else {
            fatalError("FleetTree: the C library has no \(name) (extended attributes need glibc)")
        }
        return unsafeBitCast(address, to: type)
    }

    private static let lList = symbol("llistxattr", as: PathList.self)
    private static let lGet = symbol("lgetxattr", as: PathGet.self)
    private static let lSet = symbol("lsetxattr", as: PathSet.self)
    private static let lRemove = symbol("lremovexattr", as: PathRemove.self)
    private static let fList = symbol("flistxattr", as: FDList.self)
    private static let fGet = symbol("fgetxattr", as: FDGet.self)
    private static let fSet = symbol("fsetxattr", as: FDSet.self)
    private static let fRemove = symbol("fremovexattr", as: FDRemove.self)

    /// Whether `/proc/self/fd` can name entries. Without it every entry named
    /// through it would look like it had vanished, so its absence is an error.
    private static let procFileDescriptorsAvailable: Bool = access("/proc/self/fd", X_OK) == 0

    private static func checkProc(_ target: Target, displayPath: String) throws {
        guard case .entry = target, !procFileDescriptorsAvailable else { return }
        throw TreeProblem(
            path: displayPath,
            problem: "cannot reach the extended attributes of \"\(displayPath)\": /proc/self/fd is not available",
            remedy: "mount /proc (extended attributes of symlinks, FIFOs and device nodes are read and written through it)")
    }

    /// All attributes of `target`, sorted by name; empty where the file
    /// system does not support them. Throws `ENOENT` as a problem when the
    /// entry has vanished, so callers can tell and skip it.
    package static func read(_ target: Target, displayPath: String) throws -> [ExtendedAttribute] {
        try checkProc(target, displayPath: displayPath)
        let procPath = target.procPath
        var attributes: [ExtendedAttribute] = []
        for name in try names(target, procPath: procPath, displayPath: displayPath) {
            guard let value = try value(of: name, target, procPath: procPath, displayPath: displayPath) else { continue }
            attributes.append(ExtendedAttribute(name: name, value: value))
        }
        attributes.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return attributes
    }

    /// SHA-256 hex over the sorted attributes (format on ``TreeManifestEntry/xattrDigest``); nil when none.
    package static func digest(_ attributes: [ExtendedAttribute]) -> String? {
        guard !attributes.isEmpty else { return nil }
        var hasher = SHA256Hasher()
        for attribute in attributes.sorted(by: { $0.name.lexicographicallyPrecedes($1.name) }) {
            hasher.update(attribute.name)
            hasher.update([0])
            let length = UInt32(attribute.value.count).littleEndian
            withUnsafeBytes(of: length) { hasher.update($0) }
            hasher.update(attribute.value)
        }
        return hasher.finalizeHex()
    }

    /// Makes `target`'s attributes exactly `attributes`: sets each one and
    /// removes any other (new objects may inherit some, e.g. default ACLs).
    /// With `existingMayBeNonEmpty` false the listing is skipped.
    package static func replace(
        on target: Target, with attributes: [ExtendedAttribute], existingMayBeNonEmpty: Bool, displayPath: String
    ) throws {
        try checkProc(target, displayPath: displayPath)
        let procPath = target.procPath
        if existingMayBeNonEmpty {
            let wanted = Set(attributes.map(\.name))
            for name in try names(target, procPath: procPath, displayPath: displayPath) where !wanted.contains(name) {
                let rc = Posix.withCString(name) { cName -> Int32 in
                    switch target {
                    case .descriptor(let fd): return fRemove(fd, cName)
                    case .entry: return Posix.withCString(procPath) { lRemove($0, cName) }
                    }
                }
                if rc != 0 && errno != ENODATA {
                    throw problem("removexattr \(Posix.display(name))", displayPath, errno)
                }
            }
        }
        for attribute in attributes {
            let rc = Posix.withCString(attribute.name) { cName in
                attribute.value.withUnsafeBytes { value -> Int32 in
                    switch target {
                    case .descriptor(let fd): return fSet(fd, cName, value.baseAddress, value.count, 0)
                    case .entry: return Posix.withCString(procPath) { lSet($0, cName, value.baseAddress, value.count, 0) }
                    }
                }
            }
            if rc != 0 {
                throw problem("setxattr \(Posix.display(attribute.name))", displayPath, errno)
            }
        }
    }

    private static func names(_ target: Target, procPath: [UInt8], displayPath: String) throws -> [[UInt8]] {
        while true {
            let size = list(target, procPath: procPath, into: nil, capacity: 0)
            if size < 0 {
                let code = errno
                if code == ENOTSUP || code == EOPNOTSUPP { return [] }
                throw problem("listxattr", displayPath, code)
            }
            if size == 0 { return [] }
            var buffer = [CChar](repeating: 0, count: size)
            let count = buffer.withUnsafeMutableBufferPointer {
                list(target, procPath: procPath, into: $0.baseAddress, capacity: size)
            }
            if count < 0 {
                // ERANGE: an attribute was added between the two calls; ask again.
                if errno == ERANGE { continue }
                throw problem("listxattr", displayPath, errno)
            }
            return buffer[0..<count].withUnsafeBytes { raw in
                raw.split(separator: 0, omittingEmptySubsequences: true).map { Array($0) }
            }
        }
    }

    private static func list(
        _ target: Target, procPath: [UInt8], into buffer: UnsafeMutablePointer<CChar>?, capacity: Int
    ) -> Int {
        switch target {
        case .descriptor(let fd): return fList(fd, buffer, capacity)
        case .entry: return Posix.withCString(procPath) { lList($0, buffer, capacity) }
        }
    }

    /// nil when the attribute disappeared between listing and reading.
    private static func value(
        of name: [UInt8], _ target: Target, procPath: [UInt8], displayPath: String
    ) throws -> [UInt8]? {
        while true {
            let size = get(name, target, procPath: procPath, into: nil, capacity: 0)
            if size < 0 {
                if errno == ENODATA { return nil }
                throw problem("getxattr \(Posix.display(name))", displayPath, errno)
            }
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let count = buffer.withUnsafeMutableBytes {
                get(name, target, procPath: procPath, into: $0.baseAddress, capacity: size)
            }
            if count < 0 {
                let code = errno
                if code == ERANGE { continue }
                if code == ENODATA { return nil }
                throw problem("getxattr \(Posix.display(name))", displayPath, code)
            }
            return Array(buffer[0..<count])
        }
    }

    private static func get(
        _ name: [UInt8], _ target: Target, procPath: [UInt8], into buffer: UnsafeMutableRawPointer?, capacity: Int
    ) -> Int {
        Posix.withCString(name) { cName in
            switch target {
            case .descriptor(let fd): return fGet(fd, cName, buffer, capacity)
            case .entry: return Posix.withCString(procPath) { lGet($0, cName, buffer, capacity) }
            }
        }
    }

    private static func problem(_ call: String, _ displayPath: String, _ code: Int32) -> TreeProblem {
        var result = TreeProblem.system(call, on: displayPath, errno: code)
        if code == ENOTSUP || code == EOPNOTSUPP {
            result.remedy = "use a file system that supports extended attributes (e.g. ext4 or xfs) for the tree"
        }
        return result
    }
}
