import Foundation
import LocalLM

/// Writes small GGUF files for tests, byte by byte as the format specifies (independently of the reader).
struct GGUFBuilder {
    enum Value {
        case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32), f32(Float), bool(Bool), string(String)
        case u64(UInt64), i64(Int64), f64(Double)
        case array(UInt32, [Value])

        var code: UInt32 {
            switch self {
            case .u8: 0
            case .i8: 1
            case .u16: 2
            case .i16: 3
            case .u32: 4
            case .i32: 5
            case .f32: 6
            case .bool: 7
            case .string: 8
            case .array: 9
            case .u64: 10
            case .i64: 11
            case .f64: 12
            }
        }
    }

    struct Tensor { var name: String; var dims: [Int]; var type: UInt32; var data: [UInt8] }

    var version: UInt32 = 3
    var alignment = 32
    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []

    mutating func set(_ key: String, _ value: Value) { metadata.append((key, value)) }

    mutating func addF32(_ name: String, dims: [Int], values: [Float]) {
        precondition(values.count == dims.reduce(1, *))
        tensors.append(Tensor(name: name, dims: dims, type: 0, data: values.withUnsafeBytes { Array($0) }))
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { put(UInt64(s.utf8.count)); out += Array(s.utf8) }
        func value(_ v: Value) {
            switch v {
            case let .u8(x): put(x)
            case let .i8(x): put(x)
            case let .u16(x): put(x)
            case let .i16(x): put(x)
            case let .u32(x): put(x)
            case let .i32(x): put(x)
            case let .f32(x): put(x.bitPattern)
            case let .bool(x): put(UInt8(x ? 1 : 0))
            case let .string(x): string(x)
            case let .u64(x): put(x)
            case let .i64(x): put(x)
            case let .f64(x): put(x.bitPattern)
            case let .array(type, items):
                put(type)
                put(UInt64(items.count))
                items.forEach(value)
            }
        }
        out += Array("GGUF".utf8)
        put(version)
        put(UInt64(tensors.count))
        put(UInt64(metadata.count))
        for (key, v) in metadata {
            string(key)
            put(v.code)
            value(v)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            string(t.name)
            put(UInt32(t.dims.count))
            t.dims.forEach { put(UInt64($0)) }
            put(t.type)
            put(UInt64(o))
        }
        while out.count % alignment != 0 { out.append(0) }
        let start = out.count
        for (t, o) in zip(tensors, offsets) {
            while out.count < start + o { out.append(0) }
            out += t.data
        }
        return out
    }

    /// Writes the file to a fresh temporary path and returns it.
    func write(name: String = "test") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf")
        try Data(bytes()).write(to: url)
        return url.path
    }
}

/// Writes raw bytes to a temporary file.
func temporaryFile(_ bytes: [UInt8], name: String = "raw") throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf")
    try Data(bytes).write(to: url)
    return url.path
}
