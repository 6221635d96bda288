import { Init1795596224961 } from "./1795596224961-Init.js";

/** Every migration, in order. Generated with `typeorm migration:generate`, never synchronize. */
export const migrations = [Init1795596224961];
