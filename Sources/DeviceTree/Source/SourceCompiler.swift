// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Compiles device-tree source the way kbuild does: gcc's C preprocessor,
/// then dtc.
///
/// The preprocessor runs as `scripts/Makefile.lib` runs it (`cpp -nostdinc
/// -undef -D__DTS__ -x assembler-with-cpp`), with the file's directory, the
/// kernel tree's `scripts/dtc/include-prefixes` and `include` on the include
/// path. The kernel tree is the nearest directory above the file that holds
/// `scripts/dtc/include-prefixes`; a board outside any kernel tree gets only
/// its own directory and the user's `-I`. Every upstream board `#include`s
/// its SoC's `.dtsi` and the `dt-bindings` headers, so dtc alone cannot read
/// one.
///
/// dtc runs twice on the preprocessed text: once to a blob, with `-@` so
/// that labels survive as `/__symbols__` and reports name nodes as the
/// source does, and once to annotated source (`-O dts -T -T`), which gives
/// the file, line and column of every node and property by following cpp's
/// line markers (`SourceMap`). `-q -f` keeps dtc's own checks from blocking
/// the report: a duplicated phandle or a short `iommus` is exactly what
/// iommu-plan is there to explain. `-b 0` and `-i DIR` are kbuild's.
///
/// Each program is held to the time limit (dtc compares property names
/// pairwise, so a hostile source can keep it busy for hours; a real board
/// takes milliseconds) and the source to the size limit. Files and
/// processes go through libc, not Foundation.
enum SourceCompiler {
  struct Output {
    var blob: [UInt8]
    var positions: SourceMap.Text?
  }

  /// Compiles `path`, which is named `name` in errors and positions. For
  /// standard input, `path` is a scratch copy, `name` is `-`, and `base`
  /// (the working directory) stands in for the file's own directory.
  static func compile(
    _ path: String, name: String, base: String? = nil, options: SourceOptions,
    limits: LoadLimits
  ) throws(LoadError) -> Output {
    var status = stat()
    guard stat(path, &status) == 0 else { throw LoadError(file: name, reason: "no such file") }
    if Int(status.st_size) > limits.maximumInputSize {
      throw LoadError(
        file: name,
        reason: "\(status.st_size) bytes of source is larger than the "
          + "\(limits.maximumInputSize)-byte limit")
    }
    guard let cpp = Subprocess.executable(named: "cpp") else {
      throw LoadError(
        file: name,
        reason: "cannot preprocess device-tree source: cpp not found on PATH (install cpp)")
    }
    guard let dtc = Subprocess.executable(named: "dtc") else {
      throw LoadError(
        file: name,
        reason: "cannot compile device-tree source: dtc not found on PATH "
          + "(install device-tree-compiler)")
    }
    guard let scratch = Subprocess.scratchDirectory() else {
      throw LoadError(file: name, reason: "cannot create a scratch directory")
    }
    let preprocessed = scratch + "/pre.dts"
    let blob = scratch + "/out.dtb"
    let annotated = scratch + "/out.dts"
    let errors = scratch + "/stderr"
    defer {
      for file in [preprocessed, blob, annotated, errors] { unlink(file) }
      rmdir(scratch)
    }
    let directory = base ?? Self.directory(of: path)
    var includes = options.includeDirectories + [directory]
    if let tree = KernelTree.root(above: directory) {
      includes += [tree + "/scripts/dtc/include-prefixes", tree + "/include"]
    }
    let cppArguments =
      [cpp, "-nostdinc"] + includes.flatMap { ["-I", $0] }
      + ["-undef", "-D__DTS__"] + options.defines.flatMap { ["-D", $0] }
      + ["-x", "assembler-with-cpp", "-o", preprocessed, path]
    try run(cppArguments, tool: "cpp", name: name, errors: errors, limits: limits)
    let dtcArguments = [dtc, "-q", "-f", "-@", "-b", "0", "-i", directory, "-I", "dts"]
    try run(
      dtcArguments + ["-O", "dtb", "-o", blob, preprocessed], tool: "dtc", name: name,
      errors: errors, limits: limits)
    var output = Output(blob: try readOutput(blob, name: name, limit: limits.maximumInputSize))
    // The annotated text is several times the blob; past that bound the
    // report goes without positions rather than without a tree.
    if (try? run(
      dtcArguments + ["-O", "dts", "-T", "-T", "-o", annotated, preprocessed], tool: "dtc",
      name: name, errors: errors, limits: limits)) != nil,
      let text = try? readOutput(annotated, name: name, limit: 8 * limits.maximumInputSize)
    {
      output.positions = SourceMap.Text(bytes: text, scratchFile: path, name: name)
    }
    return output
  }

  private static func run(
    _ arguments: [String], tool: String, name: String, errors: String, limits: LoadLimits
  ) throws(LoadError) {
    let exit: Int32
    do throws(SubprocessError) {
      exit = try Subprocess.run(arguments[0], arguments, errors: errors, limit: limits.compileTime)
    } catch {
      switch error {
      case .notStarted(let reason):
        throw LoadError(file: name, reason: "cannot run \(tool): \(reason)")
      case .timedOut:
        throw LoadError(
          file: name, reason: "\(tool) did not finish within \(limits.compileTime) (the time limit)"
        )
      }
    }
    guard exit == 0 else {
      let first = firstError(in: errors) ?? "no message"
      throw LoadError(file: name, reason: "\(tool) failed (exit \(exit)): \(first)")
    }
  }

  private static func readOutput(_ file: String, name: String, limit: Int) throws(LoadError)
    -> [UInt8]
  {
    let descriptor = open(file, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LoadError(file: name, reason: "dtc wrote no output") }
    defer { close(descriptor) }
    return try TreeFile.readBounded(descriptor, file: name, limit: limit, stopAtBlobEnd: true)
  }

  /// The directory part of `path`, as cpp and dtc are to be given it.
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The first line that says what failed: cpp leads with `In file included
  /// from` lines and dtc may warn first, so the first line naming an error
  /// wins, else the first line.
  private static func firstError(in file: String) -> String? {
    let descriptor = open(file, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var head = [UInt8](repeating: 0, count: 16384)
    var count = 0
    while count < head.count {
      let got = head.withUnsafeMutableBytes { buffer in
        read(descriptor, buffer.baseAddress.map { $0 + count }, buffer.count - count)
      }
      if got < 0 && errno == EINTR { continue }
      if got <= 0 { break }
      count += got
    }
    let lines = String(decoding: head[..<count], as: UTF8.self).split(separator: "\n")
    let chosen =
      lines.first { $0.contains("error:") || $0.hasPrefix("Error:") || $0.hasPrefix("ERROR") }
      ?? lines.first
    return chosen.map { printable(String($0)) }
  }
}

/// A kernel source tree, found from a board inside it.
enum KernelTree {
  /// The nearest directory at or above `directory` (through `..`, as the
  /// preprocessor will resolve it) that holds `scripts/dtc/include-prefixes`.
  /// Relative in, relative out, so that cpp's line markers name files
  /// relative to the working directory as the user named the board.
  static func root(above directory: String) -> String? {
    var real = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard realpath(directory, &real) != nil else { return nil }
    var depth = 0
    var candidate = String(decoding: real.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
    var spelled = directory
    while true {
      var status = stat()
      if stat(candidate + "/scripts/dtc/include-prefixes", &status) == 0,
        status.st_mode & S_IFMT == S_IFDIR
      {
        return spelled
      }
      guard candidate != "/", depth < 64 else { return nil }
      candidate = SourceCompiler.directory(of: candidate)
      spelled = depth == 0 && directory == "." ? ".." : spelled + "/.."
      depth += 1
    }
  }
}
