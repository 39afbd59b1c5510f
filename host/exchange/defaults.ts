/** Cover pickup rounds over the exchange servers: one every 10 minutes on average per MSS (docs/exchange.md §6). */
export const DEFAULT_EXCHANGE_COVER_MEAN_SEC = 600;
