import FleetTree
import Glibc

/// A regular file of the stream, read whole by the applier's thread (which
/// checked every length and offset) for a writer thread to create.
struct TreeStreamFileJob {
    var header: TreeStreamEntryHeader
    var parent: TreeStreamDirectoryHandle
    var size: UInt64
    /// Where each data extent goes in the file and where its bytes start in `data`.
    var extents: [(offset: UInt64, length: Int, start: Int)] = []
    var data: [UInt8] = []
    /// Where the last extent ends (a hole after it needs a truncate).
    var dataEnd: UInt64 = 0

    /// What a writer did with it.
    enum Outcome {
        /// Created under its name; `written` is its digest record, when digests are kept.
        case created(written: TreeStreamWrittenFile?)
        /// The name exists: replacing it (perhaps a directory in the way) is
        /// the applier's thread's work, done at its next drain.
        case nameExists(TreeStreamFileJob)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) {
        extents.append((offset, bytes.count, data.count))
        data.append(contentsOf: bytes)
        dataEnd = offset + UInt64(bytes.count)
    }

    /// Writes the data extents into `fd` (a new, empty file); returns where the last one ends.
    func writeData(into fd: Int32) throws -> UInt64 {
        try data.withUnsafeBytes { raw in
            for extent in extents {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[extent.start..<(extent.start + extent.length)])
                try TreeStreamSystemCalls.writeAll(fd, bytes, at: Int64(extent.offset), displayPath: header.display)
            }
        }
        return dataEnd
    }

    /// Creates the file under its own name (`O_EXCL`: an existing name is
    /// never touched, it goes back to the applier), writes it, and completes
    /// it as the applier's own thread would. A failure removes what it made.
    func create(hasher: FileContentHasher?) throws -> Outcome {
        // Readable too: its digest is read back from it once written.
        let fd = Posix.createForWritingAndReading(at: parent.fd, name: header.name)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return .nameExists(self) }
            throw TreeProblem.system("create", on: header.display, errno: code)
        }
        let file = FileDescriptor(adopting: fd)
        do {
            let completed = try TreeStreamFileCompletion.complete(
                file.raw, header: header, size: size, dataEnd: try writeData(into: file.raw), hasher: hasher,
                statusAfter: true)
            try file.closeChecked(displayPath: header.display)
            guard let digest = completed.digest, let status = completed.status else { return .created(written: nil) }
            return .created(written: TreeStreamWrittenFile(path: header.path, status: status, digest: digest))
        } catch {
            _ = Posix.withCString(header.name) { unlinkat(parent.fd, $0, 0) }
            throw error
        }
    }
}

/// A file a writer thread created, for the applier's digest cache.
struct TreeStreamWrittenFile {
    var path: [UInt8]
    var status: stat
    var digest: String
}
