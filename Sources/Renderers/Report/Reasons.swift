// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// Reasons by what they depend on: consumers that share a cause and their
/// waits share one line, so a tree of 100,000 masters words it once, and
/// equal lines are one String, which the JSON writer checks for escapes once.
struct Reasons {
  let wording: Wording
  private var known: [Key: String] = [:]
  private var lines: [String: String] = [:]
  private var last: (key: Key, reason: String)?

  /// A consumer's waits are compared by their storage: consumers that wait
  /// for the same things share one array, and hashing its module names for
  /// each of 100,000 consumers would cost more than wording the reason.
  private struct Key: Hashable {
    let cause: Plan.Cause
    let waits: UnsafeRawPointer?
    let count: Int
    let deadline: Plan.Deadline?
  }

  init(_ report: Report) { wording = Wording(report: report) }

  mutating func reason(_ consumer: Plan.Consumer) -> String {
    let storage = consumer.waits.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    let key = Key(
      cause: consumer.cause, waits: storage, count: consumer.waits.count,
      deadline: consumer.deadline)
    // Neighbours nearly always share a reason: compared, not hashed.
    if let last, last.key == key { return last.reason }
    let reason: String
    if let known = known[key] {
      reason = known
    } else {
      let words = wording.reason(consumer)
      reason = lines[words] ?? words
      lines[words] = reason
      known[key] = reason
    }
    last = (key, reason)
    return reason
  }
}
