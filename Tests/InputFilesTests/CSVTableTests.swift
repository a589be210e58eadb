import Foundation
import InputFiles
import Testing

@Suite struct CSVTableTests {
    @Test func readsQuotedFieldsAndLineNumbers() throws {
        let text = "\u{FEFF}date,note\n2020-03-16,\"Fed cuts, again\"\n\n2020-03-17,\"a \"\"quoted\"\" word\"\r\n"
        let table = try CSVTable.parse(Data(text.utf8), file: "notes.csv")
        #expect(table.header == ["date", "note"])
        #expect(table.rows.map(\.line) == [2, 4])
        #expect(table.rows[0].fields == ["2020-03-16", "Fed cuts, again"])
        #expect(table.rows[1].fields[1] == "a \"quoted\" word")
    }

    @Test func rejectsBadInputWithItsLocation() throws {
        let empty = #expect(throws: InputError.self) { try CSVTable.parse(Data(), file: "empty.csv") }
        #expect(empty?.problem.contains("empty") == true)

        let open = #expect(throws: InputError.self) { try CSVTable.parse(Data("a,b\n1,\"oops\n".utf8), file: "q.csv") }
        #expect(open?.line == 2)

        var bytes = Array("a,b\n1,2\n3,".utf8)
        bytes += [0xFF, 0xFE, 0x0A]
        let binary = #expect(throws: InputError.self) { try CSVTable.parse(Data(bytes), file: "bin.csv") }
        #expect(binary?.line == 3)
        #expect(binary?.description.hasPrefix("bin.csv:3:2") == true)
    }

    @Test func numbersMustBeFinite() throws {
        let table = try CSVTable.parse(Data("x\n1e400\nnan\n12.5\n".utf8), file: "n.csv")
        #expect(throws: InputError.self) { try table.number(table.rows[0], 0) }
        #expect(throws: InputError.self) { try table.number(table.rows[1], 0) }
        #expect(try table.number(table.rows[2], 0) == 12.5)
    }
}
