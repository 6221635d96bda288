import type { ValueTransformer } from "typeorm";

/**
 * pg returns BIGINT as a string so no precision is ever lost; byte counts stay far below 2^53
 * (8 PiB), so we carry them as numbers and refuse anything that is not a safe integer.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => {
    if (value === null || value === undefined) return null;
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${value} is not a safe integer`);
    return n;
  },
};
