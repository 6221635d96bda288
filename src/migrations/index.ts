import { Init1795596224961 } from "./1795596224961-Init.js";
import { ApiTokens1795598726493 } from "./1795598726493-ApiTokens.js";
import { ReclaimIntelligence1795599570700 } from "./1795599570700-ReclaimIntelligence.js";
import { LibvirtVms1795976049080 } from "./1795976049080-LibvirtVms.js";
import { PathGuard1795976083668 } from "./1795976083668-PathGuard.js";
import { ContractEnums1795976087596 } from "./1795976087596-ContractEnums.js";
import { ImageInspector1795976314305 } from "./1795976314305-ImageInspector.js";
import { RunStillAlive1795976494946 } from "./1795976494946-RunStillAlive.js";
import { DiskListIndexes1795976700000 } from "./1795976700000-DiskListIndexes.js";
import { DirectMethod1795977000000 } from "./1795977000000-DirectMethod.js";

/** Every migration, in order. Generated with `typeorm migration:generate`, never synchronize. */
export const migrations = [Init1795596224961, ApiTokens1795598726493, ReclaimIntelligence1795599570700, LibvirtVms1795976049080, PathGuard1795976083668, ContractEnums1795976087596, ImageInspector1795976314305, RunStillAlive1795976494946, DiskListIndexes1795976700000, DirectMethod1795977000000];
