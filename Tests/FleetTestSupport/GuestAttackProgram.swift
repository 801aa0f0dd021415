import Foundation

/// A small static C program for attacks from inside a guest that need raw
/// socket calls busybox has no applet for (listen() without bind(), a UDP
/// send before connect(), abstract unix sockets, inotify exhaustion).
/// Compiled once per test process with `cc -static` (gcc and libc6-dev,
/// see scripts/install-deps) and handed to a guest as base64 on stdin.
///
/// Subcommands, each printing one line per outcome:
/// - `listen`: listen() on an unbound TCP socket, print "listening PORT",
///   then accept for 20 s printing "accepted";
/// - `udp HOST PORT`: sendto() from a fresh unbound socket ("sent" or
///   "send err ERRNO"), then connect() that socket ("connect ok ADDR" or
///   "connect err ERRNO");
/// - `unix NAME`: connect to the abstract unix socket NAME ("connected" or
///   "err ERRNO");
/// - `inotify`: inotify_init1 until it fails ("made N then err ERRNO"),
///   holding them for 5 s.
/// ERRNO is the symbolic name, e.g. EPERM.
public enum GuestAttackProgram {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    static let source = #"""
    #define _GNU_SOURCE
    #include <arpa/inet.h>
    #include <errno.h>
    #include <netinet/in.h>
    #include <signal.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/inotify.h>
    #include <sys/socket.h>
    #include <sys/un.h>
    #include <unistd.h>

    static const char *name(int e) {
        switch (e) {
        case EPERM: return "EPERM"; case EACCES: return "EACCES"; case ECONNREFUSED: return "ECONNREFUSED";
        case EMFILE: return "EMFILE"; case ENOENT: return "ENOENT"; case EINVAL: return "EINVAL";
        case ENETUNREACH: return "ENETUNREACH"; case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
        default: { static char b[16]; snprintf(b, sizeof b, "E%d", e); return b; }
        }
    }

    int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IONBF, 0);
        if (argc >= 2 && !strcmp(argv[1], "listen")) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            if (listen(s, 8) != 0) { printf("listen err %s\n", name(errno)); return 1; }
            struct sockaddr_in a; socklen_t l = sizeof a;
            getsockname(s, (struct sockaddr *)&a, &l);
            printf("listening %s %d\n", inet_ntoa(a.sin_addr), ntohs(a.sin_port));
            alarm(20);
            for (;;) { int c = accept(s, NULL, NULL); if (c >= 0) { printf("accepted\n"); close(c); } }
        }
        if (argc >= 4 && !strcmp(argv[1], "udp")) {
            struct sockaddr_in to; memset(&to, 0, sizeof to);
            to.sin_family = AF_INET; to.sin_port = htons((unsigned short)atoi(argv[3]));
            inet_pton(AF_INET, argv[2], &to.sin_addr);
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            if (sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to) != 1) printf("send err %s\n", name(errno));
            else printf("sent\n");
            if (connect(s, (struct sockaddr *)&to, sizeof to) != 0) { printf("connect err %s\n", name(errno)); return 0; }
            struct sockaddr_in a; socklen_t l = sizeof a;
            getsockname(s, (struct sockaddr *)&a, &l);
            printf("connect ok %s\n", inet_ntoa(a.sin_addr));
            send(s, "y", 1, 0);
            return 0;
        }
        if (argc >= 3 && !strcmp(argv[1], "unix")) {
            struct sockaddr_un a; memset(&a, 0, sizeof a);
            a.sun_family = AF_UNIX;
            size_t n = strlen(argv[2]);
            if (n > sizeof a.sun_path - 1) n = sizeof a.sun_path - 1;
            memcpy(a.sun_path + 1, argv[2], n);
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            if (connect(s, (struct sockaddr *)&a, (socklen_t)(sizeof(sa_family_t) + 1 + n)) != 0) printf("err %s\n", name(errno));
            else printf("connected\n");
            return 0;
        }
        if (argc >= 2 && !strcmp(argv[1], "inotify")) {
            int made = 0;
            for (;;) {
                if (inotify_init1(IN_CLOEXEC) < 0) { printf("made %d then err %s\n", made, name(errno)); break; }
                if (++made >= 100000) { printf("made %d\n", made); break; }
            }
            sleep(5);
            return 0;
        }
        fprintf(stderr, "usage: vfattack listen | udp HOST PORT | unix NAME | inotify\n");
        return 2;
    }
    """#

    nonisolated(unsafe) private static var built: String?
    private static let lock = NSLock()

    /// The compiled program as base64 text (compiled on first use in a
    /// temporary directory that is removed at once).
    public static func base64() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vfattack-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = dir + "/vfattack.c", out = dir + "/vfattack"
        try source.write(toFile: c, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-static", "-Os", "-s", "-o", out, c]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "cc -static vfattack.c failed (install gcc and libc6-dev: scripts/install-deps): \(String(decoding: text, as: UTF8.self))")
        }
        let encoded = try Data(contentsOf: URL(fileURLWithPath: out)).base64EncodedString()
        built = encoded
        return encoded
    }

    /// The shell line that installs the program as /bin/vfattack from base64 on stdin.
    public static let installScript = "base64 -d > /bin/vfattack && chmod 755 /bin/vfattack"
}
