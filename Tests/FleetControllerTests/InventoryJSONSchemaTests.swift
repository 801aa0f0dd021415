import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// `vfleet inventory --format json` is documented field by field in
/// docs/guide/controller.md; this holds the document and the encoder to each other.
@Suite(.tags(.unit)) struct InventoryJSONSchemaTests {
    static let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/guide/controller.md")

    /// The first column of the rows of the guide's table of JSON fields: "| `hosts[].name` | … |".
    static func documentedFields() throws -> [String] {
        let text = try String(contentsOf: guide, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- inventory-json-fields -->"))
        let end = try #require(text.range(of: "<!-- /inventory-json-fields -->"))
        return text[start.upperBound..<end.lowerBound].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `"), let close = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<close])
        }
    }

    /// Every key path of the JSON, arrays written "[]"; labels is a map, named as a whole.
    static func encodedFields(_ json: Any, prefix: String = "") -> Set<String> {
        switch json {
        case let object as [String: Any]:
            var paths: Set<String> = []
            for (key, value) in object {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                paths.insert(path)
                if key != "labels" { paths.formUnion(encodedFields(value, prefix: path)) }
            }
            return paths
        case let array as [Any]:
            return array.reduce(into: Set<String>()) { $0.formUnion(encodedFields($1, prefix: prefix + "[]")) }
        default:
            return []
        }
    }

    @Test func theGuideDocumentsEveryFieldTheEncoderWritesAndNoOther() throws {
        // Every optional set, so that every key appears.
        var report = InventoryRendererTests.sample
        report.hosts[0].error = "example"
        report.guests[0].limits = GuestLimits(memoryBytes: 1 << 28, cpuMillis: 500, cpuWeight: 100, pids: 64, ioWeight: 100)
        let data = Data(try InventoryRenderer.json(report).utf8)
        let encoded = Self.encodedFields(try JSONSerialization.jsonObject(with: data))
        let documented = try Self.documentedFields()
        #expect(documented.count == Set(documented).count, "a field documented twice")
        let missing = encoded.subtracting(documented).sorted()
        let extra = Set(documented).subtracting(encoded).sorted()
        #expect(missing.isEmpty, "encoded but not documented in \(Self.guide.path): \(missing)")
        #expect(extra.isEmpty, "documented but not encoded: \(extra)")
    }
}
