import Glibc

/// Checks a directory offered as a template (`template import NAME DIR`)
/// against the same rules the archive importer enforces for device nodes and
/// symlinks, walking with `lstat` only.
public enum TreeValidator {
    /// Throws a ``TreeError`` naming the first offending entry: a character or
    /// block device, or a symlink whose target climbs above the tree root.
    public static func validate(directory: String) throws {
        do {
            let root = try Posix.openRoot(directory)
            try TreeWalker.walk(root: root.raw) { walked in
                switch Posix.kind(ofMode: walked.status.st_mode) {
                case .charDevice, .blockDevice:
                    throw TemplateRules.deviceNode(path: walked.displayPath)
                case .symlink:
                    let target = try Posix.readLink(
                        at: walked.parentFD, name: walked.name, displayPath: walked.displayPath)
                    if TemplateRules.symlinkClimbsAboveRoot(linkPath: walked.path, target: target) {
                        throw TemplateRules.symlinkEscapes(path: walked.displayPath, target: Posix.display(target))
                    }
                case .file, .directory, .fifo, .socket:
                    break
                case nil:
                    throw TreeProblem(
                        path: walked.displayPath,
                        problem: "\"\(walked.displayPath)\" has an unknown file type",
                        remedy: "remove it from the template"
                    )
                }
            }
        } catch let problem as TreeProblem {
            throw TreeError(operation: "cannot import template directory \(directory)", problem)
        }
    }
}
