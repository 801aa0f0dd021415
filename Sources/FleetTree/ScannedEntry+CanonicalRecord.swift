extension ScannedEntry {
    /// The entry's line in the tree digest; the format is specified on ``TreeDigester``.
    package var canonicalRecord: [UInt8] {
        var record = Self.escaped(path)
        record.append(0)
        record += Array(kind.rawValue.utf8)
        record.append(0)
        record += Array(Self.octal(mode).utf8)
        record.append(0)
        record += Array(String(uid).utf8)
        record.append(0)
        record += Array(String(gid).utf8)
        record.append(0)
        switch kind {
        case .file:
            record += Array((contentDigest ?? "").utf8)
        case .symlink:
            record += Self.escaped(linkTarget ?? [])
        case .charDevice, .blockDevice:
            let numbers = device ?? (0, 0)
            record += Array("\(numbers.major),\(numbers.minor)".utf8)
        case .directory, .fifo, .socket:
            break
        }
        record.append(0x0a)
        return record
    }

    /// Four octal digits, e.g. "0755" or "4755".
    package static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Escapes "\" as "\\" and newline as "\n" so that a name containing a
    /// newline cannot be mistaken for the end of a record.
    package static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case 0x5c: result += [0x5c, 0x5c]
            case 0x0a: result += [0x5c, 0x6e]
            default: result.append(byte)
            }
        }
        return result
    }
}
