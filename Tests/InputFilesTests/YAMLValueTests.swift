import Foundation
import InputFiles
import Testing

@Suite struct YAMLValueTests {
    @Test func unknownKeysAreErrorsNamingLineAndKey() throws {
        let yaml = "name: x\ncosts:\n  comission: 1\n"
        let root = try YAMLValue.parse(Data(yaml.utf8), file: "s.yaml")
        var top = try root.mapping()
        _ = try top.required("name").string()
        var costs = try top.required("costs").mapping()
        _ = try costs.optional("commission")
        let error = #expect(throws: InputError.self) { try costs.finish() }
        #expect(error?.line == 3)
        #expect(error?.field == "costs.comission")
        #expect(error?.description.contains("unknown key 'comission'") == true)
    }

    @Test func wrongTypesAndSyntaxErrorsNameTheLine() throws {
        let root = try YAMLValue.parse(Data("cash: lots\n".utf8), file: "s.yaml")
        var top = try root.mapping()
        let error = #expect(throws: InputError.self) { try top.required("cash").double() }
        #expect(error?.line == 1)
        #expect(error?.field == "cash")

        let syntax = #expect(throws: InputError.self) { try YAMLValue.parse(Data("a: [1, 2\nb: 3\n".utf8), file: "bad.yaml") }
        #expect(syntax?.file == "bad.yaml")
        #expect(syntax?.line != nil)

        let missing = #expect(throws: InputError.self) {
            var m = try YAMLValue.parse(Data("a: 1\n".utf8), file: "m.yaml").mapping()
            _ = try m.required("name")
        }
        #expect(missing?.problem == "missing required key 'name'")
    }
}
