import { Init1795596224961 } from "./1795596224961-Init.js";
import { ApiTokens1795598726493 } from "./1795598726493-ApiTokens.js";
import { ReclaimIntelligence1795599570700 } from "./1795599570700-ReclaimIntelligence.js";
import { PathGuard1795976083668 } from "./1795976083668-PathGuard.js";

/** Every migration, in order. Generated with `typeorm migration:generate`, never synchronize. */
export const migrations = [Init1795596224961, ApiTokens1795598726493, ReclaimIntelligence1795599570700, PathGuard1795976083668];
