// Disk enums stored in the database live in entities/enums.ts; src/host, which may not import
// entities, reads them from here.
export { AllocationSource, DiskAllocation, DiskFormat } from "../entities/enums.js";
