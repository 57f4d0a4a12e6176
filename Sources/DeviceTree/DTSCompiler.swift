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
    guard let dtc = executable(named: "dtc") else {
      throw LoadError(
        file: path,
        reason: "cannot compile DTS: dtc not found on PATH (install device-tree-compiler)")
    }
    guard let scratch = makeScratchDirectory() else {
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
    let exit = try run(dtc, arguments, errors: errors, file: path, limit: limits.compileTime)
    guard exit == 0 else {
      let first = firstLine(of: errors) ?? "no message"
      throw LoadError(file: path, reason: "dtc failed (exit \(exit)): \(first)")
    }
    let descriptor = open(output, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LoadError(file: path, reason: "dtc wrote no output") }
    defer { close(descriptor) }
    return try TreeFile.readBounded(descriptor, file: path, limit: limits.maximumInputSize)
  }

  /// Runs dtc with stdin and stdout on /dev/null and stderr into `errors`,
  /// and returns its exit status, or the signal that ended it. Killed once
  /// it has run for `limit`.
  private static func run(
    _ program: String, _ arguments: [String], errors: String, file: String, limit: Duration
  ) throws(LoadError) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // dtc starts with default signal handling and nothing blocked, whatever
    // this process ignores (SIGPIPE, for one).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var signals = sigset_t()
    sigfillset(&signals)
    posix_spawnattr_setsigdefault(&attributes, &signals)
    sigemptyset(&signals)
    posix_spawnattr_setsigmask(&attributes, &signals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let argv = arguments.map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let failure = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
    guard failure == 0 else {
      throw LoadError(file: file, reason: "cannot run dtc: \(String(cString: strerror(failure)))")
    }
    return try wait(for: pid, file: file, limit: limit)
  }

  /// Polls every 5 ms until dtc exits or `limit` has passed.
  private static func wait(for pid: pid_t, file: String, limit: Duration) throws(LoadError)
    -> Int32
  {
    let deadline = ContinuousClock.now + limit
    var status: Int32 = 0
    while true {
      let reaped = waitpid(pid, &status, WNOHANG)
      if reaped == pid { break }
      if reaped < 0 && errno != EINTR {
        throw LoadError(file: file, reason: "cannot run dtc: \(String(cString: strerror(errno)))")
      }
      if ContinuousClock.now > deadline {
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        throw LoadError(
          file: file, reason: "dtc did not finish within \(limit) (the time limit)")
      }
      usleep(5000)
    }
    // WIFEXITED and WEXITSTATUS, WTERMSIG otherwise (Swift imports no
    // macro): a signal is reported as its number, as it always was.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
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

  /// A fresh private directory under $TMPDIR (or /tmp), or nil.
  private static func makeScratchDirectory() -> String? {
    let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    var template = Array(((base ?? "/tmp") + "/iommu-plan-XXXXXX").utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
    }
  }

  /// The first `name` on PATH that access(2) says is executable, as a shell
  /// would find it (without a PATH, the usual /usr/bin:/bin).
  static func executable(named name: String) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = String(directory) + (directory.hasSuffix("/") ? "" : "/") + name
      if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
  }
}
