import IOMMUPlan

/// Reasons by what they depend on: consumers that share a cause and their
/// waits share one line, so a tree of 100,000 masters words it once.
struct Reasons {
  let wording: Wording
  private var known: [Key: String] = [:]

  private struct Key: Hashable {
    let cause: Plan.Cause
    let waits: [Plan.Wait]
    let deadline: Plan.Deadline?
  }

  init(_ report: Report) { wording = Wording(report: report) }

  private var last: (key: Key, reason: String)?

  mutating func reason(_ consumer: Plan.Consumer) -> String {
    let key = Key(cause: consumer.cause, waits: consumer.waits, deadline: consumer.deadline)
    // Neighbours nearly always share a reason: compared, not hashed.
    if let last, last.key == key { return last.reason }
    let reason = known[key] ?? wording.reason(consumer)
    known[key] = reason
    last = (key, reason)
    return reason
  }
}
