// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import FoundationEssentials

/// Expands `lint`'s arguments into the device trees to check: a file is taken
/// as named, a directory is walked for boards (`.dtb`, `.dts`) and overlays
/// (`.dtbo`, `.dtso`), never for `.dtsi` includes, which are not boards.
///
/// The walk must give the same list on every machine and must end, so:
/// - paths are sorted byte-wise (as `LC_ALL=C sort` does), whatever order the
///   file system lists them in;
/// - a symbolic link to a directory is never followed (as `find` without `-L`),
///   so a link loop cannot hang it; a link to a file is taken;
/// - hidden entries (`.git`, `.build`, kbuild's `.*.cmd`) are skipped;
/// - a source with its built blob of the same name beside it (`.dts` and
///   `.dtb`, `.dtso` and `.dtbo`) is checked once, as the source: in a built
///   kernel tree (`arch/arm64/boot/dts` after `make dtbs`) both describe one
///   board, and the source's findings carry lines.
public enum TreeFinder {
  public struct Result: Sendable {
    /// Every file to check, sorted, each once.
    public var files: [String] = []
    /// Arguments that name nothing usable: a missing path, a directory that
    /// cannot be listed or holds no device tree.
    public var problems: [LoadError] = []
  }

  /// The files to check. With `includeSources` false (`--dtb-only`),
  /// directories give only blobs (`.dtb`, `.dtbo`); files named explicitly
  /// are always taken.
  public static func find(_ paths: [String], includeSources: Bool = true) -> Result {
    var result = Result()
    var files = Set<String>()
    for path in paths {
      var isDirectory = false
      if path == "-" || !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        // A missing file is still "checked", so that it is reported in order
        // with the others, by the loader, in its own words.
        files.insert(path)
      } else if !isDirectory {
        files.insert(path)
      } else {
        switch walk(path, includeSources: includeSources, into: &files) {
        case .unlistable:
          result.problems.append(LoadError(file: path, reason: "cannot list the directory"))
        case .walked(found: 0):
          // Most likely a wrong path in a CI script: say so rather than pass.
          let kinds = includeSources ? ".dtb, .dtbo, .dts or .dtso" : ".dtb or .dtbo"
          result.problems.append(
            LoadError(file: path, reason: "no \(kinds) files in the directory"))
        case .walked:
          break
        }
      }
    }
    result.files = files.sorted(by: bytewise)
    return result
  }

  /// The byte-wise order of `LC_ALL=C sort`, independent of locale and
  /// Unicode normalisation.
  public static func bytewise(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
  }

  private enum WalkOutcome {
    case walked(found: Int)
    case unlistable
  }

  /// Walks one directory tree depth-first. A subdirectory that cannot be
  /// listed is skipped; only the top one failing is a problem. Overlapping
  /// arguments (`dir dir/sub`) walk twice; the set keeps each file once.
  private static func walk(
    _ top: String, includeSources: Bool, into files: inout Set<String>
  ) -> WalkOutcome {
    var pending = [top]
    var found = 0
    // Links to directories are not followed, so only a bind mount could
    // bring the walk back to a directory; the real path stops that too.
    var visited = Set<String>()
    while let directory = pending.popLast() {
      let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
      guard visited.insert(real).inserted else { continue }
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
        if directory == top { return .unlistable }
        continue
      }
      let visible = names.filter { !$0.hasPrefix(".") }
      let present = Set(visible)
      for name in visible {
        let path = joined(directory, name)
        switch kind(of: path) {
        case .directory:
          pending.append(path)
        case .file:
          if wanted(name, includeSources: includeSources, present: present) {
            files.insert(path)
            found += 1
          }
        case .other:
          break
        }
      }
    }
    return .walked(found: found)
  }

  /// Sources and their blobs, by suffix.
  private static let built = [(source: ".dts", blob: ".dtb"), (source: ".dtso", blob: ".dtbo")]

  /// Whether a file of a walked directory is checked: a source (when taken)
  /// in place of its blob, a blob whose source is not taken.
  private static func wanted(_ name: String, includeSources: Bool, present: Set<String>) -> Bool {
    for (source, blob) in built {
      if name.hasSuffix(blob) {
        let stem = name.dropLast(blob.count)
        return !includeSources || !present.contains(stem + source)
      }
      if name.hasSuffix(source) { return includeSources }
    }
    return false
  }

  private enum Kind { case directory, file, other }

  /// What a directory entry is, without following a link to a directory.
  private static func kind(of path: String) -> Kind {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      let type = attributes[.type] as? FileAttributeType
    else { return .other }
    switch type {
    case .typeDirectory: return .directory
    case .typeRegular: return .file
    case .typeSymbolicLink:
      // A link to a file is taken (a dangling one too: the loader says so);
      // a link to a directory is not followed.
      var isDirectory = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      return exists && isDirectory ? .other : .file
    default: return .other
    }
  }

  /// `dir/name`, without doubling a slash or keeping a leading `./`.
  private static func joined(_ directory: String, _ name: String) -> String {
    if directory == "." { return name }
    return directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}
