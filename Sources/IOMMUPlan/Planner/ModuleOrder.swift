// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Orders modules so that every module's suppliers (fw_devlink), symbol
/// dependencies (`modules.dep`) and `pre:` softdeps load before it: Kahn's
/// algorithm with an alphabetical ready set, so the order is deterministic.
///
/// Two kinds of edge: `requires` (modules.dep and softdeps: loading the
/// module pulls them in) and `after` (an IOMMU instance's suppliers: they
/// only order the load). A subset is closed over `requires` only, so a boot
/// set does not grow by the suppliers of some other instance of its driver.
struct ModuleOrder {
  private(set) var requires: [String: Set<String>] = [:]
  private(set) var after: [String: Set<String>] = [:]
  private(set) var provides: [String: Set<NodeID>] = [:]
  let build: KernelBuild

  init(build: KernelBuild) { self.build = build }

  var modules: [String] { requires.keys.sorted() }

  /// Adds a module to load after `suppliers`, with everything it requires.
  mutating func add(_ module: String, after suppliers: [String] = [], provides iommu: NodeID? = nil)
  {
    after[module, default: []].formUnion(suppliers.filter { $0 != module })
    if let iommu { provides[module, default: []].insert(iommu) }
    var queue = [module] + suppliers
    while let next = queue.popLast() {
      if requires[next] == nil { requires[next] = [] }
      for dependency in build.modules?.dependencies[next] ?? []
      where isLoadable(dependency) && !(requires[next]?.contains(dependency) ?? false) {
        requires[next, default: []].insert(dependency)
        queue.append(dependency)
      }
    }
  }

  /// Orders two modules already in the set, adding neither.
  mutating func constrain(_ module: String, after supplier: String) {
    guard module != supplier, requires[module] != nil, requires[supplier] != nil else { return }
    after[module, default: []].insert(supplier)
  }

  /// Built-in modules need no loading.
  private func isLoadable(_ module: String) -> Bool {
    !(build.modules?.builtin.contains(module) ?? false)
  }

  private func needs(_ module: String) -> Set<String> {
    (requires[module] ?? []).union(after[module] ?? [])
  }

  /// The order of `subset` and what it requires, or of every module added.
  func ordered(subset: Set<String>? = nil) -> [Plan.ModuleLoad] {
    var wanted = subset ?? Set(requires.keys)
    var queue = Array(wanted)
    while let next = queue.popLast() {
      for dependency in requires[next] ?? [] where wanted.insert(dependency).inserted {
        queue.append(dependency)
      }
    }
    var remaining = wanted
    var result: [Plan.ModuleLoad] = []
    while !remaining.isEmpty {
      let ready = remaining.filter { needs($0).isDisjoint(with: remaining) }.sorted()
      // A dependency cycle among modules: modprobe breaks it arbitrarily;
      // take the alphabetically first so the output stays deterministic.
      let batch = ready.isEmpty ? [remaining.sorted()[0]] : ready
      for module in batch {
        remaining.remove(module)
        result.append(
          Plan.ModuleLoad(
            module: module, path: build.modules?.paths[module],
            provides: (provides[module] ?? []).sorted(),
            needs: needs(module).intersection(wanted).sorted()))
      }
    }
    return result
  }
}
