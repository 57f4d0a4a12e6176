import Foundation

/// What identifies a finding across runs: the file, the node and the code.
///
/// Not the message, which quotes phandle values and cell counts, and not the
/// finding's position in the output: renumbering phandles or reordering nodes
/// must not turn an accepted finding into a new one.
public struct BaselineKey: Hashable, Comparable, Sendable {
  /// The file as `lint` names it, relative to the working directory when it
  /// lies below it (`LintResult.key(for:workingDirectory:)`).
  public let file: String
  /// The node path; nil for a finding about the whole file.
  public let path: String?
  public let code: String

  public init(file: String, path: String?, code: String) {
    self.file = file
    self.path = path
    self.code = code
  }

  public static func < (lhs: BaselineKey, rhs: BaselineKey) -> Bool {
    for (left, right) in [
      (lhs.file, rhs.file), (lhs.path ?? "", rhs.path ?? ""), (lhs.code, rhs.code),
    ]
    where left != right {
      return TreeFinder.bytewise(left, right)
    }
    return lhs.path == nil && rhs.path != nil
  }
}

/// Why a baseline file cannot be used.
public struct BaselineError: Error, Hashable, Sendable, CustomStringConvertible {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// The findings a tree already had when it adopted `lint`
/// (`--write-baseline`), so that CI fails only on new ones (`--baseline`).
///
/// The file is JSON, versioned, sorted, one finding per line, so that a
/// change to it reads as a one-line diff in review:
///
///     {
///       "schema_version": 1,
///       "tool": "iommu-plan",
///       "findings": [
///         {"file": "qcom/sdm845-mtp.dtb", "path": "/soc@0/usb@a600000", "code": "iommu_disabled", "count": 1}
///       ]
///     }
///
/// `count` is how many findings share the key (an `iommu-map` can overlap
/// itself twice); a run fails when it has more than that.
public struct Baseline: Hashable, Sendable {
  public static let schemaVersion = 1

  public private(set) var counts: [BaselineKey: Int]

  public init(counts: [BaselineKey: Int] = [:]) {
    self.counts = counts.filter { $0.value > 0 }
  }

  public init(parsing bytes: [UInt8]) throws(BaselineError) {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(bytes))
    } catch {
      throw BaselineError("not JSON")
    }
    guard let document = object as? [String: Any], let version = document["schema_version"] as? Int
    else { throw BaselineError("not an iommu-plan baseline (no schema_version)") }
    guard version == Self.schemaVersion else {
      throw BaselineError(
        "baseline schema_version \(version); this iommu-plan reads version \(Self.schemaVersion)")
    }
    guard let findings = document["findings"] as? [[String: Any]] else {
      throw BaselineError("no findings array")
    }
    var counts: [BaselineKey: Int] = [:]
    for (index, finding) in findings.enumerated() {
      guard let file = finding["file"] as? String, let code = finding["code"] as? String,
        finding["path"] is String || finding["path"] is NSNull
      else { throw BaselineError("finding \(index) lacks file, path or code") }
      let count = finding["count"] as? Int ?? 1
      guard count > 0 else { throw BaselineError("finding \(index) has count \(count)") }
      counts[BaselineKey(file: file, path: finding["path"] as? String, code: code), default: 0] +=
        count
    }
    self.init(counts: counts)
  }

  public subscript(key: BaselineKey) -> Int { counts[key] ?? 0 }

  /// The file `--write-baseline` writes.
  public func serialized() -> String {
    let lines = counts.keys.sorted().map { key in
      let path = key.path.map(JSONValue.string) ?? .null
      return "    {\"file\": \(JSONValue.string(key.file).serialized()), "
        + "\"path\": \(path.serialized()), \"code\": \(JSONValue.string(key.code).serialized()), "
        + "\"count\": \(self[key])}"
    }
    let findings = lines.isEmpty ? "[]" : "[\n" + lines.joined(separator: ",\n") + "\n  ]"
    return """
      {
        "schema_version": \(Self.schemaVersion),
        "tool": "iommu-plan",
        "findings": \(findings)
      }

      """
  }
}
