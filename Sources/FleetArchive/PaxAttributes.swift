import FleetTree
import Glibc

/// The pax extended-header keywords FleetTree honours. Others (uname, atime,
/// xattrs, comments, …) are ignored: templates carry numeric ids only.
struct PaxAttributes {
    var path: String?
    var linkPath: String?
    var size: Int64?
    var uid: Int64?
    var gid: Int64?
    var modified: timespec?
    /// GNU's pax encoding of sparse files, which this reader does not implement.
    var isSparse = false

    /// Applies the records of one pax header. In a global ('g') header only
    /// uid, gid and mtime are taken: a path or size cannot sensibly apply to
    /// every later member, so those are ignored there.
    mutating func merge(records data: [UInt8], isGlobal: Bool, offset: UInt64) throws {
        func malformed(_ detail: String) -> TreeProblem {
            TreeProblem(
                path: nil,
                problem: "the pax header at byte \(offset) is malformed: \(detail)",
                remedy: "the archive is corrupt; re-create it"
            )
        }
        var index = 0
        while index < data.count {
            // A record is "<length> <key>=<value>\n", the length counting the whole record.
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)),
                  length > space - index, index + length <= data.count,
                  data[index + length - 1] == UInt8(ascii: "\n")
            else {
                // Trailing NUL padding after the last record is tolerated.
                if data[index...].allSatisfy({ $0 == 0 }) { return }
                throw malformed("a record length is wrong")
            }
            let record = data[(space + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw malformed("a record has no \"=\"")
            }
            let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
            let value = Array(record[(equals + 1)...])
            try apply(key: key, value: value, isGlobal: isGlobal, malformed: malformed)
            index += length
        }
    }

    private mutating func apply(
        key: String, value: [UInt8], isGlobal: Bool, malformed: (String) -> TreeProblem
    ) throws {
        func number() throws -> Int64? {
            // An empty value deletes the keyword: the header field applies again.
            if value.isEmpty { return nil }
            guard let number = Int64(String(decoding: value, as: UTF8.self)), number >= 0 else {
                throw malformed("\(key)=\"\(Posix.display(value))\" is not a non-negative number")
            }
            return number
        }
        func text() throws -> String? {
            if value.isEmpty { return nil }
            if value.contains(0) { throw malformed("the \(key) value contains a NUL byte") }
            guard let text = String(validating: value, as: UTF8.self) else {
                throw malformed("\(key)=\"\(Posix.display(value))\" is not valid UTF-8")
            }
            return text
        }
        switch key {
        case "path" where !isGlobal: path = try text()
        case "linkpath" where !isGlobal: linkPath = try text()
        case "size" where !isGlobal: size = try number()
        case "uid": uid = try number()
        case "gid": gid = try number()
        case "mtime": modified = try Self.timestamp(value, malformed: malformed)
        default:
            if key.hasPrefix("GNU.sparse.") { isSparse = true }
        }
    }

    /// "[-]seconds[.fraction]" as a timespec.
    private static func timestamp(_ value: [UInt8], malformed: (String) -> TreeProblem) throws -> timespec? {
        if value.isEmpty { return nil }
        let text = String(decoding: value, as: UTF8.self)
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int(parts[0]) else { throw malformed("mtime=\"\(text)\" is not a time") }
        var nanoseconds = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), var fraction = Int(digits) else {
                throw malformed("mtime=\"\(text)\" is not a time")
            }
            for _ in digits.count..<9 { fraction *= 10 }
            nanoseconds = fraction
        }
        // "-1.5" means 1.5 s before the epoch: seconds -2 plus 0.5 s.
        if text.hasPrefix("-") && nanoseconds > 0 {
            return timespec(tv_sec: seconds - 1, tv_nsec: 1_000_000_000 - nanoseconds)
        }
        return timespec(tv_sec: seconds, tv_nsec: nanoseconds)
    }
}
