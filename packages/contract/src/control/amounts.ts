/**
 * `name=amount,…` with `*=amount` for every other name: the form of `TENANT_BUDGETS_USD_PER_DAY`
 * and `IMAGEN_PRICES_USD`. Throws naming the bad entry; the caller reports it as a config problem.
 */
export interface AmountTable {
  byName: Record<string, number>;
  /** The `*` entry; null = names not listed have none. */
  fallback: number | null;
}

export function parseAmounts(value: string | undefined): AmountTable {
  const table: AmountTable = { byName: {}, fallback: null };
  if (!value || value.trim() === '') return table;
  for (const [index, entry] of value.split(',').entries()) {
    const at = entry.lastIndexOf('=');
    const name = entry.slice(0, at).trim();
    const amount = Number(entry.slice(at + 1).trim());
    if (
      at < 1 ||
      !/^[A-Za-z0-9_./*:-]{1,128}$/.test(name) ||
      !Number.isFinite(amount) ||
      amount < 0
    ) {
      throw new Error(`entry ${index} must be name=amount (amount a number >= 0)`);
    }
    if (name === '*') table.fallback = amount;
    else table.byName[name] = amount;
  }
  return table;
}

export function amountFor(table: AmountTable, name: string): number | null {
  return table.byName[name] ?? table.fallback;
}
