import LanguageModel

/// The roles every desk can use by name. Prompts and outputs are kept short for small local
/// models (the default SmolLM2-135M has a 2,048-token budget here): lists of symbols rather than
/// one object per symbol where that says the same, bounded rationales, and greedy decoding.
public enum BuiltInRoles {
    static let rationale = OutputSchema.Property("rationale", .text(maxLength: 100))
    static let symbols = OutputSchema.array(items: .symbol, minItems: 0, maxItems: 5)
    static let unit = OutputSchema.number(minimum: 0, maximum: 1)

    /// Reads the recent event notes and judges each affected symbol's news.
    public static let newsAnalyst = RoleDefinition(
        name: "news_analyst", stage: .analysis,
        instruction: """
            You are the news analyst of a trading desk. Read the event notes and judge, for each symbol they \
            affect, whether the news is positive, negative or neutral for its share price, and how strongly \
            (conviction 0 to 1). Leave out symbols without news.
            """,
        inputs: [.news(days: 5, scope: .all, maxItems: 12)],
        tools: [ToolName.news],
        output: .object([
            .init("views", .array(items: .object([
                .init("symbol", .symbol),
                .init("sentiment", .choice(["positive", "negative", "neutral"])),
                .init("conviction", unit),
            ]), minItems: 0, maxItems: 3)),
            rationale,
        ]),
        sampling: SamplingSettings(maxTokens: 128),
        summary: "event notes → sentiment and conviction per symbol")

    /// Reads indicator figures and names trends and stretched prices.
    public static let technicalAnalyst = RoleDefinition(
        name: "technical_analyst", stage: .analysis,
        instruction: """
            You are the technical analyst of a trading desk. From the indicators, list the symbols in a clear \
            uptrend or downtrend, and the ones stretched far enough to turn: oversold (likely to bounce) or \
            overbought (likely to fall back). Put a symbol in one list at most; leave out unclear ones.
            """,
        inputs: [.indicators],
        tools: [ToolName.indicators],
        output: .object([
            .init("uptrend", symbols), .init("downtrend", symbols),
            .init("oversold", symbols), .init("overbought", symbols),
            rationale,
        ]),
        sampling: SamplingSettings(maxTokens: 128),
        summary: "indicator results → trend and mean-reversion signals per symbol")

    /// Weighs the reports and the book into views and a risk appetite; the optimiser sizes them.
    public static let portfolioManager = RoleDefinition(
        name: "portfolio_manager", stage: .decision,
        instruction: """
            You are the portfolio manager of a trading desk. Weigh the analysts' reports and the book. Name the \
            symbols to over-weight and to under-weight, how confident you are (0 to 1), and your risk appetite: \
            the share of capital to invest (0 = all cash, 1 = fully invested). A sizing tool turns your views \
            into weights within the desk's risk limits.
            """,
        inputs: [.reports(roles: nil), .book, .exposure],
        tools: [ToolName.book, ToolName.exposure, ToolName.optimizer],
        output: .object([
            .init("overweight", symbols), .init("underweight", symbols),
            .init("confidence", unit), .init("risk_appetite", unit),
            rationale,
        ]),
        sampling: SamplingSettings(maxTokens: 128),
        summary: "analysts' reports, book and risk → views and risk appetite; the optimiser sizes them")

    /// Chooses how to trade the planned move: order types, limit prices, slicing.
    public static let executionTrader = RoleDefinition(
        name: "execution_trader", stage: .execution,
        instruction: """
            You are the execution trader of a trading desk. For each trade in the plan choose a market order, or a \
            limit order with a limit price near the close, and over how many days (1 to 5) to spread it when it \
            is large next to the daily volume. Quantities come from the plan; you cannot change them.
            """,
        inputs: [.plan],
        tools: ToolName.orderAPI,
        output: .object(properties: [
            .init("orders", .array(items: .object(properties: [
                .init("symbol", .symbol),
                .init("type", .choice(["market", "limit"])),
                .init("limit_price", .number(minimum: 0, maximum: nil)),
                .init("days", .integer(minimum: 1, maximum: 5)),
            ], required: ["symbol", "type", "days"]), minItems: 0, maxItems: 10)),
            rationale,
        ], required: ["orders", "rationale"]),
        sampling: SamplingSettings(maxTokens: 200),
        summary: "target vs current book, prices and volumes → orders (type, limit price, slicing)")

    /// Reviews the planned move against the book; may veto or scale it.
    public static let riskManager = RoleDefinition(
        name: "risk_manager", stage: .review,
        instruction: """
            You are the risk manager of a trading desk. Check the planned trades against the book and its risk. \
            Approve them, scale them down (scale: the share of the move to keep, 0 to 1), or veto them, and give \
            the reason in one sentence.
            """,
        inputs: [.plan, .book, .exposure],
        tools: [ToolName.book, ToolName.exposure],
        output: .object(properties: [
            .init("action", .choice(["approve", "scale", "veto"])),
            .init("scale", unit),
            .init("reason", .text(maxLength: 160)),
        ], required: ["action", "reason"]),
        sampling: SamplingSettings(maxTokens: 80),
        summary: "proposed orders and the book → approve, scale or veto with a reason (optional)")

    public static let all = [newsAnalyst, technicalAnalyst, portfolioManager, executionTrader, riskManager]
}
