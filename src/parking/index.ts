// Parking tariff engine: CDS Curbs JSON in, quotes out. Pure: no I/O.
export { parseTariffs, type ParseResult } from './parse';
export { quote, MINUTES_MAX, type QuoteLine, type QuoteRequest, type QuoteResult, type RefusalReason } from './quote';
export type { Tariffs, TariffError } from './types';
