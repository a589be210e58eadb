import LanguageModel
import Testing

/// How ``JSONValue`` prints strings: journals, prompts and the constraint grammar all read these bytes.
struct JSONTextTests {
    @Test(arguments: [
        ("AAPL", #""AAPL""#),
        ("", #""""#),
        ("café – 10 %", #""café – 10 %""#),
        (#"say "hold""#, #""say \"hold\"""#),
        (#"C:\desk"#, #""C:\\desk""#),
        ("line\nnext\ttab\rback", #""line\nnext\ttab\rback""#),
        ("bell\u{07}unit\u{1F}", #""bell\u0007unit\u001f""#),
        ("naïve \"x\"\u{01}", #""naïve \"x\"\u0001""#),
    ])
    func stringsPrintWithJSONEscapesOnlyWhereNeeded(_ text: String, _ printed: String) throws {
        #expect(JSONValue.string(text).compactText == printed)
        #expect(try JSONValue(parsing: printed) == .string(text))
    }

    @Test func objectsPrintKeysAndValuesWithTheSameEscapes() throws {
        let value = JSONValue.object(["b\"": .string("x\ny"), "a": .array([.number(1.5), .null, .bool(true)])])
        #expect(value.compactText == #"{"b\"":"x\ny","a":[1.5,null,true]}"#)
        #expect(value.canonicalText == #"{"a":[1.5,null,true],"b\"":"x\ny"}"#)
        #expect(try JSONValue(parsing: value.compactText).canonicalText == value.canonicalText)
    }
}
