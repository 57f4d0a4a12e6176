// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Names of source files as a user opens them: relative to the working
/// directory when the file is below it (through links resolved, so that a
/// `.dtsi` reached through `scripts/dtc/include-prefixes/arm` is named where
/// it lives, `arch/arm/boot/dts/...`, as a code-scanning service finds it
/// in the checkout), else by its real absolute path, and as cpp named it
/// when it cannot be resolved.
struct SourceFileName {
  private let workingDirectory: String?
  /// The preprocessor's input and the name the user gave it.
  private let input: (file: String, name: String)

  init(input: String, name: String) {
    self.input = (input, name)
    workingDirectory = Self.realPath(".")
  }

  func callAsFunction(_ file: String) -> String {
    if file == input.file { return input.name == "-" ? "-" : resolved(input.name) }
    return resolved(file)
  }

  private func resolved(_ file: String) -> String {
    guard let real = Self.realPath(file) else { return file }
    guard let workingDirectory else { return real }
    if workingDirectory == "/" { return String(real.dropFirst()) }
    guard real.hasPrefix(workingDirectory + "/") else { return real }
    return String(real.dropFirst(workingDirectory.count + 1))
  }

  private static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
