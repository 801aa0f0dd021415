import Glibc

/// Copies regular file data between descriptors with `copy_file_range`
/// (in-kernel, reflinks on file systems that support it), falling back to
/// `read`/`write` where the kernel or file system does not support it.
package final class FileDataCopier {
    private typealias CopyFileRange = @convention(c) (
        Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
    ) -> Int

    /// Looked up at run time because the Glibc module hides the declaration
    /// behind _GNU_SOURCE; nil on a libc without it.
    private static let copyFileRange: CopyFileRange? = dlsym(nil, "copy_file_range").map {
        unsafeBitCast($0, to: CopyFileRange.self)
    }

    private var fallbackBuffer: UnsafeMutableRawBufferPointer?
    /// Cleared after the first refusal so a whole tree on such a file system
    /// does not pay for a failing system call per file.
    private var kernelCopyWorks = true

    deinit {
        fallbackBuffer?.deallocate()
    }

    /// Copies from the current offset of `source` to its end into `destination`.
    package func copy(from source: Int32, to destination: Int32, displayPath: String) throws {
        if kernelCopyWorks, let copyFileRange = Self.copyFileRange {
            while true {
                let copied = copyFileRange(source, nil, destination, nil, 1 << 30, 0)
                if copied > 0 { continue }
                if copied == 0 { return }
                let code = errno
                if code == EINTR { continue }
                guard [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EBADF].contains(code) else {
                    throw TreeProblem.system("copy_file_range", on: displayPath, errno: code)
                }
                // Offsets advanced as far as the kernel copied; read/write resumes there.
                kernelCopyWorks = false
                break
            }
        }
        try copyByReading(from: source, to: destination, displayPath: displayPath)
    }

    private func copyByReading(from source: Int32, to destination: Int32, displayPath: String) throws {
        let buffer = fallbackBuffer ?? UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        fallbackBuffer = buffer
        while true {
            let count = try Posix.read(source, into: buffer, displayPath: displayPath)
            if count == 0 { return }
            try Posix.writeAll(destination, UnsafeRawBufferPointer(rebasing: buffer[0..<count]), displayPath: displayPath)
        }
    }
}
