import FleetTree

/// How a template archive is compressed, recognised by its first bytes
/// rather than its file name, which is often wrong or missing.
enum CompressionFormat: Equatable {
    case none
    case gzip
    case xz
    case zstd
    case bzip2

    /// Bytes needed to recognise every supported format.
    static let magicLength = 6

    init(magic: [UInt8]) {
        if magic.starts(with: [0x1f, 0x8b]) {
            self = .gzip
        } else if magic.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            self = .xz
        } else if magic.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            self = .zstd
        } else if magic.starts(with: Array("BZh".utf8)) {
            self = .bzip2
        } else {
            self = .none
        }
    }

    /// The external program that decompresses this format with `-dc`.
    var toolName: String? {
        switch self {
        case .none: return nil
        case .gzip: return "gzip"
        case .xz: return "xz"
        case .zstd: return "zstd"
        case .bzip2: return "bzip2"
        }
    }

    /// The Debian package that provides `toolName`, for the remedy text.
    var toolPackage: String {
        switch self {
        case .none: return ""
        case .gzip: return "gzip"
        case .xz: return "xz-utils"
        case .zstd: return "zstd"
        case .bzip2: return "bzip2"
        }
    }
}
