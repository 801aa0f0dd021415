import FleetTree

/// The kinds of tar member that can be extracted (metadata headers such as
/// pax and GNU long names are consumed by the reader and never surface).
enum TarMemberType: Equatable {
    case regularFile
    case hardLink
    case symlink
    case characterDevice
    case blockDevice
    case directory
    case fifo

    var noun: String {
        switch self {
        case .regularFile: return "a regular file"
        case .hardLink: return "a hard link"
        case .symlink: return "a symlink"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .directory: return "a directory"
        case .fifo: return "a FIFO"
        }
    }
}
