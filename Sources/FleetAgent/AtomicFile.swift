import FleetProtocol
import FleetSystem
import Foundation
import Glibc

/// State files are replaced atomically (FleetSystem's AtomicFile) and read
/// back as JSON, with errors that say what to do.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws(FleetError) {
        do { try FleetSystem.AtomicFile.replace(path, with: data, mode: mode) } catch {
            throw .failed("\(error)\(error.errno == ENOSPC ? " (is the disk full?)" : "")")
        }
    }

    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws(FleetError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw .failed("cannot encode \(path): \(error)") }
        try write(data + Data("\n".utf8), to: path)
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws(FleetError) -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound("cannot read \(path): no such file")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw .failed("cannot read \(path): it is not valid (\(error)); restore it from a backup or remove the entry")
        }
    }
}
