import FleetTree

/// An uncompressed tar file read directly.
final class PlainArchiveSource: ArchiveByteSource {
    private let file: FileDescriptor
    private let displayPath: String

    init(file: consuming FileDescriptor, displayPath: String) {
        self.file = file
        self.displayPath = displayPath
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try Posix.read(file.raw, into: buffer, displayPath: displayPath)
    }

    func finishAfterSuccess() throws {}

    func abandon() -> TreeProblem? { nil }
}
