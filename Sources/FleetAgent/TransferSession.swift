import CFleetTLS
import FleetTree
import FleetTreeStream
import Glibc
import Synchronization

/// A TLS session of a direct transfer over a connected socket, which it owns.
/// Reads and writes are bounded by the socket's timeouts, so a peer that
/// vanishes (killed, or the link cut) ends the transfer with an error.
final class TransferSession: @unchecked Sendable {
    private let handle: OpaquePointer
    let fd: Int32
    /// Bytes read so far, for transfer.progress (one relaxed add per read
    /// of up to 256 KiB: nothing next to the read itself).
    private let readCount = Atomic<UInt64>(0)
    var bytesRead: UInt64 { readCount.load(ordering: .relaxed) }

    private init(handle: OpaquePointer, fd: Int32) {
        self.handle = handle
        self.fd = fd
    }

    /// Handshakes as server or client; on failure closes `fd` and throws the reason.
    static func handshake(fd: Int32, identity: TransferIdentity, peer: [UInt8], server: Bool) throws(TransferRefusal) -> TransferSession {
        var err = [CChar](repeating: 0, count: 256)
        let h = peer.withUnsafeBufferPointer { p in
            server ? fleet_tls_accept(fd, identity.handle, p.baseAddress, &err, err.count)
                   : fleet_tls_connect(fd, identity.handle, p.baseAddress, &err, err.count)
        }
        guard let h else {
            Glibc.close(fd)
            throw TransferRefusal(err.cText)
        }
        return TransferSession(handle: h, fd: fd)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransferRefusal) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var err = [CChar](repeating: 0, count: 256)
        if fleet_tls_write(handle, base, bytes.count, &err, err.count) != 0 { throw TransferRefusal(err.cText) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransferRefusal) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var err = [CChar](repeating: 0, count: 256)
        let n = fleet_tls_read(handle, base, buffer.count, &err, err.count)
        if n < 0 { throw TransferRefusal(err.cText) }
        readCount.add(UInt64(n), ordering: .relaxed)
        return n
    }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) throws(TransferRefusal) {
        var err = [CChar](repeating: 0, count: 256)
        let r = bytes.withUnsafeBytes { fleet_tls_write(handle, $0.baseAddress, $0.count, &err, err.count) }
        if r != 0 { throw TransferRefusal(err.cText) }
    }

    /// Reads exactly `count` bytes, or nil if the peer ends first.
    func readExactly(_ count: Int) throws(TransferRefusal) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        var err = [CChar](repeating: 0, count: 256)
        while got < count {
            let n = out.withUnsafeMutableBytes { fleet_tls_read(handle, $0.baseAddress! + got, count - got, &err, err.count) }
            if n < 0 { throw TransferRefusal(err.cText) }
            if n == 0 { return nil }
            got += n
        }
        return out
    }

    func close() {
        fleet_tls_close(handle)
        Glibc.close(fd)
    }
}

/// Why a connection was refused or a transfer failed, in words for the log.
struct TransferRefusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct TransferSink: ByteSink {
    let session: TransferSession
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws { try session.write(bytes) }
}

struct TransferSource: ByteSource {
    let session: TransferSession
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try session.read(into: buffer) }
}

extension [CChar] {
    /// A NUL-terminated C string buffer as text.
    var cText: String { String(decoding: prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
}
