import FleetSystem
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.unit)) struct AtomicFileTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "fleet-system-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test func replacesTheContentWithTheModeAndLeavesNoTemporaryFile() throws {
        try withDirectory { dir in
            let path = dir + "/state.json"
            try AtomicFile.replace(path, with: Array("old".utf8), mode: 0o644)
            try AtomicFile.replace(path, with: Array("new".utf8), mode: 0o600)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["state.json"])
        }
    }

    @Test func aLeftoverTemporaryFileDoesNotLendItsMode() throws {
        try withDirectory { dir in
            let path = dir + "/key"
            let leftover = dir + "/.tmp-key-\(getpid())"
            #expect(FileManager.default.createFile(atPath: leftover, contents: Data("x".utf8), attributes: [.posixPermissions: 0o666]))
            try AtomicFile.replace(path, with: Array("secret".utf8), mode: 0o600)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func aFailureNamesTheFileAndKeepsTheOldContent() throws {
        try withDirectory { dir in
            let error = #expect(throws: SystemError.self) { try AtomicFile.replace(dir + "/missing/file", with: Array("x".utf8)) }
            #expect(error?.description.contains(dir + "/missing/file") == true)
            #expect(error?.errno == ENOENT)
        }
    }
}
