import type { InspectionCode } from "./inspection-code.js";

/** The inspector's one typed error: a refusal with its code and a message in words. */
export class ImageRefusal extends Error {
  override readonly name = "ImageRefusal";
  constructor(
    readonly code: InspectionCode,
    message: string,
  ) {
    super(message);
  }
}
