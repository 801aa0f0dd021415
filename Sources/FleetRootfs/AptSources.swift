/// Reads the Debian archive this machine's apt uses, so that a Debian
/// template comes from the same mirror (and the same proxy rules) as the
/// host's own packages.
public enum AptSources {
    /// The first `deb` source that is a main archive: not a security or
    /// updates archive. `files` are (file name, content) pairs in apt's
    /// order: sources.list, then sources.list.d/* sorted.
    public static func debianMirror(files: [(name: String, content: String)]) -> String? {
        for file in files {
            let candidates: [(uri: String, suites: [String])]
            if file.name.hasSuffix(".sources") {
                candidates = deb822Entries(file.content)
            } else if file.name.hasSuffix(".list") {
                candidates = oneLineEntries(file.content)
            } else {
                continue
            }
            for c in candidates where isMainArchive(uri: c.uri, suites: c.suites) { return c.uri }
        }
        return nil
    }

    /// Reads /etc/apt/sources.list and /etc/apt/sources.list.d/.
    public static func debianMirrorOfThisHost(etc: String = "/etc/apt") -> String? {
        var files: [(String, String)] = []
        if let s = try? String(contentsOfFile: etc + "/sources.list", encoding: .utf8) { files.append(("sources.list", s)) }
        let dir = etc + "/sources.list.d"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
            if let s = try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) { files.append((name, s)) }
        }
        return debianMirror(files: files)
    }

    static func isMainArchive(uri: String, suites: [String]) -> Bool {
        guard uri.hasPrefix("http://") || uri.hasPrefix("https://") || uri.hasPrefix("file:/") else { return false }
        if uri.contains("security") { return false }
        return suites.contains { !$0.contains("-") && !$0.contains("/") }
    }

    /// deb822 stanzas: "Types: deb", "URIs: …", "Suites: …", optional "Enabled: no".
    static func deb822Entries(_ text: String) -> [(uri: String, suites: [String])] {
        var result: [(String, [String])] = []
        for stanza in text.components(separatedBy: "\n\n") {
            var fields: [String: String] = [:]
            for line in stanza.split(separator: "\n") where !line.hasPrefix("#") {
                guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" ") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard let types = fields["types"], types.split(separator: " ").contains("deb"),
                  fields["enabled"]?.lowercased() != "no", let uris = fields["uris"] else { continue }
            let suites = (fields["suites"] ?? "").split(separator: " ").map(String.init)
            for uri in uris.split(separator: " ") { result.append((String(uri), suites)) }
        }
        return result
    }

    /// One-line form: "deb [options] URI SUITE COMPONENTS…".
    static func oneLineEntries(_ text: String) -> [(uri: String, suites: [String])] {
        var result: [(String, [String])] = []
        for raw in text.split(separator: "\n") {
            var words = raw.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.first == "deb" else { continue }
            words.removeFirst()
            if words.first?.hasPrefix("[") == true {
                while let w = words.first {
                    words.removeFirst()
                    if w.hasSuffix("]") { break }
                }
            }
            guard words.count >= 2 else { continue }
            result.append((words[0], [words[1]]))
        }
        return result
    }
}

import FleetTree
import Foundation
