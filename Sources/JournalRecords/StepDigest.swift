import Crypto
import Exchange
import Foundation
import LanguageModel
import Market

extension StepRecord {
    /// SHA-256 (hex) of what the step decided and booked, without wall-clock fields: two runs
    /// with equal scenario, desk, seed and model digests have equal digests step by step.
    ///
    /// Covered: the session (index, day, decision flag, snapshot digest); decisions (role, stage,
    /// output, rationale, fallback flag); risk events; failures (role, kind, fallback — not the
    /// message, which may quote timings); order events, orders as they stand, fills, cash
    /// movements, positions and equity; model calls by content address (role, cache key,
    /// completion, validity) and tool calls by what was asked (role, tool, input).
    /// Not covered: start/finish times, latencies, durations, token timings, cache hits and error
    /// texts of model calls, tool outputs (a resume serves committed steps from the call cache,
    /// so these may legitimately differ).
    ///
    /// Numbers are hashed by their bit patterns (−0 as 0), so equal doubles give equal digests.
    public var digest: String {
        var d = DigestWriter()
        d.tag("step")
        d.int(index); d.day(day); d.bool(isDecision); d.string(snapshotDigest)

        d.tag("decisions", decisions.count)
        for r in decisions {
            d.int(r.sequence); d.string(r.role); d.string(r.stage); d.json(r.output); d.string(r.rationale); d.bool(r.isFallback)
        }
        d.tag("risk_events", riskEvents.count)
        for r in riskEvents {
            d.int(r.sequence); d.string(r.rule); d.string(r.action.rawValue); d.string(r.symbol)
            d.double(r.proposed); d.double(r.allowed); d.string(r.detail); d.string(r.role)
        }
        d.tag("failures", failures.count)
        for f in failures {
            d.int(f.sequence); d.string(f.role); d.string(f.kind); d.string(f.fallback)
        }
        d.tag("model_calls", modelCalls.count)
        for c in modelCalls {
            d.int(c.sequence); d.string(c.role); d.string(c.cacheKey); d.string(c.completion); d.bool(c.valid)
        }
        d.tag("tool_calls", toolCalls.count)
        for t in toolCalls {
            d.int(t.sequence); d.string(t.role); d.string(t.tool); d.json(t.input)
        }
        d.tag("order_events", orderEvents.count)
        for e in orderEvents {
            d.int(e.orderID.rawValue); d.day(e.day); d.string(e.kind.rawValue); d.double(e.quantity); d.double(e.price); d.string(e.reason)
        }
        d.tag("orders", orders.count)
        for o in orders {
            let r = o.request
            d.int(o.id.rawValue); d.string(r.symbol); d.string(r.side.rawValue); d.double(r.quantity); d.string(r.kind.name)
            d.double(r.kind.limitPrice); d.double(r.kind.triggerPrice); d.string(r.timeInForce.rawValue); d.string(r.tag)
            d.day(o.submittedOn); d.string(o.status.rawValue); d.double(o.filledQuantity); d.double(o.averageFillPrice); d.bool(o.triggered)
        }
        d.tag("fills", fills.count)
        for f in fills {
            d.int(f.orderID.rawValue); d.day(f.day); d.string(f.symbol); d.string(f.side.rawValue); d.double(f.quantity)
            d.double(f.price); d.double(f.referencePrice); d.double(f.commission); d.double(f.slippageCost)
        }
        d.tag("cash_movements", cashMovements.count)
        for m in cashMovements {
            d.day(m.day); d.string(m.kind.rawValue); d.double(m.amount); d.string(m.symbol); d.int(m.orderID?.rawValue)
        }
        d.tag("positions", positions.count)
        for p in positions {
            d.string(p.symbol); d.double(p.quantity); d.double(p.averageCost); d.double(p.realizedPnL); d.double(p.lastPrice)
        }
        d.tag("equity")
        d.day(equity.day); d.double(equity.cash); d.double(equity.positionsValue); d.double(equity.equity); d.double(equity.grossExposure)
        return d.finish()
    }
}

/// An unambiguous byte encoding of typed fields (tagged, length-prefixed), hashed with SHA-256.
private struct DigestWriter {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(4096) }

    mutating func tag(_ name: String, _ count: Int = 0) {
        bytes.append(0x1E)
        bytes.append(contentsOf: name.utf8)
        int(count)
    }

    mutating func int(_ value: Int?) {
        guard let value else { bytes.append(0); return }
        bytes.append(1)
        withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func double(_ value: Double?) {
        guard let value else { bytes.append(0); return }
        bytes.append(1)
        let normalized = value == 0 ? 0 : value
        withUnsafeBytes(of: normalized.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func day(_ value: Day) {
        withUnsafeBytes(of: value.daysSinceEpoch.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String?) {
        guard let value else { bytes.append(0); return }
        bytes.append(1)
        var text = value
        text.withUTF8 { utf8 in
            withUnsafeBytes(of: UInt64(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
    }

    /// A JSON value by structure (object members in key order, numbers by their bits), without
    /// printing it: equal to hashing its canonical text in what it tells apart, and much cheaper.
    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(0x10)
        case let .bool(b): bytes.append(b ? 0x12 : 0x11)
        case let .number(n): bytes.append(0x13); double(n)
        case let .string(text): bytes.append(0x14); string(text)
        case let .array(items):
            bytes.append(0x15)
            int(items.count)
            for item in items { json(item) }
        case let .object(members):
            bytes.append(0x16)
            int(members.count)
            let ordered = members.count < 2 || zip(members, members.dropFirst()).allSatisfy({ $0.key <= $1.key }) ? members : members.sorted { $0.key < $1.key }
            for member in ordered {
                string(member.key)
                json(member.value)
            }
        }
    }

    func finish() -> String {
        let hash = SHA256.hash(data: bytes)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in hash {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
