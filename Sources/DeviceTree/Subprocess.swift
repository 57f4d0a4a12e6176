// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a helper program gave no exit status.
public enum SubprocessError: Error, Hashable, Sendable {
  /// It could not be started (or waited for): the system's reason.
  case notStarted(String)
  /// It ran past its time limit and was killed.
  case timedOut
}

/// Helper programs (dtc, gzip) run through libc's posix_spawn, not
/// Foundation, whose full module (with ICU) would otherwise be linked into
/// every program that reads a tree.
public enum Subprocess {
  /// Runs `program` with stdin on /dev/null and stdout and stderr into the
  /// named files (or /dev/null), and returns its exit status, or the signal
  /// that ended it. Killed once it has run for `limit`.
  public static func run(
    _ program: String, _ arguments: [String], output: String? = nil, errors: String? = nil,
    limit: Duration
  ) throws(SubprocessError) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let write = O_WRONLY | O_CREAT | O_TRUNC
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", write, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errors ?? "/dev/null", write, 0o600)
    // The program starts with default signal handling and nothing blocked,
    // whatever this process ignores (SIGPIPE, for one).
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
    guard failure == 0 else { throw .notStarted(String(cString: strerror(failure))) }
    return try wait(for: pid, limit: limit)
  }

  /// Polls until the program exits or `limit` has passed: first every
  /// 50 µs, doubling to every 5 ms, as cpp and dtc finish a board in a few
  /// milliseconds and a fixed 5 ms poll would add half that to each run.
  private static func wait(for pid: pid_t, limit: Duration) throws(SubprocessError) -> Int32 {
    let deadline = ContinuousClock.now + limit
    var status: Int32 = 0
    var pause: UInt32 = 50
    while true {
      let reaped = waitpid(pid, &status, WNOHANG)
      if reaped == pid { break }
      if reaped < 0 && errno != EINTR { throw .notStarted(String(cString: strerror(errno))) }
      if ContinuousClock.now > deadline {
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        throw .timedOut
      }
      usleep(pause)
      pause = min(pause * 2, 5000)
    }
    // WIFEXITED and WEXITSTATUS, WTERMSIG otherwise (Swift imports no
    // macro): a signal is reported as its number.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
  }

  /// A fresh private directory under $TMPDIR (or /tmp), or nil.
  public static func scratchDirectory() -> String? {
    let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    var template = Array(((base ?? "/tmp") + "/iommu-plan-XXXXXX").utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
    }
  }

  /// The first `name` on PATH that access(2) says is executable, as a shell
  /// would find it (without a PATH, the usual /usr/bin:/bin).
  public static func executable(named name: String) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = String(directory) + (directory.hasSuffix("/") ? "" : "/") + name
      if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
  }
}
