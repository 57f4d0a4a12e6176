/// A JSON document with object keys in the order they were written, so the
/// output reads in the contract's order and is byte-stable.
///
/// Foundation's JSONEncoder drops nil optionals (the contract wants `null`)
/// and either sorts keys alphabetically or not at all; this is small enough
/// to own.
public indirect enum JSONValue: Hashable, Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    lhs.serialized() == rhs.serialized()
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(serialized()) }

  static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
  static func number<T: BinaryInteger>(_ value: T) -> JSONValue { .int(Int64(value)) }

  /// Two-space indentation; arrays of scalars stay on one line.
  public func serialized(indent: Int = 0) -> String {
    var output = ""
    write(to: &output, indent: indent)
    return output
  }

  private func write(to output: inout String, indent: Int) {
    switch self {
    case .null: output += "null"
    case .bool(let value): output += value ? "true" : "false"
    case .int(let value): output += String(value)
    case .string(let value): Self.writeString(value, to: &output)
    case .array(let items):
      if items.isEmpty {
        output += "[]"
      } else if items.allSatisfy(\.isScalar) {
        output += "["
        for (index, item) in items.enumerated() {
          if index > 0 { output += ", " }
          item.write(to: &output, indent: indent)
        }
        output += "]"
      } else {
        output += "[\n"
        for (index, item) in items.enumerated() {
          output += String(repeating: " ", count: indent + 2)
          item.write(to: &output, indent: indent + 2)
          output += index + 1 < items.count ? ",\n" : "\n"
        }
        output += String(repeating: " ", count: indent) + "]"
      }
    case .object(let members):
      guard !members.isEmpty else {
        output += "{}"
        return
      }
      output += "{\n"
      for (index, (key, value)) in members.enumerated() {
        output += String(repeating: " ", count: indent + 2)
        Self.writeString(key, to: &output)
        output += ": "
        value.write(to: &output, indent: indent + 2)
        output += index + 1 < members.count ? ",\n" : "\n"
      }
      output += String(repeating: " ", count: indent) + "}"
    }
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object: false
    default: true
    }
  }

  private static func writeString(_ value: String, to output: inout String) {
    output += "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case _ where scalar.value < 0x20:
        let digits = String(scalar.value, radix: 16)
        output += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
      default: output.unicodeScalars.append(scalar)
      }
    }
    output += "\""
  }
}
