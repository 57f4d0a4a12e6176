// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread running one closure, joined by its starter.
///
/// Secondary threads get a small stack by default; a deep tree needs more,
/// so each gets 8 MiB, as the main thread has.
final class WorkerThread {
  private let thread: pthread_t

  /// Nil when the system refuses another thread: the caller's own thread
  /// does the work then.
  init?(_ body: @escaping @Sendable () -> Void) {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, 8 << 20)
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let started = pthread_create(
      &thread, &attributes,
      { context in
        guard let context else { return nil }
        let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
        box.body()
        return nil
      }, box.toOpaque())
    guard started == 0 else {
      box.release()
      return nil
    }
    self.thread = thread
  }

  func join() { pthread_join(thread, nil) }

  private final class Box {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
}
