import Foundation

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
enum DTSCompiler {
  static func compile(_ path: String, limits: LoadLimits) throws(LoadError) -> [UInt8] {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
      throw LoadError(file: path, reason: "no such file")
    }
    if let size = attributes[.size] as? Int, size > limits.maximumInputSize {
      throw LoadError(
        file: path,
        reason: "\(size) bytes of source is larger than the \(limits.maximumInputSize)-byte limit")
    }
    guard let dtc = executable(named: "dtc") else {
      throw LoadError(
        file: path,
        reason: "cannot compile DTS: dtc not found on PATH (install device-tree-compiler)")
    }
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("iommu-plan-\(ProcessInfo.processInfo.globallyUniqueString)")
    do {
      try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    } catch {
      throw LoadError(file: path, reason: "cannot create a scratch directory for dtc")
    }
    defer { try? FileManager.default.removeItem(at: scratch) }
    let output = scratch.appendingPathComponent("out.dtb")
    let errors = scratch.appendingPathComponent("dtc.stderr")
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

    let process = Process()
    process.executableURL = dtc
    process.arguments = ["-q", "-f", "-@", "-I", "dts", "-O", "dtb", "-o", output.path, path]
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle(forWritingAtPath: errors.path)
    do {
      try process.run()
    } catch {
      throw LoadError(file: path, reason: "cannot run dtc: \(error.localizedDescription)")
    }
    let deadline = ContinuousClock.now + limits.compileTime
    while process.isRunning {
      if ContinuousClock.now > deadline {
        process.terminate()
        process.waitUntilExit()
        throw LoadError(
          file: path, reason: "dtc did not finish within \(limits.compileTime) (the time limit)")
      }
      Thread.sleep(forTimeInterval: 0.005)
    }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let first = firstLine(of: errors) ?? "no message"
      throw LoadError(
        file: path, reason: "dtc failed (exit \(process.terminationStatus)): \(first)")
    }
    guard let handle = FileHandle(forReadingAtPath: output.path) else {
      throw LoadError(file: path, reason: "dtc wrote no output")
    }
    defer { try? handle.close() }
    return try TreeFile.readBounded(handle, file: path, limit: limits.maximumInputSize)
  }

  /// dtc's first line of complaint, read without reading all of them.
  private static func firstLine(of file: URL) -> String? {
    guard let handle = try? FileHandle(forReadingFrom: file) else { return nil }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 4096)) ?? Data()
    return String(decoding: head, as: UTF8.self).split(separator: "\n").first.map {
      printable(String($0))
    }
  }

  static func executable(named name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
  }
}
