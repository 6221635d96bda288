import { planDirect } from "./plan-direct.js";
import { proveFreeRanges } from "./prove-free-ranges.js";
import type { DirectProver } from "./run-direct.js";

/** The free-space proof every DIRECT job uses: the plan from the partition table, two readers per filesystem. */
export const directProver: DirectProver = {
  plan: planDirect,
  prove: (view, signal) => proveFreeRanges(view, signal),
};
