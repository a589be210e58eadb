import Desk
import DeskTesting
import Foundation
import JournalRecords
import LanguageModel
import Market
import Testing

@Suite struct CompletionParserTests {
    let schema = OutputSchema.object([
        .init("action", .choice(["approve", "veto"])),
        .init("reason", .text(maxLength: 40)),
    ])

    @Test func aBareObjectParses() {
        let parsed = CompletionParser.parse(#"{"action":"veto","reason":"too big"}"#, schema: schema)
        #expect(parsed.isValid && parsed.preamble == nil && parsed.rationale == "too big")
    }

    @Test func proseAndFencesAroundTheObjectAreAllowed() {
        let text = "Let me think. The move is large.\n```json\n{\"action\": \"approve\", \"reason\": \"fits {the} book\"}\n```\nDone."
        let parsed = CompletionParser.parse(text, schema: schema)
        #expect(parsed.isValid)
        #expect(parsed.preamble == "Let me think. The move is large.")
        #expect(parsed.json?["reason"] == .string("fits {the} book"))
    }

    @Test func theFirstObjectThatValidatesWins() {
        let text = #"Example: {"action":"maybe","reason":"x"}. Answer: {"action":"approve","reason":"ok"}"#
        let parsed = CompletionParser.parse(text, schema: schema)
        #expect(parsed.isValid && parsed.json?["action"] == .string("approve"))
    }

    @Test func anObjectThatParsesButDoesNotFitSaysWhy() {
        let parsed = CompletionParser.parse(#"{"action":"maybe","reason":"x","extra":1}"#, schema: schema)
        #expect(!parsed.isValid)
        #expect(parsed.problems.contains { $0.contains("$.action") && $0.contains("maybe") })
        #expect(parsed.problems.contains { $0.contains("unexpected key 'extra'") })
    }

    @Test func noObjectAtAllIsAProblem() {
        #expect(CompletionParser.parse("", schema: schema).problems == ["the completion is empty"])
        #expect(CompletionParser.parse(#"{"action":"veto","reason":"cut"#, schema: schema).problems.first?.hasPrefix("no JSON object") == true)
    }
}

@Suite struct PromptWriterTests {
    func prompt(sections: [PromptSection], budget: Int, dayIndex: Int = 3) -> RolePrompt {
        let (scenario, data) = AgentMarket.make()
        let day = AgentMarket.days[dayIndex]
        let context = DecisionContext(scenario: scenario, day: day, stepIndex: dayIndex, decisionIndex: dayIndex, feed: PointInTimeFeed(data: data, asOf: day),
                                      book: BookView(cash: 1, equity: 1, positions: [:], openOrders: []), seed: 0, run: RunID(1),
                                      journal: InMemoryJournal())
        let situation = RoleSituation(context: context, symbols: ["A", "B", "C"], reports: [], plan: nil, memory: nil)
        return RolePrompt(definition: BuiltInRoles.technicalAnalyst, schema: BuiltInRoles.technicalAnalyst.output.expandingSymbols(["A", "B", "C"]),
                          situation: situation, sections: sections, tokenBudget: budget)
    }

    @Test func aPromptStatesTheSymbolsAndTheShapeOnceAndTheDateWithTheFacts() {
        let messages = PromptWriter().messages(prompt(sections: [PromptSection("Facts", lines: ["A up"])], budget: 1000))
        #expect(messages.count == 2)
        #expect(messages[0].content.hasPrefix("You are the technical analyst"))
        #expect(messages[0].content.contains("\nSymbols: A B C.\n"))
        #expect(messages[0].content.hasSuffix(#"{"uptrend":["SYMBOL",… at most 5],"downtrend":["SYMBOL",… at most 5],"oversold":["SYMBOL",… at most 5],"overbought":["SYMBOL",… at most 5],"rationale":"<=100 chars"}"#))
        #expect(messages[1].content == "Decision after the close of 2020-03-05 (Thu).\n\n## Facts\nA up")
    }

    @Test func theSystemMessageIsTheSameOnEveryDaySoThePrefixCacheServesIt() {
        let writer = PromptWriter()
        let first = writer.messages(prompt(sections: [PromptSection("Facts", lines: ["A up"])], budget: 1000))
        let second = writer.messages(prompt(sections: [PromptSection("Facts", lines: ["B down"])], budget: 1000, dayIndex: 4))
        #expect(first[0] == second[0])
        #expect(first[1] != second[1])
    }

    @Test func anotherRolesReportReadsAsRowsUnderItsKeys() throws {
        let news = try JSONValue(parsing: #"{"views":[{"symbol":"AAPL","sentiment":"positive","conviction":0.8},{"symbol":"BA","sentiment":"negative","conviction":0.6}],"rationale":"Aid passed; travel hit."}"#)
        #expect(news.promptText == "views (symbol sentiment conviction): AAPL positive 0.8, BA negative 0.6; rationale: Aid passed; travel hit.")
        let technical = try JSONValue(parsing: #"{"uptrend":["AAPL","MSFT"],"downtrend":[],"ok":true}"#)
        #expect(technical.promptText == "uptrend: AAPL MSFT; downtrend: none; ok: yes")
        #expect(try JSONValue(parsing: #"{"views":[]}"#).promptText == "views: none")
    }

    @Test func anOverlongPromptDropsTheLongestSectionsTailAndSaysSo() {
        let news = PromptSection("News", lines: (1...200).map { "note \($0): something happened to a company today" })
        let book = PromptSection("Book", lines: ["equity 1.0M", "A 10 sh"], keep: 1)
        let writer = PromptWriter(charsPerToken: 2.5)
        let messages = writer.messages(prompt(sections: [news, book], budget: 600))
        let total = messages.reduce(0) { $0 + $1.content.count }
        #expect(total <= Int(600 * 2.5))
        let user = messages[1].content
        #expect(user.contains("note 1: ") && !user.contains("note 200:"))
        #expect(user.contains("more left out to fit the prompt"))
        #expect(user.contains("## Book\nequity 1.0M\nA 10 sh"))
        // Deterministic: the same input gives the same text.
        #expect(writer.messages(prompt(sections: [news, book], budget: 600)) == messages)
    }
}
