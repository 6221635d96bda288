/** What a non-admin reads where a message named an absolute host path. */
export const HIDDEN_PATH = "[host path]";

/**
 * An absolute path: a "/" that starts a word (not "KVM/TCG", "10/20" or the "//" of a URL) and
 * runs to whitespace, a quote, a bracket or a comma / semicolon / colon that ends a clause.
 */
const ABSOLUTE_PATH = /(?<![\w.~:/\\-])\/[^\s'"`()<>[\]{},;]*?(?=$|[\s'"`()<>[\]{},;]|:(?:\s|$))/g;

/**
 * The message with every absolute host path replaced by {@link HIDDEN_PATH}: messages stay in
 * words for viewers while the host's layout (storage roots, mount points, tool locations) does not
 * reach them. A path with a space in it is hidden up to the space.
 */
export function redactHostPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (match) => (match === "/" ? match : HIDDEN_PATH));
}
