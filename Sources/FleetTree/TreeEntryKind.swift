/// The type of one file-system object in a tree, as reported by `lstat`.
///
/// The raw values are part of the canonical digest record (see ``TreeDigester``),
/// so they must never be renamed.
public enum TreeEntryKind: String, Codable, Sendable {
    case file
    case directory
    case symlink
    case fifo
    case socket
    case charDevice
    case blockDevice
}
