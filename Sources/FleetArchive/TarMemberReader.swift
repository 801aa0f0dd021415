import FleetTree
import Glibc

/// Turns a tar stream into members: verifies headers, folds pax ('x', 'g')
/// and GNU long-name ('L', 'K') headers into the member they describe, and
/// keeps track of each member's data so the next header is found even when
/// a caller does not read the data.
final class TarMemberReader {
    /// Largest metadata payload accepted (pax records, long names); real ones
    /// are a few hundred bytes, and this bounds what a hostile archive can make us buffer.
    static let maximumMetadataSize: Int64 = 1 << 20
    /// Largest regular file accepted; a size beyond this is a corrupt header.
    static let maximumFileSize: Int64 = 1 << 40

    private let blocks: TarBlockReader
    private var globalAttributes = PaxAttributes()
    /// Data plus padding of the last member that has not been consumed yet.
    private var unreadData: UInt64 = 0
    private var unreadDataOwner = ""

    init(blocks: TarBlockReader) {
        self.blocks = blocks
    }

    /// The next member, or nil at the end-of-archive marker.
    func next() throws -> TarMember? {
        try skipUnreadData()
        var local = PaxAttributes()
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var pendingHeader: String?
        while true {
            let offset = blocks.offset
            guard let block = try blocks.readBlock(describing: pendingHeader.map { "the member after \($0)" } ?? "a header")
            else {
                throw TreeProblem(
                    path: nil,
                    problem: "the archive ends at byte \(offset) without the end-of-archive marker"
                        + (pendingHeader.map { " (right after \($0))" } ?? ""),
                    remedy: "the archive is truncated; re-create or re-download it"
                )
            }
            // One zero block is enough to stop: what follows is only padding.
            if TarHeader.isZeroBlock(block) { return nil }
            let header = try TarHeader(block: block, offset: offset)
            switch header.typeflag {
            case UInt8(ascii: "x"):
                try local.merge(records: readMetadata(header, offset: offset), isGlobal: false, offset: offset)
                pendingHeader = "the pax header at byte \(offset)"
            case UInt8(ascii: "g"):
                try globalAttributes.merge(records: readMetadata(header, offset: offset), isGlobal: true, offset: offset)
            case UInt8(ascii: "L"):
                longName = trimmingTrailingNULs(try readMetadata(header, offset: offset))
                pendingHeader = "the GNU long name header at byte \(offset)"
            case UInt8(ascii: "K"):
                longLink = trimmingTrailingNULs(try readMetadata(header, offset: offset))
                pendingHeader = "the GNU long link header at byte \(offset)"
            case UInt8(ascii: "V"):
                // A GNU volume label names the archive, not a file.
                try skipData(of: header, owner: "the volume label at byte \(offset)")
            default:
                return try member(from: header, local: local, longName: longName, longLink: longLink, offset: offset)
            }
        }
    }

    /// Streams the data of `member` (the one `next()` just returned) to `body`.
    func readData(of member: TarMember, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let padding = unreadData - member.size
        try blocks.stream(member.size, describing: "the data of member \"\(member.path)\"", body)
        try blocks.skip(padding, describing: "the data of member \"\(member.path)\"")
        unreadData = 0
    }

    private func member(
        from header: TarHeader, local: PaxAttributes, longName: [UInt8]?, longLink: [UInt8]?, offset: UInt64
    ) throws -> TarMember {
        let rawName: [UInt8]
        if let longName {
            rawName = longName
        } else if !header.prefix.isEmpty {
            rawName = header.prefix + [UInt8(ascii: "/")] + header.name
        } else {
            rawName = header.name
        }
        let path = try local.path ?? text(rawName, field: "name", shownName: Posix.display(rawName), offset: offset)
        func refuse(_ problem: String, _ remedy: String) -> TreeProblem {
            TreeProblem(path: path, problem: "member \"\(path)\" \(problem)", remedy: remedy)
        }
        if header.typeflag == UInt8(ascii: "S") || local.isSparse {
            throw refuse("is a GNU sparse file, which is not supported", "re-create the archive without --sparse")
        }
        let type: TarMemberType
        switch header.typeflag {
        case 0:
            // Pre-POSIX archives mark directories only by a trailing slash.
            type = rawName.last == UInt8(ascii: "/") ? .directory : .regularFile
        case UInt8(ascii: "0"), UInt8(ascii: "7"): type = .regularFile
        case UInt8(ascii: "1"): type = .hardLink
        case UInt8(ascii: "2"): type = .symlink
        case UInt8(ascii: "3"): type = .characterDevice
        case UInt8(ascii: "4"): type = .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): type = .directory
        case UInt8(ascii: "6"): type = .fifo
        default:
            let flag = Posix.display([header.typeflag])
            throw refuse("has unsupported type '\(flag)'", "re-create the archive with GNU tar or bsdtar in ustar, gnu or pax format")
        }

        let size = local.size ?? header.size
        let uid = local.uid ?? globalAttributes.uid ?? header.uid
        let gid = local.gid ?? globalAttributes.gid ?? header.gid
        guard size >= 0 && size <= Self.maximumFileSize else {
            throw refuse("has an impossible size \(size)", "the archive is corrupt; re-create it")
        }
        // 0xffffffff means "leave unchanged" to chown, so it is no real id.
        guard (0..<Int64(UInt32.max)).contains(uid), (0..<Int64(UInt32.max)).contains(gid) else {
            throw refuse("has an owner \(uid):\(gid) outside the valid id range", "fix the owners in the archive")
        }

        var linkTarget: String?
        if type == .hardLink || type == .symlink {
            let rawTarget = longLink ?? header.linkName
            linkTarget = try local.linkPath ?? text(rawTarget, field: "link target", shownName: path, offset: offset)
        }

        // Only regular files (and GNU dumpdir listings, which are skipped)
        // carry data; other types' size fields are ignored, as other readers do.
        let dataSize = type == .regularFile || header.typeflag == UInt8(ascii: "D") ? UInt64(size) : 0
        unreadData = Self.padded(dataSize)
        unreadDataOwner = "the data of member \"\(path)\""
        return TarMember(
            path: path,
            type: type,
            mode: header.mode,
            uid: UInt32(uid),
            gid: UInt32(gid),
            size: type == .regularFile ? UInt64(size) : 0,
            modified: local.modified ?? globalAttributes.modified ?? timespec(tv_sec: Int(header.mtime), tv_nsec: 0),
            linkTarget: linkTarget
        )
    }

    private func readMetadata(_ header: TarHeader, offset: UInt64) throws -> [UInt8] {
        guard header.size >= 0 && header.size <= Self.maximumMetadataSize else {
            throw TreeProblem(
                path: nil,
                problem: "the metadata header at byte \(offset) claims an impossible size \(header.size)",
                remedy: "the archive is corrupt; re-create it"
            )
        }
        let what = "the metadata header at byte \(offset)"
        let data = try blocks.readBytes(Int(header.size), describing: what)
        try blocks.skip(Self.padded(UInt64(header.size)) - UInt64(header.size), describing: what)
        return data
    }

    private func skipData(of header: TarHeader, owner: String) throws {
        guard header.size >= 0 else { return }
        try blocks.skip(Self.padded(UInt64(header.size)), describing: owner)
    }

    private func skipUnreadData() throws {
        guard unreadData > 0 else { return }
        let count = unreadData
        unreadData = 0
        try blocks.skip(count, describing: unreadDataOwner)
    }

    /// A name from the archive as text: it must be UTF-8 without NUL bytes,
    /// since template paths travel as strings between machines.
    private func text(_ bytes: [UInt8], field: String, shownName: String, offset: UInt64) throws -> String {
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            throw TreeProblem(
                path: shownName,
                problem: "member \"\(shownName)\" (header at byte \(offset)) has a \(field) that is not NUL-free UTF-8",
                remedy: "rename the file to a UTF-8 name and re-create the archive"
            )
        }
        return text
    }

    private func trimmingTrailingNULs(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        while result.last == 0 { result.removeLast() }
        return result
    }

    static func padded(_ size: UInt64) -> UInt64 {
        let block = UInt64(TarBlockReader.blockSize)
        return (size + block - 1) / block * block
    }
}
