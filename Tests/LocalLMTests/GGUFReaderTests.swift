import Foundation
import LocalLM
import Testing

@Suite struct GGUFReaderTests {
    static func everyMetadataType(version: UInt32) -> GGUFBuilder {
        var b = GGUFBuilder()
        b.version = version
        b.set("t.u8", .u8(200))
        b.set("t.i8", .i8(-100))
        b.set("t.u16", .u16(60000))
        b.set("t.i16", .i16(-30000))
        b.set("t.u32", .u32(4_000_000_000))
        b.set("t.i32", .i32(-2_000_000_000))
        b.set("t.f32", .f32(1.5))
        b.set("t.bool", .bool(true))
        b.set("t.string", .string("héllo ✓"))
        b.set("t.u64", .u64(1 << 40))
        b.set("t.i64", .i64(-(1 << 40)))
        b.set("t.f64", .f64(-2.25))
        b.set("t.array", .array(8, [.string("a"), .string("bc")]))
        b.set("t.nested", .array(9, [.array(5, [.i32(1), .i32(2)]), .array(5, [])]))
        b.addF32("weights", dims: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        b.addF32("bias", dims: [3], values: [-1, 0, 1])
        return b
    }

    @Test(arguments: [UInt32(2), 3])
    func readsEveryMetadataTypeAndTensorOfVersion(_ version: UInt32) throws {
        let path = try Self.everyMetadataType(version: version).write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try GGUFFile(path: path)
        #expect(file.version == Int(version))
        #expect(file["t.u8"] == .uint8(200))
        #expect(file["t.i8"] == .int8(-100))
        #expect(file["t.u16"] == .uint16(60000))
        #expect(file["t.i16"] == .int16(-30000))
        #expect(file["t.u32"]?.intValue == 4_000_000_000)
        #expect(file["t.i32"]?.intValue == -2_000_000_000)
        #expect(file["t.f32"] == .float32(1.5))
        #expect(file["t.bool"]?.boolValue == true)
        #expect(file["t.string"]?.stringValue == "héllo ✓")
        #expect(file["t.u64"]?.intValue == 1 << 40)
        #expect(file["t.i64"]?.intValue == -(1 << 40))
        #expect(file["t.f64"]?.doubleValue == -2.25)
        #expect(file["t.array"]?.arrayItems?.compactMap(\.stringValue) == ["a", "bc"])
        #expect(file["t.nested"]?.arrayItems?.first?.arrayItems?.compactMap(\.intValue) == [1, 2])
        #expect(file.keys.first == "t.u8" && file.keys.count == 14)
        let weights = try #require(file.tensor(named: "weights"))
        #expect(weights.dimensions == [4, 2] && weights.rows == 2 && weights.rowLength == 4)
        #expect(try file.floats(of: weights) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try file.floats(of: #require(file.tensor(named: "bias"))) == [-1, 0, 1])
        #expect(weights.fileOffset % 32 == 0)
    }

    @Test func honoursACustomAlignment() throws {
        var b = Self.everyMetadataType(version: 3)
        b.alignment = 64
        b.metadata.insert(("general.alignment", .u32(64)), at: 0)
        let path = try b.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try GGUFFile(path: path)
        #expect(file.alignment == 64)
        #expect(try file.floats(of: #require(file.tensor(named: "bias"))) == [-1, 0, 1])
    }

    func expectError(_ kind: GGUFError.Kind, _ bytes: [UInt8], mentioning phrase: String) throws {
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try GGUFFile(path: path)
            Issue.record("expected a \(kind) error")
        } catch let error as GGUFError {
            #expect(error.kind == kind, "\(error)")
            #expect(error.description.contains(phrase), "\(error)")
            #expect(error.description.contains(path))
        }
    }

    @Test func rejectsAFileThatIsNotGGUF() throws {
        try expectError(.badMagic, Array("PK\u{3}\u{4}not a model at all".utf8), mentioning: "not a GGUF file")
    }

    @Test func rejectsVersionOneAndBigEndianFiles() throws {
        var v1 = Self.everyMetadataType(version: 1).bytes()
        try expectError(.unsupportedVersion, v1, mentioning: "version 1")
        v1.replaceSubrange(4..<8, with: [0, 0, 0, 3])
        try expectError(.unsupportedVersion, v1, mentioning: "big-endian")
    }

    @Test func reportsTruncationAnywhereInTheFile() throws {
        let full = Self.everyMetadataType(version: 3).bytes()
        // In the header, in the metadata, in the tensor directory and in the tensor data.
        for cut in [6, 30, 200, full.count - 40, full.count - 1] {
            try expectError(.truncated, Array(full.prefix(cut)), mentioning: "truncated")
        }
    }

    @Test func rejectsAnUnknownTensorTypeAndExplainsUnsupportedOnes() throws {
        var b = GGUFBuilder()
        b.tensors.append(.init(name: "odd", dims: [32], type: 99, data: Array(repeating: 0, count: 64)))
        try expectError(.unsupportedType, b.bytes(), mentioning: "unknown type code 99")

        var iq = GGUFBuilder()
        iq.tensors.append(.init(name: "iq", dims: [256], type: 16, data: Array(repeating: 0, count: 66)))
        let path = try iq.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try GGUFFile(path: path)
        let tensor = try #require(file.tensor(named: "iq"))
        #expect(tensor.type.name == "IQ2_XXS")
        #expect(throws: GGUFError.self) { try file.floats(of: tensor) }
    }

    @Test func rejectsABadMetadataTypeAndAnOversizedCount() throws {
        var b = GGUFBuilder()
        b.set("x", .u8(1))
        var bytes = b.bytes()
        // The type code of the first key sits after magic, version, two counts and the key string.
        let typeOffset = 4 + 4 + 8 + 8 + 8 + 1
        bytes.replaceSubrange(typeOffset..<(typeOffset + 4), with: [77, 0, 0, 0])
        try expectError(.invalid, bytes, mentioning: "unknown metadata type 77")

        var huge = GGUFBuilder().bytes()
        huge.replaceSubrange(8..<16, with: [0, 0, 0, 0, 0, 0, 0, 1])
        try expectError(.invalid, huge, mentioning: "not plausible")
    }

    @Test func aModelOfAnotherArchitectureIsRejectedByName() throws {
        var b = GGUFBuilder()
        b.set("general.architecture", .string("mamba"))
        let path = try b.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try LocalModel(path: path)
        } throws: { error in
            (error as? GGUFError)?.kind == .unsupportedModel && "\(error)".contains("'mamba'") && "\(error)".contains("llama, qwen2")
        }
    }

    @Test func aMissingFileSaysHowToGetAModel() {
        #expect {
            _ = try GGUFFile(path: "/nonexistent/model.gguf")
        } throws: { error in
            (error as? GGUFError)?.kind == .unreadable && "\(error)".contains("desk model pull")
        }
    }
}
