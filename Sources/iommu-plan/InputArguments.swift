// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree

/// How inputs are read, the same in every command: the preprocessor's
/// additions for sources and the overlays to apply.
struct InputArguments: ParsableArguments {
  @Option(
    name: [.customShort("I"), .customLong("include")],
    help: ArgumentHelp(
      "Add DIR to the preprocessor's include path for .dts sources (before the kernel tree's).",
      valueName: "dir"))
  var includeDirectories: [String] = []

  @Option(
    name: [.customShort("D"), .customLong("define")],
    help: ArgumentHelp(
      "Define a preprocessor macro for .dts sources (NAME or NAME=VALUE).",
      valueName: "name[=value]"))
  var defines: [String] = []

  @Option(
    name: .customLong("overlay"),
    help: ArgumentHelp(
      "Apply this overlay (.dtbo, overlay source, or a DT table image) to each tree first, as "
        + "a bootloader does; repeat to apply several in order.",
      valueName: "file"))
  var overlays: [String] = []

  @Option(
    name: .customLong("dtbo-index"),
    help: ArgumentHelp(
      "From an overlay file that holds several (a dtbo.img), apply entry N (from 0).",
      valueName: "n"))
  var dtboIndex: Int?

  @Option(
    name: .customLong("dtbo-id"),
    help: ArgumentHelp(
      "From an overlay file that holds several, apply the entry with this id (0x... or decimal).",
      valueName: "id"),
    transform: { text in
      let value =
        text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
      guard let value else { throw ValidationError("--dtbo-id \(text) is not a 32-bit number") }
      return value
    })
  var dtboID: UInt32?

  func validate() throws {
    if dtboIndex != nil && dtboID != nil {
      throw ValidationError("give --dtbo-index or --dtbo-id, not both")
    }
    if let dtboIndex, dtboIndex < 0 { throw ValidationError("--dtbo-index must be 0 or more") }
    if (dtboIndex != nil || dtboID != nil) && overlays.isEmpty {
      throw ValidationError("--dtbo-index and --dtbo-id choose an entry of an --overlay file")
    }
  }

  func options(limits: LoadLimits) -> InputOptions {
    InputOptions(
      limits: limits,
      sources: SourceOptions(includeDirectories: includeDirectories, defines: defines),
      overlays: overlays,
      overlayEntry: dtboIndex.map(OverlayEntry.index) ?? dtboID.map(OverlayEntry.id))
  }
}
