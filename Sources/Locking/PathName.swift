import Glibc

/// The few path-name operations the modules need, on plain strings: NSString's path
/// methods and `FileManager.fileExists(atPath:isDirectory:)` with an `ObjCBool` exist
/// in Foundation only, and no module loads Foundation (issue 18).
package enum PathName {
    /// The folder part: "" for a bare name, "/" for a name in the root.
    package static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// The last component ("c" for "a/b/c" and "a/b/c/").
    package static func last(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/"), trimmed.count > 1 else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// `folder/name`, without a doubled slash.
    package static func join(_ folder: String, _ name: String) -> String {
        if folder.isEmpty { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// true for a directory, false for anything else that exists, nil when nothing is
    /// there (symbolic links followed, as `stat(2)` does).
    package static func isDirectory(_ path: String) -> Bool? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }
}
