extension ScannedEntry {
    /// The entry's line in the tree digest; the format is specified on ``TreeDigester``.
    package var canonicalRecord: [UInt8] {
        var record: [UInt8] = []
        appendCanonicalRecord(to: &record)
        return record
    }

    /// Appends ``canonicalRecord`` to `record` without building it apart:
    /// a digest of 50,000 entries writes them all into one buffer.
    package func appendCanonicalRecord(to record: inout [UInt8]) {
        Self.appendEscaped(path, to: &record)
        record.append(0)
        record.append(contentsOf: kind.rawValue.utf8)
        record.append(0)
        Self.appendOctal(mode, to: &record)
        record.append(0)
        Self.appendDecimal(UInt64(uid), to: &record)
        record.append(0)
        Self.appendDecimal(UInt64(gid), to: &record)
        record.append(0)
        switch kind {
        case .file:
            record.append(contentsOf: (contentDigest ?? "").utf8)
        case .symlink:
            Self.appendEscaped(linkTarget ?? [], to: &record)
        case .charDevice, .blockDevice:
            let numbers = device ?? (0, 0)
            Self.appendDecimal(numbers.major, to: &record)
            record.append(0x2c)
            Self.appendDecimal(numbers.minor, to: &record)
        case .directory, .fifo, .socket:
            break
        }
        record.append(0x0a)
    }

    /// Four octal digits, e.g. "0755" or "4755".
    package static func octal(_ mode: UInt32) -> String {
        var digits: [UInt8] = []
        appendOctal(mode, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// Escapes "\" as "\\" and newline as "\n" so that a name containing a
    /// newline cannot be mistaken for the end of a record.
    package static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        appendEscaped(bytes, to: &result)
        return result
    }

    private static func appendEscaped(_ bytes: [UInt8], to record: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case 0x5c: record.append(0x5c); record.append(0x5c)
            case 0x0a: record.append(0x5c); record.append(0x6e)
            default: record.append(byte)
            }
        }
    }

    /// `mode & 0o7777` as four octal digits.
    private static func appendOctal(_ mode: UInt32, to record: inout [UInt8]) {
        let bits = mode & 0o7777
        for shift in stride(from: 9, through: 0, by: -3) {
            record.append(0x30 + UInt8((bits >> UInt32(shift)) & 7))
        }
    }

    private static func appendDecimal(_ value: UInt64, to record: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &record) }
        record.append(0x30 + UInt8(value % 10))
    }
}
