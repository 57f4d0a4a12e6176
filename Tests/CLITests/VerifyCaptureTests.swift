// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// `verify` on the captures of real boots of Debian's 6.12 arm64 kernel
/// (Tests/E2E/Captures, whose README says what each boot was).
@Suite struct VerifyCaptureTests {
  private let cli: CLITests
  private var scratch: URL { cli.scratch }

  init() throws { cli = try CLITests() }

  func extracted(_ name: String) throws -> String {
    let archive = Fixtures.root.appendingPathComponent("Tests/E2E/Captures/\(name).tar.gz")
    let directory = scratch.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let tar = try Fixtures.run("tar", ["-xzmf", archive.path, "-C", directory.path])
    #expect(tar.status == 0, "\(tar.stderr)")
    return directory.path
  }

  func lines(_ output: String) -> [String] { output.split(separator: "\n").map(String.init) }

  @Test(arguments: [
    "smmuv3", "smmuv3-hole", "smmuv3-mask-fff8", "smmuv3-mask-0", "smmuv3-disabled",
    "viommu-late", "viommu-pending", "viommu-loaded",
  ])
  func everyDeviceOfEveryBootIsAsPredicted(_ name: String) throws {
    let result = try cli.run(["verify", "--root", try extracted(name)])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains(", 0 mismatches;"))
  }

  @Test func withMaskZeroOneFunctionHoldsTheStreamIDAndTheOthersAreRefused() throws {
    let result = try cli.run([
      "verify", "--root", try extracted("smmuv3-mask-0"), "--format", "json",
    ])
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let devices = try #require(document["devices"] as? [[String: Any]])
    let pci = devices.filter { $0["bus"] as? String == "pci" }
    let translated = pci.filter { $0["prediction"] as? String == "translated" }
    #expect(translated.map { $0["device"] as? String } == ["0000:00:03.0"])
    #expect(translated.first?["group"] as? Int != nil)
    #expect(pci.filter { $0["prediction"] as? String == "no_iommu" }.count == pci.count - 1)
  }

  @Test func aHoleAndADisabledFirstMatchGetNoIOMMU() throws {
    let result = try cli.run(["verify", "--root", try extracted("smmuv3-hole")])
    let output = lines(result.stdout)
    #expect(
      output.contains {
        $0.contains("0000:00:02.0")
          && $0.contains("requester ID 0x10 is in a hole of the iommu-map")
      }, "\(result.stdout)")
    #expect(output.contains { $0.contains("0000:01:00.0") && $0.contains("its IOMMU is disabled") })
  }

  @Test func aModuleAfterTheTimeoutLeavesConsumersUnprotectedAndAWrongBuildIsCaught() throws {
    let root = try extracted("viommu-late")
    let asBooted = try cli.run(["verify", "--root", root])
    #expect(asBooted.status == 0)
    #expect(
      lines(asBooted.stdout).filter {
        $0.contains("virtio_iommu loaded after the deferred-probe timeout")
      }.count == 5, "\(asBooted.stdout)")
    // Told that virtio-iommu is built in, the plan expects translation.
    let told = try cli.run(["verify", "--root", root, "--builtin", "virtio-iommu"])
    #expect(told.status == 1)
    let mismatches = lines(told.stdout).filter { $0.hasPrefix("  MISMATCH") }
    #expect(mismatches.count == 5)
    #expect(
      mismatches.allSatisfy {
        $0.contains("virtio-iommu is a module here (it is in proc/modules), not built in")
      }, "\(told.stdout)")
  }

  @Test func devicesWaitingForTheModuleAreStillDeferred() throws {
    let result = try cli.run(["verify", "--root", try extracted("viommu-pending")])
    #expect(result.status == 0)
    #expect(
      lines(result.stdout).filter { $0.hasPrefix("  still deferred") }.count == 5,
      "\(result.stdout)")
  }
}
