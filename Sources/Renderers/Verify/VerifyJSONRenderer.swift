// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// `verify --format json`:
///
///     { "schema_version": 1, "root": "capture", "release": "6.12.118+deb12-arm64",
///       "kernel_version": "6.12", "modules_loaded": ["virtio_iommu", ...] | null,
///       "devices": [ { "device": "0000:00:02.0", "bus": "pci", "node": "/pcie@10000000",
///         "rid": 16, "prediction": "translated", "waits_for": [], "verdict": "as_predicted",
///         "group": 1 | null, "group_type": "DMA" | null, "driver": "virtio-pci" | null,
///         "deferred": null | "reason", "detail": "..." } ],
///       "others_as_predicted": 12, "not_checked": ["proc/config.gz"],
///       "summary": { "as_predicted": 3, "still_deferred": 0, "mismatch": 0 } }
public enum VerifyJSONRenderer {
  public static let identifier = "json"

  public static func render(
    _ verification: Verification, _ report: Report, _ capture: Capture,
    to output: inout TextOutput
  ) {
    JSONWriter.write(to: &output) { json in
      json.beginObject()
      json.key("schema_version")
      json.number(JSONRenderer.schemaVersion)
      json.key("root")
      json.string(capture.root)
      json.key("release")
      json.string(capture.release)
      json.key("kernel_version")
      json.string(report.kernel.description)
      if let modules = capture.modules {
        json.strings("modules_loaded", modules.sorted())
      } else {
        json.key("modules_loaded")
        json.null()
      }
      json.key("devices")
      json.beginArray()
      for verdict in verification.verdicts {
        let device = verdict.device
        json.beginObject()
        json.key("device")
        json.string(device.name)
        json.key("bus")
        json.string(device.bus.rawValue)
        json.key("node")
        if let node = verdict.node { json.path(node, report.nodes) } else { json.null() }
        json.key("rid")
        json.number(device.rid)
        json.key("prediction")
        json.string(verdict.prediction.rawValue)
        json.strings("waits_for", verdict.modules)
        json.key("verdict")
        json.string(verdict.kind.rawValue)
        json.key("group")
        if let group = device.group { json.number(group) } else { json.null() }
        json.key("group_type")
        json.string(device.group.flatMap { capture.groupTypes[$0] })
        json.key("driver")
        json.string(device.driver)
        json.key("deferred")
        json.string(capture.deferred?[device.name])
        json.key("detail")
        json.string(verdict.detail)
        json.endObject()
      }
      json.endArray()
      json.key("others_as_predicted")
      json.number(verification.quietDevices)
      json.strings("not_checked", verification.unchecked)
      json.key("summary")
      json.beginObject()
      for kind in [Verification.Kind.asPredicted, .stillDeferred, .mismatch] {
        json.key(data: kind.rawValue)
        json.number(verification.verdicts.count { $0.kind == kind })
      }
      json.endObject()
      json.endObject()
    }
  }
}
