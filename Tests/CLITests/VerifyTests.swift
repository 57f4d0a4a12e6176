// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// `verify` on captures laid out as `iommu-plan-capture` writes them, made
/// here by hand, links kept as links.
@Suite struct VerifyTests {
  private let cli: CLITests
  private var scratch: URL { cli.scratch }

  init() throws { cli = try CLITests() }

  static let tree = """
    /dts-v1/;
    / {
    \t#address-cells = <1>;
    \t#size-cells = <1>;
    \tsmmu: iommu@9050000 {
    \t\tcompatible = "arm,smmu-v3";
    \t\treg = <0x9050000 0x20000>;
    \t\t#iommu-cells = <1>;
    \t};
    \tdma@20000 {
    \t\tcompatible = "vendor,dma";
    \t\treg = <0x20000 0x100>;
    \t\tiommus = <&smmu 0x4000>;
    \t};
    \tpcie@10000 {
    \t\tcompatible = "pci-host-ecam-generic";
    \t\tdevice_type = "pci";
    \t\treg = <0x10000 0x1000>;
    \t\t#address-cells = <3>;
    \t\t#size-cells = <2>;
    \t\tiommu-map = <0x0 &smmu 0x0 0x100>;
    \t\tiommu-map-mask = <0xfff8>;
    \t};
    };

    """

  /// A capture of a boot of `tree`: the SMMU bound (built in), the DMA
  /// controller translated, and two functions of one PCI slot, which the
  /// mask folds onto one stream ID: the first holds it.
  func capture(
    groups: [String: Int] = ["0000:00:02.0": 1, "dma": 0], modules: String = "virtio_net 1 0\n"
  ) throws -> URL {
    let root = scratch.appendingPathComponent("capture")
    let manager = FileManager.default
    func file(_ path: String, _ data: Data) throws {
      let url = root.appendingPathComponent(path)
      try manager.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try data.write(to: url)
    }
    func link(_ path: String, _ target: String) throws {
      let url = root.appendingPathComponent(path)
      try manager.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try manager.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }
    try file("sys/firmware/fdt", Data(try Fixtures.blob(source: Self.tree)))
    try file("proc/sys/kernel/osrelease", Data("6.12.118+deb12-arm64\n".utf8))
    try file("proc/cmdline", Data("console=ttyAMA0 deferred_probe_timeout=5\n".utf8))
    try file("proc/modules", Data(modules.utf8))
    try file("sys/kernel/debug/devices_deferred", Data())
    for (name, node, driver) in [
      ("9050000.iommu", "iommu@9050000", "arm-smmu-v3"), ("20000.dma", "dma@20000", "vendor-dma"),
      ("10000.pcie", "pcie@10000", "pci-host-generic"),
    ] {
      let directory = "sys/devices/platform/\(name)"
      try link("sys/bus/platform/devices/\(name)", "../../../devices/platform/\(name)")
      try link("\(directory)/of_node", "../../../firmware/devicetree/base/\(node)")
      try link("\(directory)/driver", "../../../bus/platform/drivers/\(driver)")
      try file("\(directory)/uevent", Data("OF_NAME=\(node)\n".utf8))
      if name == "20000.dma", let group = groups["dma"] {
        try link("\(directory)/iommu_group", "../../../kernel/iommu_groups/\(group)")
      }
    }
    for function in ["0000:00:02.0", "0000:00:02.1"] {
      let directory = "sys/devices/platform/10000.pcie/pci0000:00/\(function)"
      try link("sys/bus/pci/devices/\(function)", "../../../\(directory.dropFirst(4))")
      try link("\(directory)/driver", "../../../../../bus/pci/drivers/virtio-pci")
      try file("\(directory)/vendor", Data("0x1af4\n".utf8))
      if let group = groups[function] {
        try link("\(directory)/iommu_group", "../../../../../kernel/iommu_groups/\(group)")
      }
    }
    for group in Set(groups.values) {
      try file("sys/kernel/iommu_groups/\(group)/type", Data("DMA\n".utf8))
    }
    return root
  }

  @Test func aBootAsPlannedIsAllAsPredicted() throws {
    let root = try capture()
    let result = try cli.run(["verify", "--root", root.path])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(
      lines.contains {
        $0.contains("as predicted") && $0.contains("20000.dma")
          && $0.contains("translated, in IOMMU group 0 (DMA)")
      }, "\(result.stdout)")
    #expect(
      lines.contains {
        $0.contains("0000:00:02.1") && $0.contains("stream ID 0x10 went to 0000:00:02.0")
      }, "\(result.stdout)")
    #expect(
      result.stdout.hasSuffix(
        "checked 3 devices: 3 as predicted, 0 still deferred, 0 mismatches; 2 others with no IOMMU, as predicted\n"
      ))
  }

  @Test func aDeviceWithoutItsGroupIsAMismatchAndBothFunctionsWithOneIsToo() throws {
    let root = try capture(groups: ["0000:00:02.0": 1, "0000:00:02.1": 2])
    let result = try cli.run(["verify", "--root", root.path, "--format", "json"])
    #expect(result.status == 1)
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let devices = try #require(document["devices"] as? [[String: Any]])
    let verdicts = Dictionary(
      uniqueKeysWithValues: devices.map {
        ($0["device"] as? String ?? "", $0["verdict"] as? String ?? "")
      })
    #expect(verdicts["20000.dma"] == "mismatch")
    #expect(verdicts["0000:00:02.0"] == "mismatch")
    #expect(verdicts["0000:00:02.1"] == "mismatch")
    #expect((document["summary"] as? [String: Int])?["mismatch"] == 3)
  }

  @Test func aBuildThatDisagreesWithTheCaptureNamesTheCause() throws {
    // The SMMU driver loaded as a module, and the consumers bound without it.
    let root = try capture(groups: [:], modules: "arm_smmu_v3 1 0\n")
    let asModule = try cli.run(["verify", "--root", root.path])
    #expect(asModule.status == 0, "\(asModule.stdout)")
    #expect(asModule.stdout.contains("arm_smmu_v3 loaded after the deferred-probe timeout"))
    let told = try cli.run(["verify", "--root", root.path, "--builtin", "arm_smmu_v3"])
    #expect(told.status == 1)
    #expect(
      told.stdout.contains(
        "arm_smmu_v3 is a module here (it is in proc/modules), not built in as planned"),
      "\(told.stdout)")
  }

  @Test func anUnusableCaptureExitsTwoWithOneLine() throws {
    let empty = scratch.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let none = try cli.run(["verify", "--root", empty.path])
    #expect(none.status == 2)
    #expect(none.stderr.contains("no sys/firmware/fdt: not a capture of a booted system"))

    let root = try capture()
    try Data(repeating: 0x41, count: 2 << 20).write(
      to: root.appendingPathComponent("proc/cmdline"))
    let huge = try cli.run(["verify", "--root", root.path])
    #expect(huge.status == 2)
    #expect(huge.stderr.contains("proc/cmdline: larger than"))
  }

  @Test func linksOutOfTheCaptureAndLoopsAreNotFollowed() throws {
    let root = try capture()
    let directory = root.appendingPathComponent("sys/devices/platform/20000.dma")
    try FileManager.default.removeItem(at: directory.appendingPathComponent("of_node"))
    try FileManager.default.createSymbolicLink(
      atPath: directory.appendingPathComponent("of_node").path,
      withDestinationPath: "../../../../../../../../../../etc")
    let loop = root.appendingPathComponent("sys/bus/platform/devices/loop")
    try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: "loop")
    let result = try cli.run(["verify", "--root", root.path])
    // The DMA controller is no longer matched to its node: with a group and
    // no node, it is reported, never read from outside the capture.
    #expect(result.status == 1)
    #expect(result.stdout.contains("20000.dma (no node): predicted no IOMMU"), "\(result.stdout)")
  }

  @Test(.enabled(if: Fixtures.hasSARIFTools))
  func sarifAndGitHubListWhatIsNotAsPredicted() throws {
    let root = try capture(groups: [:], modules: "arm_smmu_v3 1 0\n")
    let sarif = scratch.appendingPathComponent("verify.sarif")
    let result = try cli.run([
      "verify", "--root", root.path, "--builtin", "arm_smmu_v3", "--format", "sarif",
    ])
    #expect(result.status == 1)
    try Data(result.stdout.utf8).write(to: sarif)
    let check = try Fixtures.run(Fixtures.python, [SchemaCheck.script, sarif.path])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(result.stdout.contains(#""ruleId": "mismatch""#))
    let github = try cli.run([
      "verify", "--root", root.path, "--builtin", "arm_smmu_v3", "--format", "github",
    ])
    #expect(
      github.stdout.hasPrefix(
        "::error file=\(root.path)/sys/firmware/fdt,title=iommu-plan verify [mismatch]::"))
  }
}
