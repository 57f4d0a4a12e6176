// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Compiles device-tree source with the system's `dtc`.
///
/// `-@` keeps labels (as `/__symbols__`), so reports name nodes the way the
/// source does. `-q -f` keeps dtc's own semantic checks from blocking the
/// report: a duplicated phandle or a short `iommus` is exactly what iommu-plan
/// is there to explain. Syntax errors still fail, with dtc's first message.
///
/// The source is held to the input size limit, and dtc to a time limit: dtc
/// compares property names pairwise, so a hostile source can keep it busy
/// for hours, while a real one compiles in well under a second.
///
/// Files and processes go through libc, not Foundation, whose full module
/// (with ICU) would otherwise be linked into every program that reads a tree.
enum DTSCompiler {
  static func compile(_ path: String, limits: LoadLimits) throws(LoadError) -> [UInt8] {
    // lstat, as this has always measured the source: a link counts as itself,
    // and a dangling one is left for dtc to name.
    var status = stat()
    guard lstat(path, &status) == 0 else { throw LoadError(file: path, reason: "no such file") }
    if status.st_size > limits.maximumInputSize {
      throw LoadError(
        file: path,
        reason: "\(status.st_size) bytes of source is larger than the "
          + "\(limits.maximumInputSize)-byte limit")
    }
    guard let dtc = Subprocess.executable(named: "dtc") else {
      throw LoadError(
        file: path,
        reason: "cannot compile DTS: dtc not found on PATH (install device-tree-compiler)")
    }
    guard let scratch = Subprocess.scratchDirectory() else {
      throw LoadError(file: path, reason: "cannot create a scratch directory for dtc")
    }
    let output = scratch + "/out.dtb"
    let errors = scratch + "/dtc.stderr"
    defer {
      unlink(output)
      unlink(errors)
      rmdir(scratch)
    }
    let arguments = [dtc, "-q", "-f", "-@", "-I", "dts", "-O", "dtb", "-o", output, path]
    let exit: Int32
    do throws(SubprocessError) {
      exit = try Subprocess.run(dtc, arguments, errors: errors, limit: limits.compileTime)
    } catch {
      switch error {
      case .notStarted(let reason):
        throw LoadError(file: path, reason: "cannot run dtc: \(reason)")
      case .timedOut:
        throw LoadError(
          file: path, reason: "dtc did not finish within \(limits.compileTime) (the time limit)")
      }
    }
    guard exit == 0 else {
      let first = firstLine(of: errors) ?? "no message"
      throw LoadError(file: path, reason: "dtc failed (exit \(exit)): \(first)")
    }
    let descriptor = open(output, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LoadError(file: path, reason: "dtc wrote no output") }
    defer { close(descriptor) }
    return try TreeFile.readBounded(descriptor, file: path, limit: limits.maximumInputSize)
  }

  /// dtc's first line of complaint, read without reading all of them.
  private static func firstLine(of file: String) -> String? {
    let descriptor = open(file, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var head = [UInt8](repeating: 0, count: 4096)
    var count = 0
    while count < head.count {
      let got = head.withUnsafeMutableBytes { buffer in
        read(descriptor, buffer.baseAddress.map { $0 + count }, buffer.count - count)
      }
      if got < 0 && errno == EINTR { continue }
      if got <= 0 { break }
      count += got
    }
    return String(decoding: head[..<count], as: UTF8.self).split(separator: "\n").first.map {
      printable(String($0))
    }
  }
}
