// SPDX-License-Identifier: Apache-2.0
// Strict reading of numbers typed as text (flags, environment, query strings): plain decimal notation only,
// so "", "0x10", "Infinity" and "1e" are refused instead of becoming 0, 16, Infinity or NaN.

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a decimal text denotes (surrounding spaces ignored); undefined when it is not one. */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
