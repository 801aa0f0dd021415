import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import FleetRootfs
import Foundation

struct TemplateAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store a template (a directory or tar archive, --busybox or --debian) and its digest.",
        discussion: "The tree is validated like the agent's import (no '..', devices, escaping links) and digested; hosts get it on first use or with `template push`.")

    @OptionGroup var options: ChangeOptions
    @Argument(help: "Template name.") var name: String
    @Argument(help: "A directory or tar archive (omit with --busybox).") var path: String?
    @Flag(help: "Build a small template from Debian's busybox-static.") var busybox = false
    @Flag(help: "Build a Debian template with debootstrap (see --suite, --variant, --include, --mirror).") var debian = false
    @Option(help: "--debian: the suite.") var suite: String = "bookworm"
    @Option(help: "--debian: debootstrap's variant.") var variant: String = "minbase"
    @Option(help: ArgumentHelp("--debian: extra packages, comma-separated (repeatable); minbase needs systemd-sysv or sysvinit-core for an init.", valueName: "PKGS"))
    var include: [String] = []
    @Option(help: "--debian: the archive (default: the Debian archive in this machine's apt sources).") var mirror: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func validate() throws {
        if [busybox, debian, path != nil].filter({ $0 }).count != 1 { throw ValidationError("give one of PATH, --busybox or --debian") }
    }

    func run() throws {
        let controller = try options.controller()
        let debianOptions = debian ? DebianBuildOptions(suite: suite, variant: variant,
                                                        include: include.flatMap { $0.split(separator: ",").map(String.init) },
                                                        mirror: mirror) : nil
        let t = try fleet { () throws(FleetError) in
            try controller.addTemplate(name: name, path: path, busybox: busybox, debian: debianOptions)
        }
        if format == .json { return printJSON(t) }
        print("template \(t.name): \(t.fileCount) files, \(ByteSize.format(t.totalBytes)), digest sha256:\(t.digest)")
    }
}
