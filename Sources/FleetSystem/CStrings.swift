import Glibc

/// NUL-terminated copies of strings for exec, freed by the caller.
struct CStrings {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func free() {
        for p in pointers { Glibc.free(p) }
    }
}
