// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

@testable import Renderers

/// A plan consumer as the tests read it: paths and words instead of node ids,
/// so that an assertion names the device, its IOMMUs and its reason as the
/// report's output does.
struct ConsumerView {
  /// One IOMMU instance waited for, by path, and the module it waits on.
  struct Wait: Hashable {
    let iommu: String
    let module: String?
  }

  let consumer: Plan.Consumer
  let device: String
  let property: LinkProperty
  let outcome: Plan.Outcome
  /// The one-line reason the text and JSON outputs give.
  let reason: String
  let waitsFor: [Wait]
  let streamIDs: [UInt32]
}

extension Report {
  /// The consumer with paths and its worded reason.
  func view(_ consumer: Plan.Consumer) -> ConsumerView {
    ConsumerView(
      consumer: consumer, device: nodes.path(consumer.node), property: consumer.property,
      outcome: consumer.outcome, reason: Wording(report: self).reason(consumer),
      waitsFor: consumer.waits.map {
        ConsumerView.Wait(iommu: nodes.path($0.iommu), module: $0.module)
      },
      streamIDs: streamIDs(of: consumer))
  }

  /// Every plan consumer, in the plan's order.
  var consumerViews: [ConsumerView] { plan.consumers.map(view) }

  /// The path of a finding's node; nil for a finding about the whole file.
  func path(of diagnostic: Diagnostic) -> String? {
    diagnostic.node.map { nodes.path($0) }
  }

  func path(of iommu: IOMMU) -> String { nodes.path(iommu.node) }

  func consumerPath(_ link: Link) -> String { nodes.path(link.consumer) }

  func supplierPath(_ link: Link) -> String { nodes.path(link.supplier) }

  /// The IOMMU instances a module provides, by path.
  func provides(_ load: Plan.ModuleLoad) -> [String] { load.provides.map { nodes.path($0) } }

  /// The plan's assumption notes, worded as the text report words them.
  var notes: [String] { plan.assumptions.notes.map(Wording(report: self).note) }
}

extension FileReport {
  /// A report as one entry of a run, named as the report names its input.
  init(_ report: Report) {
    self.init(path: report.input.path, kernel: report.kernel, outcome: .report(report))
  }
}
