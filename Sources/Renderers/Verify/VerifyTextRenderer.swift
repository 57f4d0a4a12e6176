// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `verify`'s text: the build the capture shows, one line per device the
/// plan or the kernel connects to an IOMMU, what could not be checked, and
/// a summary.
public enum VerifyTextRenderer {
  public static let identifier = "text"

  public static func render(
    _ verification: Verification, _ report: Report, _ capture: Capture,
    to output: inout TextOutput
  ) {
    output.write(printable: capture.root)
    output.write(": ")
    output.write(printable: capture.release ?? "kernel release unknown")
    output.write(", \(report.kernel) rules")
    let plan = report.plan.assumptions
    output.write(
      ", deferred_probe_timeout \(plan.deferredProbeTimeout < 0 ? "forever" : "\(plan.deferredProbeTimeout) s")"
    )
    if let modules = capture.modules {
      output.write(", \(counted(modules.count, "module")) loaded")
    }
    output.write("\n")
    for verdict in verification.verdicts {
      output.write("  ")
      output.write(label(verdict.kind))
      output.write(" ")
      output.write(printable: device(verdict, report))
      output.write(": ")
      output.write(printable: verdict.detail)
      output.write("\n")
    }
    for missing in verification.unchecked {
      output.write("  not checked: ")
      output.write(printable: missing)
      output.write("\n")
    }
    output.write(summary(verification) + "\n")
  }

  static func label(_ kind: Verification.Kind) -> String {
    switch kind {
    case .asPredicted: "as predicted  "
    case .stillDeferred: "still deferred"
    case .mismatch: "MISMATCH      "
    }
  }

  /// `0000:01:00.0 (/pcie@10000000, requester ID 0x100)` or
  /// `1d84000.ufshc (/soc@0/ufshc@1d84000)`.
  public static func device(_ verdict: Verification.Verdict, _ report: Report) -> String {
    let device = verdict.device
    if let rid = device.rid {
      let bus = verdict.node.map { report.nodes.path($0) } ?? device.host ?? "no host bridge"
      return "\(device.name) (\(bus), requester ID \(hex(rid)))"
    }
    return "\(device.name) (\(device.ofNode ?? "no node"))"
  }

  public static func summary(_ verification: Verification) -> String {
    let verdicts = verification.verdicts
    return
      "checked \(counted(verdicts.count, "device")): "
      + "\(verdicts.count { $0.kind == .asPredicted }) as predicted, "
      + "\(verdicts.count { $0.kind == .stillDeferred }) still deferred, "
      + "\(verdicts.count { $0.kind == .mismatch }) "
      + "\(verdicts.count { $0.kind == .mismatch } == 1 ? "mismatch" : "mismatches"); "
      + "\(verification.quietDevices) others with no IOMMU, as predicted"
  }
}
