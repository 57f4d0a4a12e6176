// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// How a kernel build provides a driver.
public enum DriverMode: String, Sendable, CaseIterable {
  /// Built into the image: registers before late_initcall.
  case builtin
  /// A loadable module: registers whenever userspace (or the initramfs) loads it.
  case module
  /// Not in the build at all.
  case absent
  /// Nothing says; the plan states what it assumed.
  case unknown
}

/// Where a driver's mode came from, strongest first.
public enum ModeSource: String, Sendable {
  case flag
  case modulesDir = "modules-dir"
  case config
  case `default`
}

/// A module name as modprobe compares them: `-` and `_` are the same.
func moduleKey(_ name: String) -> String {
  String(name.map { $0 == "-" ? "_" : $0 })
}
