// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import FoundationEssentials

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
  public let code: DiagnosticCode

  public init(file: String, path: String?, code: DiagnosticCode) {
    self.file = file
    self.path = path
    self.code = code
  }

  /// Files byte-wise, then nodes in path order (file-level first), then
  /// codes.
  public static func < (lhs: BaselineKey, rhs: BaselineKey) -> Bool {
    if lhs.file != rhs.file { return TreeFinder.bytewise(lhs.file, rhs.file) }
    if lhs.path != rhs.path {
      guard let left = lhs.path, let right = rhs.path else { return lhs.path == nil }
      return PathOrder.precedes(left, right)
    }
    return TreeFinder.bytewise(lhs.code.rawValue, rhs.code.rawValue)
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

  /// Reads a baseline file. A finding whose code this version does not know
  /// (a newer iommu-plan's) is dropped: nothing can match it.
  public init(parsing bytes: [UInt8]) throws(BaselineError) {
    let document: Document
    do {
      document = try JSONDecoder().decode(Document.self, from: Data(bytes))
    } catch let error as BaselineError {
      throw error
    } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
      throw BaselineError("not JSON")
    } catch {
      throw BaselineError("not an iommu-plan baseline (no schema_version)")
    }
    var counts: [BaselineKey: Int] = [:]
    for (index, finding) in document.findings.enumerated() {
      guard let file = finding.file, let code = finding.code, let path = finding.path else {
        throw BaselineError("finding \(index) lacks file, path or code")
      }
      let count = finding.count ?? 1
      guard count > 0 else { throw BaselineError("finding \(index) has count \(count)") }
      guard let known = DiagnosticCode(rawValue: code) else { continue }
      counts[BaselineKey(file: file, path: path, code: known), default: 0] += count
    }
    self.init(counts: counts)
  }

  /// The file's shape; every check that names what is wrong is made here.
  private struct Document: Decodable {
    let findings: [Finding]

    struct Finding: Decodable {
      let file: String?
      let code: String?
      /// Present as a string or null (a file-level finding); nil when absent.
      let path: String??
      let count: Int?

      enum CodingKeys: String, CodingKey { case file, code, path, count }

      init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        file = try? container.decode(String.self, forKey: .file)
        code = try? container.decode(String.self, forKey: .code)
        if (try? container.decodeNil(forKey: .path)) == true {
          path = .some(nil)
        } else if let string = try? container.decode(String.self, forKey: .path) {
          path = .some(string)
        } else {
          path = nil
        }
        count = try? container.decode(Int.self, forKey: .count)
      }
    }

    enum CodingKeys: String, CodingKey {
      case schemaVersion = "schema_version"
      case findings
    }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      guard let version = try? container.decode(Int.self, forKey: .schemaVersion) else {
        throw BaselineError("not an iommu-plan baseline (no schema_version)")
      }
      guard version == Baseline.schemaVersion else {
        throw BaselineError(
          "baseline schema_version \(version); this iommu-plan reads version "
            + "\(Baseline.schemaVersion)")
      }
      guard let findings = try? container.decode([Finding].self, forKey: .findings) else {
        throw BaselineError("no findings array")
      }
      self.findings = findings
    }
  }

  public subscript(key: BaselineKey) -> Int { counts[key] ?? 0 }
}
