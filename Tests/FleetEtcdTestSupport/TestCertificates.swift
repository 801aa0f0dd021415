import FleetTestSupport
import FleetEtcd
import Foundation

/// A test CA, an etcd server certificate for 127.0.0.1 and a client
/// certificate, made with the openssl command (P-256, valid one day), plus
/// a second CA that signed none of them.
public struct TestCertificates {
    public let directory: String

    public var ca: String { directory + "/ca.pem" }
    public var otherCA: String { directory + "/other-ca.pem" }
    public var serverCertificate: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }

    /// What a client with its certificate uses.
    public var clientFiles: EtcdTLSFiles { EtcdTLSFiles(caFile: ca, certificateFile: clientCertificate, keyFile: clientKey) }

    public static func make(in directory: String) throws -> TestCertificates {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let made = TestCertificates(directory: directory)
        for name in ["ca", "other-ca"] {
            try openssl(in: directory, [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-days", "1", "-subj", "/CN=vfleet-test-\(name)",
            ])
        }
        // The gateway dials its own gRPC port with the server's certificate,
        // so with client certificate authentication it needs clientAuth too.
        try made.sign("server", extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
        try made.sign("client", extensions: "extendedKeyUsage=clientAuth\n")
        return made
    }

    private func sign(_ name: String, extensions: String) throws {
        let ext = "\(directory)/\(name).ext"
        try extensions.write(toFile: ext, atomically: true, encoding: .utf8)
        try Self.openssl(in: directory, [
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", "/CN=vfleet-test-\(name)",
        ])
        try Self.openssl(in: directory, [
            "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", ca, "-CAkey", "\(directory)/ca.key", "-CAcreateserial",
            "-out", "\(directory)/\(name).pem", "-days", "1", "-extfile", ext,
        ])
    }

    private static func openssl(in directory: String, _ arguments: [String]) throws {
        let log = "\(directory)/openssl.log"
        let child = try ChildProcess("/usr/bin/openssl", arguments, stdout: log, stderr: log)
        let code = child.wait()
        guard code == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw FixtureError("openssl \(arguments.joined(separator: " ")) exited \(code): \(output.suffix(1000))")
        }
    }
}
