// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a booted kernel did, read from `/` on the target or from a copy of
/// the paths `iommu-plan-capture` takes (same relative paths, links kept as
/// links).
///
/// The capture is untrusted, so it is read without following a single
/// link: every link's text is read with readlink(2) and resolved as a path
/// inside the root, a link that climbs out of it resolving to nothing. No
/// directory is walked deeper than the layout names, each listing and each
/// file is bounded, and nothing loops.
public struct Capture: Sendable {
  public struct Device: Sendable {
    public enum Bus: String, Sendable {
      case platform
      case pci
    }

    public let bus: Bus
    /// The sysfs name (`1d84000.ufshc`, `0000:01:00.0`).
    public let name: String
    /// The device's directory, relative to the root (`sys/devices/...`).
    public let directory: String
    /// The device-tree path of its `of_node`.
    public let ofNode: String?
    /// The IOMMU group it is in.
    public let group: Int?
    /// The driver bound to it.
    public let driver: String?
    /// For a PCI function: its requester ID (bus << 8 | devfn) and the
    /// device-tree path of the host bridge above it.
    public let rid: UInt32?
    public let host: String?
  }

  /// Where the capture is (as given).
  public let root: String
  /// `sys/firmware/fdt`, the blob the kernel booted with.
  public let blob: String
  /// `proc/sys/kernel/osrelease`.
  public let release: String?
  /// `proc/cmdline`.
  public let commandLine: String?
  /// `proc/modules`: the modules loaded; nil when not captured.
  public let modules: Set<String>?
  /// Whether `module` (in either spelling, `virtio-iommu` or
  /// `virtio_iommu`) is in `proc/modules`; nil when that was not captured.
  public func isLoaded(_ module: String) -> Bool? {
    modules.map { $0.contains(module.replacing("-", with: "_")) }
  }

  /// `proc/config.gz`, when captured.
  public let config: String?
  public let devices: [Device]
  /// `sys/kernel/iommu_groups/N/type`.
  public let groupTypes: [Int: String]
  /// `sys/kernel/debug/devices_deferred`: device name to reason; nil when
  /// debugfs was not captured.
  public let deferred: [String: String]?
  /// Optional paths the capture lacks, and so what could not be checked.
  public let missing: [String]

  /// Listings and files past these are refused: a real system has a few
  /// thousand devices and attributes of a few hundred bytes.
  static let maximumEntries = 1 << 16
  static let maximumFileSize = 1 << 20

  public static func read(root: String) throws(PlanInputError) -> Capture {
    var reader = Reader(root: root)
    return try reader.capture()
  }

  private struct Reader {
    let root: String
    var missing: [String] = []

    init(root: String) { self.root = root }

    mutating func capture() throws(PlanInputError) -> Capture {
      guard FileManager.default.fileExists(atPath: root) else {
        throw PlanInputError(file: root, reason: "no such directory")
      }
      let blob = "sys/firmware/fdt"
      guard isFile(blob) else {
        throw PlanInputError(
          file: root,
          reason: "no sys/firmware/fdt: not a capture of a booted system (run iommu-plan-capture "
            + "on the target, or give / there)")
      }
      let release = try text("proc/sys/kernel/osrelease").map(trimmed)
      let commandLine = try text("proc/cmdline").map(trimmed)
      let modules = try text("proc/modules").map { text in
        Set(
          text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        )
      }
      let config = isFile("proc/config.gz") ? path("proc/config.gz") : nil
      if config == nil { missing.append("proc/config.gz") }
      let groups = try groupTypes()
      let deferred = try text("sys/kernel/debug/devices_deferred").map(Self.deferred)
      var platform = try devices(.platform, in: "sys/bus/platform/devices")
      let hosts = Dictionary(
        platform.compactMap { device in device.ofNode.map { (device.directory, $0) } },
        uniquingKeysWith: { first, _ in first })
      let pci = try devices(.pci, in: "sys/bus/pci/devices", hosts: hosts)
      platform += pci
      return Capture(
        root: root, blob: path(blob), release: release, commandLine: commandLine,
        modules: modules, config: config, devices: platform, groupTypes: groups,
        deferred: deferred, missing: missing)
    }

    func path(_ relative: String) -> String {
      root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    private func type(_ relative: String) -> FileAttributeType? {
      (try? FileManager.default.attributesOfItem(atPath: path(relative)))?[.type]
        as? FileAttributeType
    }

    private func isFile(_ relative: String) -> Bool { type(relative) == .typeRegular }

    /// A regular file's text, read up to the limit; nil (and noted) when
    /// absent.
    private mutating func text(_ relative: String) throws(PlanInputError) -> String? {
      guard isFile(relative) else {
        missing.append(relative)
        return nil
      }
      return try contents(relative)
    }

    /// Read with read(2) to the end or the limit, whatever its size says
    /// (sysfs reports 4096 for every attribute).
    private func contents(_ relative: String) throws(PlanInputError) -> String {
      let descriptor = open(path(relative), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
      guard descriptor >= 0 else {
        throw PlanInputError(file: path(relative), reason: "cannot read it")
      }
      defer { close(descriptor) }
      var bytes = [UInt8](repeating: 0, count: 4096)
      var count = 0
      while true {
        if count == bytes.count {
          guard bytes.count <= maximumFileSize else {
            throw PlanInputError(
              file: path(relative), reason: "larger than \(maximumFileSize) bytes: not a sysfs file"
            )
          }
          bytes.append(contentsOf: repeatElement(0, count: bytes.count))
        }
        let got = bytes.withUnsafeMutableBytes { buffer in
          buffer.baseAddress.map { readChunk(descriptor, $0 + count, buffer.count - count) } ?? 0
        }
        if got < 0 && errno == EINTR { continue }
        if got <= 0 { break }
        count += got
      }
      return String(decoding: bytes[..<count], as: UTF8.self)
    }

    private func list(_ relative: String) throws(PlanInputError) -> [String] {
      guard type(relative) == .typeDirectory,
        let names = try? FileManager.default.contentsOfDirectory(atPath: path(relative))
      else { return [] }
      guard names.count <= maximumEntries else {
        throw PlanInputError(
          file: path(relative), reason: "more than \(maximumEntries) entries: not a sysfs directory"
        )
      }
      return names.sorted()
    }

    /// A link's target, resolved against the link's directory as a path
    /// inside the root; nil when it is not a link or climbs out.
    private func link(_ relative: String) -> String? {
      guard type(relative) == .typeSymbolicLink,
        let text = try? FileManager.default.destinationOfSymbolicLink(atPath: path(relative))
      else { return nil }
      let base =
        text.hasPrefix("/") ? [] : relative.split(separator: "/").dropLast().map(String.init)
      var parts = base
      for part in text.split(separator: "/") {
        switch part {
        case ".": continue
        case "..":
          guard parts.popLast() != nil else { return nil }
        default: parts.append(String(part))
        }
      }
      return parts.joined(separator: "/")
    }

    private mutating func groupTypes() throws(PlanInputError) -> [Int: String] {
      let base = "sys/kernel/iommu_groups"
      guard type(base) == .typeDirectory else {
        missing.append(base)
        return [:]
      }
      var types: [Int: String] = [:]
      for name in try list(base) {
        guard let group = Int(name) else { continue }
        let file = "\(base)/\(name)/type"
        types[group] =
          isFile(file) ? trimmed(try contents(file)) : ""
      }
      return types
    }

    /// `devices_deferred`: `NAME\tREASON` lines (the reason is empty for a
    /// device with none recorded).
    static func deferred(_ text: String) -> [String: String] {
      var result: [String: String] = [:]
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: "\t", maxSplits: 1)
        guard let name = parts.first else { continue }
        result[String(name)] =
          parts.count > 1 ? trimmed(String(parts[1])) : ""
      }
      return result
    }

    private mutating func devices(
      _ bus: Device.Bus, in directory: String, hosts: [String: String] = [:]
    ) throws(PlanInputError) -> [Device] {
      guard type(directory) == .typeDirectory else {
        missing.append(directory)
        return []
      }
      var devices: [Device] = []
      for name in try list(directory) {
        guard let resolved = link("\(directory)/\(name)") else { continue }
        let ofNode = link("\(resolved)/of_node").flatMap(Self.treePath)
        let group = link("\(resolved)/iommu_group").flatMap {
          Int($0.split(separator: "/").last ?? "")
        }
        let driver = link("\(resolved)/driver").flatMap {
          $0.split(separator: "/").last.map(String.init)
        }
        var rid: UInt32?
        var host: String?
        if bus == .pci {
          rid = Self.requesterID(name)
          // The host bridge is the nearest platform device above it.
          var parts = resolved.split(separator: "/").dropLast()
          while !parts.isEmpty, host == nil {
            host = hosts[parts.joined(separator: "/")]
            parts = parts.dropLast()
          }
        }
        devices.append(
          Device(
            bus: bus, name: name, directory: resolved, ofNode: ofNode, group: group, driver: driver,
            rid: rid, host: host))
      }
      return devices
    }

    /// `sys/firmware/devicetree/base/soc@0/ufs@1d84000` -> `/soc@0/ufs@1d84000`.
    static func treePath(_ resolved: String) -> String? {
      let base = "sys/firmware/devicetree/base"
      guard resolved == base || resolved.hasPrefix(base + "/") else { return nil }
      let rest = resolved.dropFirst(base.count)
      return rest.isEmpty ? "/" : String(rest)
    }

    /// `0000:01:00.0` -> 0x100.
    static func requesterID(_ name: String) -> UInt32? {
      let parts = name.split(separator: ":")
      guard parts.count == 3, let bus = UInt32(parts[1], radix: 16) else { return nil }
      let slot = parts[2].split(separator: ".")
      guard slot.count == 2, let device = UInt32(slot[0], radix: 16),
        let function = UInt32(slot[1], radix: 16)
      else { return nil }
      return (bus & 0xff) << 8 | (device & 0x1f) << 3 | (function & 0x7)
    }
  }
}

/// Without leading and trailing white space.
private func trimmed(_ text: String) -> String {
  let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
  return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
}

/// read(2), out of reach of `Capture.read`'s name.
private func readChunk(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int)
  -> Int
{
  read(descriptor, buffer, count)
}
