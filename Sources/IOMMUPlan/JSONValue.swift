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
  /// An array of objects made one at a time as it is written, so that a
  /// document with 100,000 links never holds them all as values; written
  /// exactly as `.array` of the same elements.
  case lazyArray(count: Int, element: @Sendable (Int) -> JSONValue)

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

  /// The same text as `serialized(indent:)`, written to `output` piece by
  /// piece.
  public func write(to output: inout some TextOutputStream, indent: Int = 0) {
    switch self {
    case .null: output.write("null")
    case .bool(let value): output.write(value ? "true" : "false")
    case .int(let value): output.write(String(value))
    case .string(let value): Self.writeString(value, to: &output)
    case .array(let items):
      if items.isEmpty {
        output.write("[]")
      } else if items.allSatisfy(\.isScalar) {
        output.write("[")
        for (index, item) in items.enumerated() {
          if index > 0 { output.write(", ") }
          item.write(to: &output, indent: indent)
        }
        output.write("]")
      } else {
        output.write("[\n")
        for (index, item) in items.enumerated() {
          Self.writeIndent(indent + 2, to: &output)
          item.write(to: &output, indent: indent + 2)
          output.write(index + 1 < items.count ? ",\n" : "\n")
        }
        Self.writeIndent(indent, to: &output)
        output.write("]")
      }
    case .lazyArray(let count, let element):
      if count == 0 {
        output.write("[]")
        return
      }
      output.write("[\n")
      for index in 0..<count {
        Self.writeIndent(indent + 2, to: &output)
        element(index).write(to: &output, indent: indent + 2)
        output.write(index + 1 < count ? ",\n" : "\n")
      }
      Self.writeIndent(indent, to: &output)
      output.write("]")
    case .object(let members):
      guard !members.isEmpty else {
        output.write("{}")
        return
      }
      output.write("{\n")
      for (index, (key, value)) in members.enumerated() {
        Self.writeIndent(indent + 2, to: &output)
        Self.writeString(key, to: &output)
        output.write(": ")
        value.write(to: &output, indent: indent + 2)
        output.write(index + 1 < members.count ? ",\n" : "\n")
      }
      Self.writeIndent(indent, to: &output)
      output.write("}")
    }
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object, .lazyArray: false
    default: true
    }
  }

  private static let indents = (0...32).map { String(repeating: " ", count: $0 * 2) }

  private static func writeIndent(_ count: Int, to output: inout some TextOutputStream) {
    let level = count / 2
    output.write(level < indents.count ? indents[level] : String(repeating: " ", count: count))
  }

  /// Nearly every string (paths, names, messages) needs no escape and is
  /// appended whole; the rest go scalar by scalar.
  private static func writeString(_ value: String, to output: inout some TextOutputStream) {
    output.write("\"")
    if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
      output.write(value)
      output.write("\"")
      return
    }
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": output.write("\\\"")
      case "\\": output.write("\\\\")
      case "\n": output.write("\\n")
      case "\r": output.write("\\r")
      case "\t": output.write("\\t")
      case _ where scalar.value < 0x20:
        let digits = String(scalar.value, radix: 16)
        output.write("\\u" + String(repeating: "0", count: 4 - digits.count) + digits)
      default: output.write(String(scalar))
      }
    }
    output.write("\"")
  }
}
