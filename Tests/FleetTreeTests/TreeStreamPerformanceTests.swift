import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Synchronization
import Testing

/// Carries the writer's outcome from its thread back to the test.
private final class WriterOutcome: Sendable {
    private let value = Mutex<Result<TreeStreamStats, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ result: Result<TreeStreamStats, any Error>) {
        value.withLock { $0 = result }
        done.signal()
    }

    func wait() throws -> TreeStreamStats {
        done.wait()
        return try value.withLock { $0! }.get()
    }
}

@Suite(.tags(.unit)) struct TreeStreamPerformanceTests {
    /// 5,000 files, 200 MB, in 50 directories; streamed writer thread -> pipe -> reader.
    @Test func twoHundredMegabytesThroughAPipe() throws {
        signal(SIGPIPE, SIG_IGN)
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)

        let pool = try StreamFixture.randomBytes(4 << 20)
        let fileCount = 5000
        let averageSize = 200_000_000 / fileCount
        var total = 0
        for index in 0..<fileCount {
            if index % 100 == 0 { try TestDirectory.makeDirectory(source + "/dir\(index / 100)") }
            // Sizes from 0 to twice the average, deterministic.
            let size = (index * 7919) % (2 * averageSize)
            let start = (index * 104_729) % (pool.count - size)
            let path = source + "/dir\(index / 100)/file\(index)"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            #expect(fd >= 0)
            let written = pool.withUnsafeBytes { write(fd, $0.baseAddress! + start, size) }
            #expect(written == size)
            close(fd)
            total += size
        }

        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        _ = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let outcome = WriterOutcome()
        let started = ContinuousClock.now
        Thread.detachNewThread {
            var sink = FDSink(fd: writeEnd)
            let result = Result { try TreeStreamWriter.write(root: source, to: &sink) }
            close(writeEnd)
            outcome.finish(result)
        }
        var input = FDSource(fd: readEnd)
        let applied: TreeStreamStats
        do {
            defer { close(readEnd) }
            applied = try TreeStreamReader.apply(from: &input, into: destination)
        }
        let sent = try outcome.wait()
        let elapsed = ContinuousClock.now - started

        #expect(sent == applied)
        #expect(sent.entries == fileCount + 50)
        #expect(sent.fileBytes == UInt64(total))
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("tree stream: \(sent.entries) entries, \(total / 1_000_000) MB through a pipe in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", Double(total) / 1e6 / seconds)) MB/s)")
        #expect(seconds < 30, "streaming took \(seconds) s")

        let checked = ContinuousClock.now
        try StreamFixture.expectSameTrees(source, destination)
        print("tree stream: verifying both trees took \(ContinuousClock.now - checked)")

        // A delta of an unchanged tree reads only metadata.
        var sink = MemorySink()
        let deltaStarted = ContinuousClock.now
        let delta = try TreeStreamWriter.write(root: source, to: &sink, since: try TreeManifest.build(root: destination))
        print("tree stream: manifest + empty delta of the same tree took \(ContinuousClock.now - deltaStarted), \(sink.bytes.count) bytes")
        #expect(delta == TreeStreamStats(entries: 0, fileBytes: 0, deleted: 0))
    }
}
