import LanguageModel

extension LocalModel {
    /// The constraint that makes the completion of `request` valid JSON for its schema (and its
    /// optional preamble); nil without a schema. A schema outside the supported subset, or a
    /// `max_tokens` too small for its shortest JSON, is an `invalid_output` error before any decoding.
    /// `tokenBudget` (default: `max_tokens`) is how many tokens the generation may take: less
    /// than `max_tokens` when the context window leaves less room.
    ///
    /// Isolated to the model, so the first call's index of the vocabulary (seconds in a debug build)
    /// is built once, on the model's own thread rather than the cooperative pool.
    public func constraint(for request: ModelRequest, tokenBudget: Int? = nil) throws -> SchemaConstraint? {
        guard let schema = request.schema else { return nil }
        do {
            return try SchemaConstraint(schema: schema, tokenizer: tokenizer, vocabularyKey: descriptor.digest,
                                        maxTokens: tokenBudget ?? request.sampling.maxTokens, preamble: request.preamble?.maxCharacters)
        } catch let error as SchemaGrammarError {
            throw LanguageModelError(.invalidOutput, "the output schema cannot be followed: \(error)")
        }
    }
}
