import Glibc

/// A NULL-terminated array of C strings that lives as long as this object:
/// what argv/envp in a vf_* config point to.
final class CStringArray {
    private(set) var pointers: [UnsafePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { UnsafePointer(strdup($0)) }
        pointers.append(nil)
    }

    deinit {
        for p in pointers { free(UnsafeMutablePointer(mutating: p)) }
    }

    func withPointer<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
        try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
