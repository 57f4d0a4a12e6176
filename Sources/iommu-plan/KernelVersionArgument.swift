// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import IOMMUPlan

/// `--kernel-version X.Y` (a release string such as 6.1.0-50-arm64 works).
struct KernelVersionArgument: ExpressibleByArgument {
  let version: KernelVersion

  init?(argument: String) {
    guard let version = KernelVersion(parsing: argument) else { return nil }
    self.version = version
  }
}
