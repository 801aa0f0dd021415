import Foundation

/// Writes small ustar archives by hand, for the malicious members that
/// GNU tar itself refuses to create.
enum TarFixture {
    enum Member {
        case file(String, String)
        case symlink(String, String)
        case hardlink(String, String)
        case charDevice(String, Int, Int)
        case directory(String)
    }

    static func write(_ members: [Member], to path: String) throws {
        var data = Data()
        for m in members {
            switch m {
            case .file(let name, let content):
                data += header(name: name, type: "0", size: content.utf8.count)
                data += pad(Data(content.utf8))
            case .symlink(let name, let target):
                data += header(name: name, type: "2", link: target)
            case .hardlink(let name, let target):
                data += header(name: name, type: "1", link: target)
            case .charDevice(let name, let major, let minor):
                data += header(name: name, type: "3", major: major, minor: minor)
            case .directory(let name):
                data += header(name: name, type: "5", mode: 0o755)
            }
        }
        data += Data(count: 1024)
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func pad(_ d: Data) -> Data {
        let rem = d.count % 512
        return rem == 0 ? d : d + Data(count: 512 - rem)
    }

    static func header(name: String, type: Character, size: Int = 0, link: String = "", mode: Int = 0o644, major: Int = 0, minor: Int = 0) -> Data {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ offset: Int, _ len: Int) {
            for (i, b) in s.utf8.prefix(len).enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int, _ offset: Int, _ len: Int) {
            put(String(String(v, radix: 8).suffix(len - 1)).leftPad(len - 1), offset, len - 1)
        }
        put(name, 0, 100)
        octal(mode, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(1_700_000_000, 136, 12)
        h[156] = type.asciiValue!
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        octal(major, 329, 8)
        octal(minor, 337, 8)
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(String(sum, radix: 8)).leftPad(6), 148, 6)
        h[154] = 0
        h[155] = 32
        return Data(h)
    }
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
