import Foundation
import InputFiles
import Testing

/// A small, seedable generator so every run feeds the same cases.
struct FuzzRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

/// Malformed inputs made from a valid file: truncations, byte mutations, invalid UTF-8, huge numbers, wrong types.
enum Mutations {
    static let nasty: [[UInt8]] = [
        [0xFF], [0xC3], [0xE2, 0x82], [0x00], Array("\"".utf8), Array(",".utf8), Array("\n".utf8), Array("\r".utf8),
        Array("1e400".utf8), Array("-1e308".utf8), Array("99999999999999999999999".utf8), Array("NaN".utf8), Array("null".utf8),
        Array(":".utf8), Array("- ".utf8), Array("[".utf8), Array("{".utf8), Array("&a".utf8), Array("*a".utf8), Array("!!binary".utf8),
        Array("\t".utf8), Array("#".utf8), Array("'".utf8), Array("0x1F".utf8), Array("2020-02-30".utf8), Array("true".utf8),
    ]

    static func mutate(_ original: [UInt8], _ random: inout FuzzRandom) -> [UInt8] {
        var bytes = original
        switch random.below(6) {
        case 0:  // truncate
            bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
        case 1:  // flip random bytes
            for _ in 0...random.below(4) where !bytes.isEmpty { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
        case 2:  // insert a nasty token
            let token = nasty[random.below(nasty.count)]
            bytes.insert(contentsOf: token, at: random.below(bytes.count + 1))
        case 3:  // delete a span
            if !bytes.isEmpty {
                let start = random.below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(40)))
            }
        case 4:  // replace a number-looking run with a nasty token
            if let digit = bytes.indices.filter({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }).randomElement(using: &random) {
                var end = digit
                while end < bytes.count, (bytes[end] >= 0x30 && bytes[end] <= 0x39) || bytes[end] == UInt8(ascii: ".") { end += 1 }
                bytes.replaceSubrange(digit..<end, with: nasty[random.below(nasty.count)])
            }
        default:  // duplicate a line
            let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.count > 1 {
                var copy = lines.map(Array.init)
                let i = random.below(copy.count)
                copy.insert(copy[i], at: random.below(copy.count))
                bytes = Array(copy.joined(separator: [0x0A]))
            }
        }
        return bytes
    }
}

extension FuzzRandom: RandomNumberGenerator {}

@Suite struct FuzzTests {
    static let csv = Array("""
        date,open,high,low,close,volume
        2020-03-16,241.95,259.08,240,242.21,80605865
        2020-03-17,"247.51",257.61,238.4,252.86,81013965
        3/18/2020,239.77,250,237.12,246.67,75058406

        """.utf8)

    static let yaml = Array("""
        name: fuzz
        start: 2020-02-03
        end: 2020-06-30
        universe:
          - {symbol: SPY, file: spy.csv, name: "S&P 500"}
        costs:
          commission: {per_share: 0.005, minimum: 1.0}
        cadence: [2020-03-16, 2020-03-23]

        """.utf8)

    @Test func csvReaderGivesInputErrorsAndNeverCrashes() {
        var random = FuzzRandom(seed: 20_200_316)
        var parsed = 0, rejected = 0
        for _ in 0..<1500 {
            let bytes = Mutations.mutate(Self.csv, &random)
            do {
                let table = try CSVTable.parse(Data(bytes), file: "fuzz.csv")
                for row in table.rows { for c in 0..<(table.header.count + 1) { _ = try? table.number(row, c) } }
                parsed += 1
            } catch let error as InputError {
                #expect(error.file == "fuzz.csv" && !error.problem.isEmpty)
                rejected += 1
            } catch {
                Issue.record("not an InputError: \(error)")
            }
        }
        #expect(parsed + rejected == 1500 && rejected > 0 && parsed > 0)
    }

    @Test func yamlReaderGivesInputErrorsAndNeverCrashes() {
        var random = FuzzRandom(seed: 20_080_915)
        var rejected = 0
        for _ in 0..<1500 {
            let bytes = Mutations.mutate(Self.yaml, &random)
            do {
                let root = try YAMLValue.parse(Data(bytes), file: "fuzz.yaml")
                // Walk whatever came out with every typed accessor.
                func walk(_ value: YAMLValue, depth: Int) {
                    guard depth < 20 else { return }
                    _ = try? value.string(); _ = try? value.double(); _ = try? value.int(); _ = try? value.bool()
                    if let items = try? value.list() { for item in items { walk(item, depth: depth + 1) } }
                    if var mapping = try? value.mapping() { for (_, child) in mapping.takeAll() { walk(child, depth: depth + 1) } }
                }
                walk(root, depth: 0)
            } catch let error as InputError {
                #expect(error.file == "fuzz.yaml")
                rejected += 1
            } catch {
                Issue.record("not an InputError: \(error)")
            }
        }
        #expect(rejected > 0)
    }

    @Test func emptyAndBinaryInputsAreClearErrors() {
        for bytes in [[], [0xFF, 0xFE, 0x00], Array(repeating: 0x0A, count: 50), [0xEF, 0xBB, 0xBF]] as [[UInt8]] {
            let csv = #expect(throws: InputError.self) { try CSVTable.parse(Data(bytes), file: "x.csv") }
            #expect(csv?.file == "x.csv")
        }
        #expect(throws: InputError.self) { try YAMLValue.parse(Data(), file: "x.yaml") }
        #expect(throws: InputError.self) { try YAMLValue.parse(Data([0xFF, 0xFE, 0x41]), file: "x.yaml") }
        let huge = try? YAMLValue.parse(Data("a: 1e999\nb: 99999999999999999999999\n".utf8), file: "h.yaml").mapping()
        var mapping = huge!
        #expect(throws: InputError.self) { try mapping.required("a").double() }
        #expect(throws: InputError.self) { try mapping.required("b").int() }
    }
}
