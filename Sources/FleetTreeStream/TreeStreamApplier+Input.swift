import FleetTree
import Glibc

/// Reading the stream's input: exactly the sizes the format announces, with
/// every length and count checked against the format's limits before it is
/// trusted (the input is hostile).
extension TreeStreamApplier {
    func readMagic() throws {
        var magic = [UInt8](repeating: 0, count: TreeStreamFormat.magic.count)
        var filled = 0
        try magic.withUnsafeMutableBytes { raw in
            while filled < raw.count {
                let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                if count == 0 { break }
                filled += count
            }
        }
        if filled == 0 {
            throw TreeProblem(path: nil, problem: "the stream is empty", remedy: "check the sending side for an error")
        }
        guard filled == magic.count && magic == TreeStreamFormat.magic else {
            throw TreeProblem(
                path: nil,
                problem: "the input is not a vfleet tree stream (it does not start with \"VFTS1\")",
                remedy: "check that both hosts run compatible vfleet versions")
        }
    }

    /// nil at a clean end of input (which, before the end record, is still an error).
    func readRecordKind() throws -> TreeStreamFormat.RecordKind? {
        var byte: UInt8 = 0
        let count = try withUnsafeMutableBytes(of: &byte) { try source.read(into: $0) }
        if count == 0 { return nil }
        guard let kind = TreeStreamFormat.RecordKind(rawValue: byte) else {
            throw corrupt("it has an unknown record kind 0x\(String(byte, radix: 16))")
        }
        return kind
    }

    func readEntryHeader() throws -> EntryHeader {
        let (path, components) = try readPath(role: "entry")
        let display = Posix.display(path)
        currentPath = display
        // mode, uid, gid, seconds, nanoseconds, attribute count: one read instead of six.
        var fixed = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        try withUnsafeMutableBytes(of: &fixed) { try readFully(UnsafeMutableRawBufferPointer(rebasing: $0[0..<28])) }
        let mode = UInt32(littleEndian: fixed.0)
        var (uid, gid) = (UInt32(littleEndian: fixed.1), UInt32(littleEndian: fixed.2))
        let seconds = Int64(bitPattern: UInt64(UInt32(littleEndian: fixed.3)) | UInt64(UInt32(littleEndian: fixed.4)) << 32)
        let nanoseconds = UInt32(littleEndian: fixed.5)
        let count = Int(UInt32(littleEndian: fixed.6))
        guard mode & ~0o7777 == 0, nanoseconds < 1_000_000_000 else {
            throw corrupt("\"\(display)\" has an invalid mode \(String(mode, radix: 8)) or time")
        }
        guard count <= TreeStreamFormat.maximumXattrCount else {
            throw corrupt("\"\(display)\" has \(count) extended attributes (at most \(TreeStreamFormat.maximumXattrCount) are allowed)")
        }
        var attributes: [ExtendedAttribute] = []
        var total = 0
        for _ in 0..<count {
            let nameLength = Int(try readInteger(UInt16.self))
            guard nameLength > 0 && nameLength <= TreeStreamFormat.maximumXattrNameLength else {
                throw corrupt("\"\(display)\" has an extended attribute name of \(nameLength) bytes")
            }
            let name = try readBytes(nameLength)
            guard !name.contains(0) else { throw corrupt("\"\(display)\" has an extended attribute name containing NUL") }
            let value = try readBytes32(
                limit: TreeStreamFormat.maximumXattrValueLength,
                what: "extended attribute \(Posix.display(name)) of \"\(display)\"")
            total += name.count + value.count
            guard total <= TreeStreamFormat.maximumXattrBytes else {
                throw corrupt("\"\(display)\" has more than \(TreeStreamFormat.maximumXattrBytes) bytes of extended attributes")
            }
            attributes.append(ExtendedAttribute(name: name, value: value))
        }
        try owners?.apply(uid: &uid, gid: &gid, attributes: &attributes, display: display)
        return EntryHeader(
            path: path, components: components, display: display, mode: mode, uid: uid, gid: gid,
            modified: timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)), attributes: attributes)
    }

    func readPath(role: String) throws -> ([UInt8], [[UInt8]]) {
        let path = try readBytes32(limit: TreeStreamFormat.maximumPathLength, what: "a path")
        return (path, try TreeStreamPath.components(of: path, role: role))
    }

    func readBytes32(limit: Int, what: String) throws -> [UInt8] {
        let length = Int(try readInteger(UInt32.self))
        guard length <= limit else { throw corrupt("\(what) is \(length) bytes long (at most \(limit) are allowed)") }
        return try readBytes(length)
    }

    func readBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 { try bytes.withUnsafeMutableBytes { try readFully($0) } }
        return bytes
    }

    func readInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        var value = T.zero
        try withUnsafeMutableBytes(of: &value) { try readFully($0) }
        return T(littleEndian: value)
    }

    func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws {
        var filled = 0
        while filled < buffer.count {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 {
                let record = currentPath.map { " for \"\($0)\"" } ?? ""
                throw TreeProblem(
                    path: currentPath,
                    problem: "the stream ended in the middle of the record\(record) (it was cut off)",
                    remedy: "retry the transfer; check the sending side for an error")
            }
            filled += count
        }
    }

    func corrupt(_ problem: String) -> TreeProblem {
        TreeProblem(
            path: currentPath,
            problem: "the stream is corrupt: \(problem)",
            remedy: "discard this stream: the sender is broken or hostile")
    }
}
