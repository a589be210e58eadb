import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem with a GGUF file: what is wrong, where, and what to do about it.
public struct GGUFError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of problem, so callers and tests can tell them apart.
    public enum Kind: String, Sendable, Hashable {
        case unreadable, badMagic, unsupportedVersion, truncated, invalid, unsupportedType, missingKey, missingTensor, unsupportedModel
    }

    public var kind: Kind
    public var file: String
    public var message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// A metadata value of a GGUF file, in the file's own type.
public enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// An array; `elementType` is the GGUF type code of its items (9 for nested arrays).
    case array(elementType: UInt32, items: [GGUFValue])

    /// The value as a whole number, when it is one of the integer types (or a bool).
    public var intValue: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        case let .bool(v): return v ? 1 : 0
        default: return nil
        }
    }

    /// The value as a floating-point number, when it is numeric.
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return intValue.map(Double.init)
        }
    }

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var arrayItems: [GGUFValue]? { if case let .array(_, items) = self { return items }; return nil }

    /// A short rendering for `desk model info` (long arrays are summarised).
    public var summary: String {
        switch self {
        case let .string(s):
            let oneLine = s.replacingOccurrences(of: "\n", with: "\\n")
            return oneLine.count > 120 ? "\"\(oneLine.prefix(117))…\" (\(s.utf8.count) bytes)" : "\"\(oneLine)\""
        case let .array(type, items):
            let shown = items.prefix(4).map(\.summary).joined(separator: ", ")
            return items.count > 4 ? "[\(shown), …] (\(items.count) \(GGUFValue.typeName(type)))" : "[\(shown)]"
        case let .bool(b): return b ? "true" : "false"
        case let .float32(v): return "\(v)"
        case let .float64(v): return "\(v)"
        default: return intValue.map(String.init) ?? "?"
        }
    }

    static func typeName(_ code: UInt32) -> String {
        ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"][safe: Int(code)] ?? "type \(code)"
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// A GGML tensor element type: its GGUF code, name, and block geometry.
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
    public var code: UInt32
    public var name: String
    /// Elements per block and bytes per block.
    public var blockElements: Int
    public var blockBytes: Int

    public var description: String { name }

    /// Every type a GGUF file may hold (whether or not this engine computes with it).
    public static let known: [UInt32: GGMLType] = {
        let table: [(UInt32, String, Int, Int)] = [
            (0, "F32", 1, 4), (1, "F16", 1, 2), (2, "Q4_0", 32, 18), (3, "Q4_1", 32, 20), (6, "Q5_0", 32, 22),
            (7, "Q5_1", 32, 24), (8, "Q8_0", 32, 34), (9, "Q8_1", 32, 36), (10, "Q2_K", 256, 84), (11, "Q3_K", 256, 110),
            (12, "Q4_K", 256, 144), (13, "Q5_K", 256, 176), (14, "Q6_K", 256, 210), (15, "Q8_K", 256, 292),
            (16, "IQ2_XXS", 256, 66), (17, "IQ2_XS", 256, 74), (18, "IQ3_XXS", 256, 98), (19, "IQ1_S", 256, 50),
            (20, "IQ4_NL", 32, 18), (21, "IQ3_S", 256, 110), (22, "IQ2_S", 256, 82), (23, "IQ4_XS", 256, 136),
            (24, "I8", 1, 1), (25, "I16", 1, 2), (26, "I32", 1, 4), (27, "I64", 1, 8), (28, "F64", 1, 8),
            (29, "IQ1_M", 256, 56), (30, "BF16", 1, 2), (34, "TQ1_0", 256, 54), (35, "TQ2_0", 256, 66), (39, "MXFP4", 32, 17),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { ($0.0, GGMLType(code: $0.0, name: $0.1, blockElements: $0.2, blockBytes: $0.3)) })
    }()

    /// The types the transformer can compute with.
    public static let computable: [String] = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"]
    public var isComputable: Bool { GGMLType.computable.contains(name) }
}

/// Where one tensor lives in a GGUF file.
public struct GGUFTensorInfo: Sendable, Hashable {
    public var name: String
    /// Dimensions innermost first (GGML's `ne`): a matrix of `rows` rows of `dimensions[0]` elements.
    public var dimensions: [Int]
    public var type: GGMLType
    /// Offset of the data from the start of the file.
    public var fileOffset: Int
    public var byteCount: Int

    public var elementCount: Int { dimensions.reduce(1, *) }
    public var rowLength: Int { dimensions.first ?? 1 }
    public var rows: Int { elementCount / max(1, rowLength) }
}

/// A memory-mapped file, unmapped when the last reference goes.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GGUFError(.unreadable, file: path, "cannot open the file (\(String(cString: strerror(errno)))); check the path, or fetch the default model with `desk model pull`")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GGUFError(.unreadable, file: path, "cannot read the file's size") }
        size = Int(info.st_size)
        guard size > 0 else {
            throw GGUFError(.truncated, file: path, "the file is empty; re-download it")
        }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw GGUFError(.unreadable, file: path, "cannot map the file into memory (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(pointer)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

/// A parsed GGUF file (versions 2 and 3): metadata, tensor directory, and memory-mapped tensor data.
public struct GGUFFile: Sendable {
    public let path: String
    public let version: Int
    /// Metadata keys in file order, and their values.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    public let fileSize: Int
    let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Reads the header, metadata and tensor directory of the file at `path`; tensor data stays mapped, not copied.
    public init(path: String) throws {
        let mapping = try MappedFile(path: path)
        self.mapping = mapping
        self.path = path
        self.fileSize = mapping.size
        var reader = ByteReader(base: mapping.base, size: mapping.size, file: path)

        let magic = try reader.bytes(4, "the magic number")
        guard magic == Array("GGUF".utf8) else {
            throw GGUFError(.badMagic, file: path, "not a GGUF file (it starts with \(magic.map { String(format: "%02x", $0) }.joined(separator: " ")), not 'GGUF'); pass a .gguf model file")
        }
        let rawVersion = try reader.u32("the version")
        guard rawVersion == 2 || rawVersion == 3 else {
            if rawVersion.byteSwapped == 2 || rawVersion.byteSwapped == 3 {
                throw GGUFError(.unsupportedVersion, file: path, "this is a big-endian GGUF file; only little-endian files are supported")
            }
            throw GGUFError(.unsupportedVersion, file: path, "GGUF version \(rawVersion) is not supported (versions 2 and 3 are); re-convert the model with a current llama.cpp")
        }
        version = Int(rawVersion)
        let tensorCount = try reader.count("the tensor count", limit: 1 << 20)
        let keyCount = try reader.count("the metadata count", limit: 1 << 20)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let key = try reader.string("a metadata key")
            let type = try reader.u32("the type of '\(key)'")
            let value = try reader.value(type: type, key: key, depth: 0)
            if metadata[key] == nil { keys.append(key) }
            metadata[key] = value
        }
        self.keys = keys
        self.metadata = metadata

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0 else {
                throw GGUFError(.invalid, file: path, "general.alignment must be a power of two, found \(value.summary)")
            }
            alignment = a
        }
        self.alignment = alignment

        struct Pending { var name: String; var dims: [Int]; var type: GGMLType; var offset: Int }
        var pending: [Pending] = []
        for index in 0..<tensorCount {
            let name = try reader.string("the name of tensor \(index)")
            let dimCount = Int(try reader.u32("the dimension count of \(name)"))
            guard (1...4).contains(dimCount) else {
                throw GGUFError(.invalid, file: path, "tensor \(name) has \(dimCount) dimensions (1 to 4 allowed)")
            }
            var dims: [Int] = []
            for _ in 0..<dimCount {
                let d = try reader.u64("a dimension of \(name)")
                guard d > 0, d < 1 << 40 else { throw GGUFError(.invalid, file: path, "tensor \(name) has an impossible dimension \(d)") }
                dims.append(Int(d))
            }
            let code = try reader.u32("the type of \(name)")
            guard let type = GGMLType.known[code] else {
                throw GGUFError(.unsupportedType, file: path, "tensor \(name) has unknown type code \(code); this file needs a newer reader than this one")
            }
            guard dims[0] % type.blockElements == 0 else {
                throw GGUFError(.invalid, file: path, "tensor \(name): row length \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockElements)")
            }
            let offset = try reader.u64("the offset of \(name)")
            guard offset % UInt64(alignment) == 0, offset < UInt64(Int.max / 2) else {
                throw GGUFError(.invalid, file: path, "tensor \(name) starts at offset \(offset), not a multiple of the alignment \(alignment)")
            }
            pending.append(Pending(name: name, dims: dims, type: type, offset: Int(offset)))
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for p in pending {
            let elements = p.dims.reduce(1, *)
            let bytes = elements / p.type.blockElements * p.type.blockBytes
            let start = dataStart + p.offset
            guard start + bytes <= mapping.size else {
                throw GGUFError(.truncated, file: path, "the file is truncated: tensor \(p.name) needs bytes \(start)..<\(start + bytes) but the file has \(mapping.size); re-download it")
            }
            guard index[p.name] == nil else { throw GGUFError(.invalid, file: path, "tensor \(p.name) appears twice") }
            index[p.name] = tensors.count
            tensors.append(GGUFTensorInfo(name: p.name, dimensions: p.dims, type: p.type, fileOffset: start, byteCount: bytes))
        }
        self.tensors = tensors
        self.tensorIndex = index
    }

    public subscript(key: String) -> GGUFValue? { metadata[key] }

    public func tensor(named name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The mapped bytes of a tensor (valid while this file value, or a copy of it, lives).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawPointer { mapping.base + tensor.fileOffset }

    /// Lets the kernel drop the tensor's mapped pages from this process's memory (they are read
    /// again from the page cache if touched): for tensors the engine has copied into a packed layout.
    func releasePages(of tensor: GGUFTensorInfo) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (tensor.fileOffset + page - 1) / page * page
        let end = (tensor.fileOffset + tensor.byteCount) / page * page
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: mapping.base + start), end - start, MADV_DONTNEED)
    }

    /// The tensor's values as floats (dequantised). For small tensors and tests.
    public func floats(of tensor: GGUFTensorInfo) throws -> [Float] {
        guard tensor.type.isComputable else {
            throw GGUFError(.unsupportedType, file: path, "tensor \(tensor.name) has type \(tensor.type.name), which this engine cannot decode (supported: \(GGMLType.computable.joined(separator: ", ")))")
        }
        var out = [Float](repeating: 0, count: tensor.elementCount)
        let rowBytes = tensor.rowLength / tensor.type.blockElements * tensor.type.blockBytes
        let base = data(of: tensor)
        out.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<tensor.rows {
                _ = Kernels.dequantize(type: tensor.type, row: base + r * rowBytes, into: buffer.baseAddress! + r * tensor.rowLength, count: tensor.rowLength)
            }
        }
        return out
    }
}

/// Bounds-checked little-endian reads from the mapped header.
struct ByteReader {
    let base: UnsafeRawPointer
    let size: Int
    let file: String
    var offset = 0

    init(base: UnsafeRawPointer, size: Int, file: String) {
        self.base = base
        self.size = size
        self.file = file
    }

    func truncated(_ what: String) -> GGUFError {
        GGUFError(.truncated, file: file, "the file is truncated: it ends at byte \(size) while reading \(what); re-download it")
    }

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, offset <= size - n else { throw truncated(what) }
    }

    mutating func bytes(_ n: Int, _ what: String) throws -> [UInt8] {
        try need(n, what)
        defer { offset += n }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: n))
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func u32(_ what: String) throws -> UInt32 { try load(UInt32.self, what) }
    mutating func u64(_ what: String) throws -> UInt64 { try load(UInt64.self, what) }

    mutating func count(_ what: String, limit: UInt64) throws -> Int {
        let n = try u64(what)
        guard n <= limit else { throw GGUFError(.invalid, file: file, "\(what) is \(n), which is not plausible; the file is damaged") }
        return Int(n)
    }

    mutating func string(_ what: String) throws -> String {
        let length = try u64("the length of \(what)")
        guard length <= UInt64(size) else { throw truncated(what) }
        try need(Int(length), what)
        defer { offset += Int(length) }
        return String(decoding: UnsafeRawBufferPointer(start: base + offset, count: Int(length)), as: UTF8.self)
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        let what = "the value of '\(key)'"
        switch type {
        case 0: return .uint8(try load(UInt8.self, what))
        case 1: return .int8(try load(Int8.self, what))
        case 2: return .uint16(try load(UInt16.self, what))
        case 3: return .int16(try load(Int16.self, what))
        case 4: return .uint32(try load(UInt32.self, what))
        case 5: return .int32(try load(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try load(UInt32.self, what)))
        case 7:
            let b = try load(UInt8.self, what)
            guard b <= 1 else { throw GGUFError(.invalid, file: file, "'\(key)' is a bool with value \(b)") }
            return .bool(b == 1)
        case 8: return .string(try string(what))
        case 9:
            guard depth < 4 else { throw GGUFError(.invalid, file: file, "'\(key)' nests arrays too deeply") }
            let elementType = try u32("the element type of '\(key)'")
            let n = try u64("the length of '\(key)'")
            guard n <= UInt64(size) else { throw truncated(what) }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(n))
            for _ in 0..<Int(n) { items.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(elementType: elementType, items: items)
        case 10: return .uint64(try load(UInt64.self, what))
        case 11: return .int64(try load(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try load(UInt64.self, what)))
        default:
            throw GGUFError(.invalid, file: file, "'\(key)' has unknown metadata type \(type)")
        }
    }
}
