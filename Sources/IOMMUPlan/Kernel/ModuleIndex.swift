// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import FoundationEssentials

/// What `/lib/modules/<release>` says about a kernel build: which modules are
/// built in, which OF compatibles and platform device names each module
/// claims (`modules.alias`), what each module needs loaded first
/// (`modules.dep`, `modules.softdep`), and where its file is.
public struct ModuleIndex: Sendable {
  /// The directory's name, e.g. `6.1.0-50-arm64`.
  public let release: String
  /// Module keys (`-` folded to `_`) listed in `modules.builtin`.
  public let builtin: Set<String>
  /// Module key -> path relative to the directory, from `modules.dep`.
  public let paths: [String: String]
  /// Module key -> modules it needs, from `modules.dep` and `pre:` softdeps.
  public let dependencies: [String: [String]]
  /// Exact compatible -> modules, for the common `of:N*T*C<compat>[C*]` form.
  private let byCompatible: [String: [String]]
  /// Every other `of:` pattern, matched the way modprobe does (fnmatch).
  private let patterns: [(pattern: String, module: String)]
  /// Platform device name -> modules, from `platform:<name>` aliases: how
  /// udev finds the driver of a device another driver creates with
  /// `platform_device_register_data()`, which has no node of its own.
  private let byPlatformName: [String: [String]]

  public init(
    release: String, builtin: Set<String>, paths: [String: String],
    dependencies: [String: [String]], aliases: [(pattern: String, module: String)]
  ) {
    self.release = release
    self.builtin = builtin
    self.paths = paths
    self.dependencies = dependencies
    var byCompatible: [String: [String]] = [:]
    var patterns: [(String, String)] = []
    var byPlatformName: [String: [String]] = [:]
    for (pattern, module) in aliases {
      if pattern.hasPrefix("of:") {
        if let compatible = Self.plainCompatible(pattern) {
          byCompatible[compatible, default: []].append(moduleKey(module))
        } else {
          patterns.append((pattern, moduleKey(module)))
        }
      } else if pattern.hasPrefix("platform:") {
        byPlatformName[String(pattern.dropFirst(9)), default: []].append(moduleKey(module))
      }
    }
    self.byCompatible = byCompatible.mapValues { Array(Set($0)).sorted() }
    self.patterns = patterns
    self.byPlatformName = byPlatformName.mapValues { Array(Set($0)).sorted() }
  }

  /// Reads the index files of a modules directory.
  public static func load(directory: String) throws(PlanInputError) -> ModuleIndex {
    let base = URL(fileURLWithPath: directory)
    func read(_ name: String, required: Bool) throws(PlanInputError) -> String {
      let file = base.appendingPathComponent(name).path
      guard let data = FileManager.default.contents(atPath: file) else {
        if required {
          throw PlanInputError(
            file: directory, reason: "no \(name) (run depmod, e.g. depmod -b ROOT RELEASE)")
        }
        return ""
      }
      return String(decoding: data, as: UTF8.self)
    }
    let builtin = Set(
      try read("modules.builtin", required: false).split(separator: "\n").map {
        moduleKey(moduleName(fromPath: String($0)))
      })
    var paths: [String: String] = [:]
    var dependencies: [String: [String]] = [:]
    for line in try read("modules.dep", required: true).split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard let path = parts.first.map(String.init) else { continue }
      let key = moduleKey(moduleName(fromPath: path))
      paths[key] = path
      dependencies[key] = (parts.count > 1 ? parts[1] : "").split(separator: " ").map {
        moduleKey(moduleName(fromPath: String($0)))
      }
    }
    for line in try read("modules.softdep", required: false).split(separator: "\n") {
      let words = line.split(separator: " ").map(String.init)
      guard words.count > 2, words[0] == "softdep" else { continue }
      var pre = false
      for word in words.dropFirst(2) {
        if word.hasSuffix(":") {
          pre = word == "pre:"
        } else if pre {
          dependencies[moduleKey(words[1]), default: []].append(moduleKey(word))
        }
      }
    }
    var aliases: [(String, String)] = []
    for line in try read("modules.alias", required: true).split(separator: "\n") {
      let words = line.split(separator: " ")
      if words.count == 3, words[0] == "alias" {
        aliases.append((String(words[1]), String(words[2])))
      }
    }
    return ModuleIndex(
      release: base.lastPathComponent, builtin: builtin, paths: paths,
      dependencies: dependencies, aliases: aliases)
  }

  /// The modules whose OF aliases match a node's modalias, sorted.
  public func modules(for node: Node) -> [String] {
    var found = Set(node.compatible.flatMap { byCompatible[$0] ?? [] })
    if !patterns.isEmpty && !node.compatible.isEmpty {
      let alias = Self.modalias(node)
      for (pattern, module) in patterns where Glob.matches(pattern, alias) { found.insert(module) }
    }
    return found.sorted()
  }

  /// The modules whose `platform:` aliases name a platform device, sorted.
  /// A device without a node gets `MODALIAS=platform:<pdev->name>` from
  /// `platform_uevent()`: the name as registered, without the `.auto`
  /// instance suffix of its device name, so it is matched exactly.
  public func modules(forPlatformDevice name: String) -> [String] {
    byPlatformName[name] ?? []
  }

  /// The kernel's `of_modalias`: `of:N<name>T<type>C<compat>C<compat>...`.
  static func modalias(_ node: Node) -> String {
    let name = node.name.split(separator: "@", maxSplits: 1).first.map(String.init) ?? ""
    let type = node.property("device_type")?.string ?? "(null)"
    return "of:N\(name)T\(type)" + node.compatible.map { "C" + $0 }.joined()
  }

  /// `of:N*T*Cqcom,gcc-sdm845` or `...C*` -> `qcom,gcc-sdm845`; nil for
  /// anything with other wildcards.
  private static func plainCompatible(_ pattern: String) -> String? {
    guard pattern.hasPrefix("of:N*T*C") else { return nil }
    var compatible = pattern.dropFirst(8)
    if compatible.hasSuffix("C*") { compatible = compatible.dropLast(2) }
    guard !compatible.isEmpty, !compatible.contains(where: { "*?[\\".contains($0) }) else {
      return nil
    }
    return String(compatible)
  }

  static func moduleName(fromPath path: String) -> String {
    var name = path.split(separator: "/").last.map(String.init) ?? path
    for suffix in [".xz", ".zst", ".gz"] where name.hasSuffix(suffix) {
      name = String(name.dropLast(suffix.count))
    }
    if name.hasSuffix(".ko") { name = String(name.dropLast(3)) }
    return name
  }
}

/// fnmatch(3) without flags, as kmod matches alias patterns: `*`, `?`, and
/// bracket expressions.
enum Glob {
  static func matches(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.unicodeScalars)
    let t = Array(text.unicodeScalars)
    var pi = 0
    var ti = 0
    var star = -1
    var mark = 0
    while ti < t.count {
      if pi < p.count, p[pi] == "*" {
        star = pi
        mark = ti
        pi += 1
      } else if pi < p.count, let next = step(p, pi, t[ti]) {
        pi = next
        ti += 1
      } else if star >= 0 {
        pi = star + 1
        mark += 1
        ti = mark
      } else {
        return false
      }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
  }

  /// Matches one pattern element at `index` against `character`; returns the
  /// index after the element, or nil.
  private static func step(_ p: [Unicode.Scalar], _ index: Int, _ character: Unicode.Scalar)
    -> Int?
  {
    switch p[index] {
    case "?": return index + 1
    case "[":
      var i = index + 1
      let negate = i < p.count && (p[i] == "!" || p[i] == "^")
      if negate { i += 1 }
      var matched = false
      var first = true
      while i < p.count, p[i] != "]" || first {
        first = false
        if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
          if p[i] <= character && character <= p[i + 2] { matched = true }
          i += 3
        } else {
          if p[i] == character { matched = true }
          i += 1
        }
      }
      guard i < p.count else { return p[index] == character ? index + 1 : nil }
      return matched != negate ? i + 1 : nil
    case "\\" where index + 1 < p.count:
      return p[index + 1] == character ? index + 2 : nil
    default:
      return p[index] == character ? index + 1 : nil
    }
  }
}
