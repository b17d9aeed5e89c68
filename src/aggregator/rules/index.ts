/** Billing-side rules from DOMAIN.md as pure functions: statuses, consumption, screening, estimates, periods. */
export { STATUS_CODES, isStatusCode, parseStatus, statusInfo, type StatusCode, type StatusInfo, type ConsumptionRule } from './status-codes.js';
export { consumption, swapConsumption, type ConsumptionInput, type ConsumptionResult, type SwapInput, type SwapResult } from './consumption.js';
export { screenConsumption, resolveThresholds, type ScreeningBand, type ScreeningInput, type ScreeningOptions, type ScreeningResult, type ScreeningThresholds } from './screening.js';
export { estimateRead, estimatesInARow, onFailedRead, MAX_ESTIMATES_IN_A_ROW, type EstimateBasis, type EstimateInput, type EstimateResult, type FailedReadAction } from './estimate.js';
export { billingPeriod, periodDays, type BillingPeriod, type DateInput } from './period.js';
export { parseLocalDateTime, normalizeLocalDateTime, formatLocalDate, formatLocalDateTime, toLocalDate, daysInMonth, VN_UTC_OFFSET_MINUTES, type LocalDate, type LocalDateTime } from './local-time.js';
export { parseDecimal, canonicalDecimal, formatDecimal, isDecimalText, roundHalfAwayFromZero, type Decimal, type DecimalInput } from './decimal.js';
