// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A whole `lint` run: every file's findings after the policy and the
/// baseline are applied, what was fixed, and the exit code that follows.
///
/// Renderers print this and decide nothing: which findings show, with which
/// severity, and whether the run fails are all settled here.
public struct LintResult: Sendable {
  /// SARIF's `baselineState`, for the two states a current finding can have.
  public enum BaselineState: String, Sendable {
    /// Not in the baseline: it counts towards failing the run.
    case new
    /// In the baseline: reported (SARIF, JSON) but never failing.
    case unchanged
  }

  public struct Finding: Sendable {
    /// With the severity it is reported with (`--strict` applied).
    public let diagnostic: Diagnostic
    /// Nil when no baseline is in use.
    public let baselineState: BaselineState?
  }

  /// A baseline entry of a checked file that this run no longer finds.
  public struct Fixed: Sendable {
    public let key: BaselineKey
    /// How many of the findings recorded under the key are gone.
    public let count: Int
  }

  public struct File: Sendable {
    /// As `lint` names it (see `FileReport.path`).
    public let path: String
    /// `path` relative to the working directory: SARIF's artifact URI, the
    /// GitHub annotation's file and the baseline's key.
    public let key: String
    public let report: Report?
    /// Why the file could not be checked.
    public let failure: String?
    /// Enabled findings, in the report's order.
    public let findings: [Finding]
    public let fixed: [Fixed]
  }

  public let files: [File]
  /// An argument that names nothing to check (a directory with no device
  /// tree, one that cannot be listed): reported, never counted as a file.
  public struct UnusablePath: Sendable {
    public let path: String
    /// As a file's `key`.
    public let key: String
    public let reason: String
  }

  public let unusablePaths: [UnusablePath]
  public let policy: LintPolicy
  public let usesBaseline: Bool
  /// The kernel whose parsing rules were applied.
  public let kernel: KernelVersion

  /// Absolute paths below `workingDirectory` become relative keys, so a
  /// baseline works from any checkout location.
  public init(
    _ linted: [FileReport], unusablePaths: [(path: String, reason: String)] = [],
    policy: LintPolicy, baseline: Baseline? = nil, kernel: KernelVersion = .newest,
    workingDirectory: String = "/"
  ) {
    self.unusablePaths = unusablePaths.sorted { TreeFinder.bytewise($0.path, $1.path) }.map {
      UnusablePath(
        path: $0.path, key: Self.key(for: $0.path, workingDirectory: workingDirectory),
        reason: $0.reason)
    }
    self.policy = policy
    self.kernel = kernel
    usesBaseline = baseline != nil
    let ordered = linted.sorted { TreeFinder.bytewise($0.path, $1.path) }
    files = ordered.map { file in
      let key = Self.key(for: file.path, workingDirectory: workingDirectory)
      let diagnostics = file.report.map { policy.apply($0.diagnostics) } ?? []
      guard let baseline else {
        return File(
          path: file.path, key: key, report: file.report, failure: file.failure,
          findings: diagnostics.map { Finding(diagnostic: $0, baselineState: nil) }, fixed: [])
      }
      var seen: [BaselineKey: Int] = [:]
      let findings = diagnostics.map { diagnostic in
        let recorded = Self.key(diagnostic, file: key, report: file.report)
        seen[recorded, default: 0] += 1
        let state: BaselineState =
          seen[recorded, default: 0] <= baseline[recorded] ? .unchanged : .new
        return Finding(diagnostic: diagnostic, baselineState: state)
      }
      // An unreadable file fixed nothing: its findings are unknown.
      let fixed =
        file.report == nil
        ? []
        : baseline.counts.keys.filter { recorded in
          recorded.file == key
            && policy.isEnabled(recorded.code)
            && baseline[recorded] > seen[recorded, default: 0]
        }.sorted().map { Fixed(key: $0, count: baseline[$0] - seen[$0, default: 0]) }
      return File(
        path: file.path, key: key, report: file.report, failure: file.failure, findings: findings,
        fixed: fixed)
    }
  }

  /// The findings that count: all of them, or with a baseline the new ones.
  public var reported: [(file: File, finding: Finding)] {
    files.flatMap { file in
      file.findings.filter { $0.baselineState != .unchanged }.map { (file, $0) }
    }
  }

  public func count(_ severity: Severity) -> Int {
    reported.count { $0.finding.diagnostic.severity == severity }
  }

  public var unreadableCount: Int { files.count { $0.failure != nil } }

  /// Whether every argument gave something to check, and every file was read.
  public var everyInputRead: Bool { unreadableCount == 0 && unusablePaths.isEmpty }
  public var unchangedCount: Int {
    files.reduce(0) { $0 + $1.findings.count { $0.baselineState == .unchanged } }
  }
  public var fixedCount: Int { files.reduce(0) { $0 + $1.fixed.reduce(0) { $0 + $1.count } } }

  /// Reported findings at or above `--fail-on`.
  public var failingCount: Int {
    reported.count { policy.fails($0.finding.diagnostic.severity) }
  }

  /// 2 when an input could not be checked, else 1 when a reported finding is
  /// at or above the fail level, else 0.
  public var exitCode: Int32 {
    if !everyInputRead { return 2 }
    return failingCount > 0 ? 1 : 0
  }

  /// Every current finding, for `--write-baseline`.
  public var baseline: Baseline {
    var counts: [BaselineKey: Int] = [:]
    for file in files {
      for finding in file.findings {
        counts[Self.key(finding.diagnostic, file: file.key, report: file.report), default: 0] += 1
      }
    }
    return Baseline(counts: counts)
  }

  static func key(_ diagnostic: Diagnostic, file: String, report: Report?) -> BaselineKey {
    BaselineKey(
      file: file, path: diagnostic.node.flatMap { report?.nodes.path($0) }, code: diagnostic.code)
  }

  /// `path` with the working directory's prefix and any `./` removed: the
  /// same file gets the same key whether it was named `./a.dtb`, `a.dtb` or
  /// by its absolute path.
  public static func key(for path: String, workingDirectory: String) -> String {
    var key = path
    let base = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
    if key.hasPrefix("/") && key.hasPrefix(base) && base != "/" {
      key.removeFirst(base.count)
    }
    while key.contains("//") { key = key.replacing("//", with: "/") }
    while key.contains("/./") { key = key.replacing("/./", with: "/") }
    while key.hasPrefix("./") && key.count > 2 { key.removeFirst(2) }
    return key
  }
}
