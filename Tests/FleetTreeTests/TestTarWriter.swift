import Foundation

/// Writes tar archives byte by byte, for members GNU tar refuses to produce
/// (".." paths, absolute hard links, device nodes) and for exact control of
/// header encodings (base-256 numbers, GNU long names, pax records).
struct TestTarWriter {
    enum NumberEncoding {
        case octal
        case base256
    }

    private(set) var bytes: [UInt8] = []

    /// Appends one member; returns the byte offset of its header.
    @discardableResult
    mutating func append(
        name: String,
        type: Character = "0",
        mode: UInt32 = 0o644,
        uid: UInt64 = 0,
        gid: UInt64 = 0,
        content: [UInt8] = [],
        linkName: String = "",
        mtime: UInt64 = 1_700_000_000,
        deviceMajor: UInt64 = 0,
        deviceMinor: UInt64 = 0,
        idEncoding: NumberEncoding = .octal
    ) -> Int {
        appendRaw(
            name: Array(name.utf8), type: type, mode: mode, uid: uid, gid: gid, content: content,
            linkName: Array(linkName.utf8), mtime: mtime, deviceMajor: deviceMajor, deviceMinor: deviceMinor,
            idEncoding: idEncoding)
    }

    @discardableResult
    mutating func appendRaw(
        name: [UInt8],
        type: Character = "0",
        mode: UInt32 = 0o644,
        uid: UInt64 = 0,
        gid: UInt64 = 0,
        content: [UInt8] = [],
        linkName: [UInt8] = [],
        mtime: UInt64 = 1_700_000_000,
        deviceMajor: UInt64 = 0,
        deviceMinor: UInt64 = 0,
        idEncoding: NumberEncoding = .octal
    ) -> Int {
        let offset = bytes.count
        var header = [UInt8](repeating: 0, count: 512)
        put(name.prefix(100), at: 0, in: &header)
        put(octal(UInt64(mode), width: 8), at: 100, in: &header)
        put(number(uid, width: 8, encoding: idEncoding), at: 108, in: &header)
        put(number(gid, width: 8, encoding: idEncoding), at: 116, in: &header)
        put(octal(UInt64(content.count), width: 12), at: 124, in: &header)
        put(octal(mtime, width: 12), at: 136, in: &header)
        header[156] = type.asciiValue!
        put(linkName.prefix(100), at: 157, in: &header)
        put(Array("ustar".utf8) + [0] + Array("00".utf8), at: 257, in: &header)
        put(octal(deviceMajor, width: 8), at: 329, in: &header)
        put(octal(deviceMinor, width: 8), at: 337, in: &header)
        sealChecksum(&header)
        bytes += header
        appendData(content)
        return offset
    }

    /// A GNU 'L' header carrying the name of the next member.
    mutating func appendGNULongName(_ name: String) {
        let data = Array(name.utf8) + [0]
        var header = [UInt8](repeating: 0, count: 512)
        put(Array("././@LongLink".utf8), at: 0, in: &header)
        put(octal(0, width: 8), at: 100, in: &header)
        put(octal(UInt64(data.count), width: 12), at: 124, in: &header)
        header[156] = UInt8(ascii: "L")
        put(Array("ustar  ".utf8) + [0], at: 257, in: &header)
        sealChecksum(&header)
        bytes += header
        appendData(data)
    }

    /// A pax extended header ('x', or 'g' when global) with the given records.
    mutating func appendPax(_ records: [(String, String)], global: Bool = false) {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            // The length prefix counts itself, so find the width that fits.
            var length = body.utf8.count + 1
            while String(length).count + body.utf8.count != length { length += 1 }
            data += Array("\(length)\(body)".utf8)
        }
        var header = [UInt8](repeating: 0, count: 512)
        put(Array("PaxHeaders/x".utf8), at: 0, in: &header)
        put(octal(0o644, width: 8), at: 100, in: &header)
        put(octal(UInt64(data.count), width: 12), at: 124, in: &header)
        header[156] = global ? UInt8(ascii: "g") : UInt8(ascii: "x")
        put(Array("ustar".utf8) + [0] + Array("00".utf8), at: 257, in: &header)
        sealChecksum(&header)
        bytes += header
        appendData(data)
    }

    /// Flips the bits of one byte, to break a header checksum.
    mutating func corrupt(byteAt offset: Int) {
        bytes[offset] ^= 0xff
    }

    /// The archive with its end-of-archive marker.
    func finished() -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: 1024)
    }

    func write(to path: String, terminated: Bool = true) throws {
        try Data(terminated ? finished() : bytes).write(to: URL(fileURLWithPath: path))
    }

    private mutating func appendData(_ data: [UInt8]) {
        bytes += data
        let padding = (512 - data.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: padding)
    }

    private func put(_ field: some Collection<UInt8>, at offset: Int, in header: inout [UInt8]) {
        for (index, byte) in field.enumerated() { header[offset + index] = byte }
    }

    private func number(_ value: UInt64, width: Int, encoding: NumberEncoding) -> [UInt8] {
        switch encoding {
        case .octal:
            return octal(value, width: width)
        case .base256:
            var field = [UInt8](repeating: 0, count: width)
            var remaining = value
            for index in stride(from: width - 1, to: 0, by: -1) {
                field[index] = UInt8(remaining & 0xff)
                remaining >>= 8
            }
            field[0] = 0x80
            return field
        }
    }

    /// Zero-padded octal digits followed by a NUL, filling `width` bytes.
    private func octal(_ value: UInt64, width: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        return Array(padded.utf8) + [0]
    }

    private func sealChecksum(_ header: inout [UInt8]) {
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        let field = Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8) + [0, UInt8(ascii: " ")]
        put(field, at: 148, in: &header)
    }
}
