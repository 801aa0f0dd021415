import FleetSystem
import FleetTree
import Foundation
import Glibc

/// A minimal root file system around Debian's static busybox: enough for the
/// demo, the tests and the benchmarks, and small (about 2 MB).
/// Failure to build a busybox root, with what to do about it.
public struct BusyboxRootfsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// true when the host lacks the static busybox (an install problem, not a bug).
    public let missingBusybox: Bool
}

public enum BusyboxRootfs {
    /// Where Debian's busybox-static puts its binary (usr-merged or not).
    static let candidates = ["/bin/busybox", "/usr/bin/busybox"]

    public static func findStaticBusybox() throws(BusyboxRootfsError) -> String {
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
            if isStatic(path) { return path }
        }
        throw BusyboxRootfsError(description: "cannot build a busybox template: no static busybox found at \(candidates.joined(separator: " or ")) (apt-get install busybox-static)", missingBusybox: true)
    }

    /// A static ELF has no PT_INTERP program header; a dynamic busybox
    /// would need the host's libraries inside the guest.
    static func isStatic(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 64), header.count == 64,
              header.starts(with: [0x7f, 0x45, 0x4c, 0x46]), header[4] == 2 else { return false }
        func u64(_ o: Int) -> UInt64 { header[o..<o + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func u16(_ o: Int) -> Int { Int(header[o]) | Int(header[o + 1]) << 8 }
        let phoff = u64(32), phentsize = u16(54), phnum = u16(56)
        guard (try? handle.seek(toOffset: phoff)) != nil,
              let table = try? handle.read(upToCount: phentsize * phnum), table.count == phentsize * phnum else { return false }
        for i in 0..<phnum {
            let o = table.startIndex + i * phentsize
            let type = UInt32(table[o]) | UInt32(table[o + 1]) << 8 | UInt32(table[o + 2]) << 16 | UInt32(table[o + 3]) << 24
            if type == 3 { return false } // PT_INTERP
        }
        return true
    }

    public static func build(at rootfs: String) throws(BusyboxRootfsError) {
        let busybox = try findStaticBusybox()
        let fm = FileManager.default
        do {
            for dir in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
                        "var/log", "var/run", "run", "home", "mnt"] {
                try fm.createDirectory(atPath: rootfs + "/" + dir, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o755])
            }
            chmod(rootfs + "/tmp", 0o1777)
            chmod(rootfs + "/root", 0o700)
            try fm.copyItem(atPath: busybox, toPath: rootfs + "/bin/busybox")
            chmod(rootfs + "/bin/busybox", 0o755)
            for applet in try applets(busybox) where applet != "bin/busybox" {
                let path = rootfs + "/" + applet
                if fm.fileExists(atPath: path) { continue }
                try fm.createSymbolicLink(atPath: path, withDestinationPath: "/bin/busybox")
            }
            try? fm.removeItem(atPath: rootfs + "/sbin/init")
            try write(rootfs + "/sbin/init", initScript, mode: 0o755)
            try write(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", mode: 0o644)
            try write(rootfs + "/etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n", mode: 0o644)
            try write(rootfs + "/etc/shadow", "root:*:19000:0:99999:7:::\n", mode: 0o640)
            try write(rootfs + "/etc/profile", "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPS1='\\h:\\w\\$ '\n", mode: 0o644)
            try write(rootfs + "/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n", mode: 0o644)
        } catch let e as BusyboxRootfsError {
            throw e
        } catch {
            throw BusyboxRootfsError(description: "cannot build busybox template: \(error.localizedDescription)", missingBusybox: false)
        }
    }

    static func applets(_ busybox: String) throws(BusyboxRootfsError) -> [String] {
        let out: SubprocessOutput
        do { out = try Subprocess.run([busybox, "--list-full"]) } catch {
            throw BusyboxRootfsError(description: "cannot run \(busybox) --list-full: \(error.reason)", missingBusybox: false)
        }
        return out.stdoutText.split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.contains("..") && !$0.hasPrefix("/") }
    }

    static func write(_ path: String, _ text: String, mode: Int) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
    }

    /// A plain init: runs /etc/rc.local if present and waits; on SIGTERM it
    /// asks every process of the guest to end, then exits (which ends the guest).
    static let initScript = """
    #!/bin/sh
    # vfleet's init for busybox templates (init style "plain").
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    shutdown() {
        echo "vfleet-init: stopping"
        kill -TERM -1 2>/dev/null
        exit 0
    }
    trap shutdown TERM INT
    [ -x /etc/rc.local ] && /etc/rc.local
    echo "vfleet-init: $(hostname) running"
    while :; do
        sleep 2147483647 &
        wait $!
    done

    """
}
