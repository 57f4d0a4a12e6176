// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import FoundationEssentials

/// The symbols of a kernel `.config` (or `/proc/config.gz`) that the planner
/// reads: `CONFIG_X=y|m|value`, and `# CONFIG_X is not set`.
public struct KernelConfig: Sendable {
  /// Symbol without `CONFIG_` -> value (`y`, `m`, a number, a string).
  public let values: [String: String]

  public init(text: String) {
    var values: [String: String] = [:]
    for line in text.split(separator: "\n") {
      if line.hasPrefix("CONFIG_"), let equals = line.firstIndex(of: "=") {
        let symbol = line[line.index(line.startIndex, offsetBy: 7)..<equals]
        var value = line[line.index(after: equals)...]
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
          value = value.dropFirst().dropLast()
        }
        values[String(symbol)] = String(value)
      } else if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
        let symbol = line.dropFirst(9).dropLast(11)
        values[String(symbol)] = "n"
      }
    }
    self.values = values
  }

  /// Reads a plain or gzip-compressed config (gzip through the system's
  /// `gzip -dc`, which every Debian system has).
  public static func load(path: String) throws(PlanInputError) -> KernelConfig {
    guard var data = FileManager.default.contents(atPath: path) else {
      throw PlanInputError(file: path, reason: "cannot read the kernel config")
    }
    if data.starts(with: [0x1f, 0x8b]) {
      data = try gunzip(path)
    }
    let text = String(decoding: data, as: UTF8.self)
    let config = KernelConfig(text: text)
    guard !config.values.isEmpty else {
      throw PlanInputError(file: path, reason: "no CONFIG_ lines: not a kernel .config")
    }
    return config
  }

  /// `y` -> builtin, `m` -> module, `n` or a missing symbol -> absent.
  public func mode(of symbol: String) -> DriverMode? {
    switch values[symbol] {
    case "y": .builtin
    case "m": .module
    case "n": .absent
    case nil: nil
    default: nil
    }
  }

  public func isEnabled(_ symbol: String) -> Bool? {
    values[symbol].map { $0 == "y" }
  }

  public func integer(_ symbol: String) -> Int? { values[symbol].flatMap { Int($0) } }

  /// Decompressed by the system's `gzip -dc`, which every Debian system has.
  private static func gunzip(_ path: String) throws(PlanInputError) -> Data {
    guard let gzip = Subprocess.executable(named: "gzip"),
      let scratch = Subprocess.scratchDirectory()
    else {
      throw PlanInputError(file: path, reason: "cannot run gzip to read the compressed config")
    }
    let output = scratch + "/config"
    defer {
      try? FileManager.default.removeItem(atPath: scratch)
    }
    let status: Int32
    do throws(SubprocessError) {
      status = try Subprocess.run(gzip, [gzip, "-dc", path], output: output, limit: .seconds(60))
    } catch {
      throw PlanInputError(file: path, reason: "cannot run gzip to read the compressed config")
    }
    guard status == 0, let data = FileManager.default.contents(atPath: output) else {
      throw PlanInputError(file: path, reason: "gzip cannot decompress it")
    }
    return data
  }
}

/// A planner input (config, modules directory, modules.load list) that could
/// not be used: one line naming the file.
public struct PlanInputError: Error, Hashable, Sendable, CustomStringConvertible {
  public let file: String
  public let reason: String
  public init(file: String, reason: String) {
    self.file = file
    self.reason = reason
  }
  public var description: String { "\(file): \(reason)" }
}
