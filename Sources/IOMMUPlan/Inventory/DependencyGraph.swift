// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Consumer -> supplier edges between nodes. An IOMMU can itself be a
/// consumer (of another IOMMU, or of itself), so the graph may have cycles.
public struct DependencyGraph: Sendable {
  /// Sorted, de-duplicated suppliers of each node that has any.
  public let suppliers: [NodeID: [NodeID]]

  public init(edges: [(consumer: NodeID, supplier: NodeID)]) {
    var table: [NodeID: Set<NodeID>] = [:]
    for edge in edges { table[edge.consumer, default: []].insert(edge.supplier) }
    suppliers = table.mapValues { $0.sorted() }
  }

  /// Every cycle, one per strongly connected component that has one, each
  /// as a closed walk starting and ending at the component's smallest node.
  /// Order is deterministic: by that smallest node.
  public var cycles: [[NodeID]] {
    components().compactMap { component -> [NodeID]? in
      guard let start = component.min() else { return nil }
      if component.count == 1 && !(suppliers[start] ?? []).contains(start) { return nil }
      return walk(from: start, within: Set(component))
    }.sorted { $0[0] < $1[0] }
  }

  /// Strongly connected components (Tarjan's algorithm, iterative so that
  /// deep chains cannot overflow the stack).
  public func components() -> [[NodeID]] {
    var index: [NodeID: Int] = [:]
    var low: [NodeID: Int] = [:]
    var onStack = Set<NodeID>()
    var stack: [NodeID] = []
    var result: [[NodeID]] = []
    var counter = 0
    for root in suppliers.keys.sorted() where index[root] == nil {
      var work: [(node: NodeID, next: Int)] = [(root, 0)]
      index[root] = counter
      low[root] = counter
      counter += 1
      stack.append(root)
      onStack.insert(root)
      while let (node, next) = work.last {
        let edges = suppliers[node] ?? []
        if next < edges.count {
          work[work.count - 1].next += 1
          let target = edges[next]
          if index[target] == nil {
            index[target] = counter
            low[target] = counter
            counter += 1
            stack.append(target)
            onStack.insert(target)
            work.append((target, 0))
          } else if onStack.contains(target) {
            low[node] = min(low[node] ?? 0, index[target] ?? 0)
          }
          continue
        }
        work.removeLast()
        if let parent = work.last {
          low[parent.node] = min(low[parent.node] ?? 0, low[node] ?? 0)
        }
        if low[node] == index[node] {
          var component: [NodeID] = []
          while let member = stack.popLast() {
            onStack.remove(member)
            component.append(member)
            if member == node { break }
          }
          result.append(component)
        }
      }
    }
    return result
  }

  /// A shortest closed walk from `start` back to itself inside a component.
  private func walk(from start: NodeID, within component: Set<NodeID>) -> [NodeID] {
    var previous: [NodeID: NodeID] = [:]
    var queue = [start]
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      for next in suppliers[node] ?? [] where component.contains(next) {
        if next == start {
          var path = [start]
          var step = node
          while step != start, let before = previous[step] {
            path.append(step)
            step = before
          }
          return [start] + path.dropFirst().reversed() + [start]
        }
        if previous[next] == nil && next != start {
          previous[next] = node
          queue.append(next)
        }
      }
    }
    return [start, start]
  }
}
