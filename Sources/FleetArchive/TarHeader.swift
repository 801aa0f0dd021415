import FleetTree

/// The fields of one 512-byte tar header block (ustar, GNU and v7 layouts),
/// with the checksum verified and numbers decoded but nothing interpreted yet.
struct TarHeader {
    var name: [UInt8]
    var mode: UInt32
    var uid: Int64
    var gid: Int64
    var size: Int64
    var mtime: Int64
    var typeflag: UInt8
    var linkName: [UInt8]
    /// POSIX ustar ("ustar\0"): only then is the prefix field a path prefix;
    /// in the GNU layout those bytes hold times and sparse data.
    var isPosixUstar: Bool
    var prefix: [UInt8]

    static func isZeroBlock(_ block: [UInt8]) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Parses `block`, which started at byte `offset` of the tar stream.
    init(block: [UInt8], offset: UInt64) throws {
        precondition(block.count == TarBlockReader.blockSize)
        name = Self.text(block[0..<100])
        let shownName = Posix.display(name)
        let isFirstBlock = offset == 0
        try Self.verifyChecksum(block, shownName: shownName, offset: offset, isFirstBlock: isFirstBlock)

        func number(_ range: Range<Int>, _ field: String) throws -> Int64 {
            guard let value = TarNumericField.decode(block[range]) else {
                throw TreeProblem(
                    path: shownName,
                    problem: "member \"\(shownName)\" (header at byte \(offset)) has an unreadable \(field) field",
                    remedy: "the archive is corrupt; re-create it"
                )
            }
            return value
        }
        mode = UInt32(truncatingIfNeeded: try number(100..<108, "mode") & 0o7777)
        uid = try number(108..<116, "uid")
        gid = try number(116..<124, "gid")
        size = try number(124..<136, "size")
        mtime = try number(136..<148, "mtime")
        typeflag = block[156]
        linkName = Self.text(block[157..<257])
        isPosixUstar = block[257..<263].elementsEqual(Array("ustar".utf8) + [0])
        prefix = isPosixUstar ? Self.text(block[345..<500]) : []
    }

    /// A text field ends at its first NUL or fills the whole field.
    private static func text(_ field: ArraySlice<UInt8>) -> [UInt8] {
        Array(field.prefix { $0 != 0 })
    }

    private static func verifyChecksum(_ block: [UInt8], shownName: String, offset: UInt64, isFirstBlock: Bool) throws {
        // The checksum is computed with its own field read as eight spaces;
        // some old writers summed signed chars, so accept either sum.
        var unsignedSum: Int64 = 0
        var signedSum: Int64 = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsignedSum += Int64(value)
            signedSum += Int64(Int8(bitPattern: value))
        }
        let stored = TarNumericField.decode(block[148..<156])
        if let stored, stored == unsignedSum || stored == signedSum { return }
        if isFirstBlock {
            throw TreeProblem(
                path: nil,
                problem: "the file is not a tar archive (the first header has no valid checksum)",
                remedy: "import a tar archive, optionally compressed with gzip, xz, zstd or bzip2"
            )
        }
        throw TreeProblem(
            path: shownName,
            problem: "member \"\(shownName)\" (header at byte \(offset)) has a bad header checksum",
            remedy: "the archive is corrupt; re-create or re-download it"
        )
    }
}
