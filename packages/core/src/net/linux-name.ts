// Names that reach `ip` and `nft` as arguments: interface, bridge and namespace names.

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_LINUX_NAME_LENGTH = 15;

// Letters, digits and . _ - only: no '/', whitespace, quotes or shell metacharacters, and a
// leading letter or digit so that a name never reads as a command-line option.
const LINUX_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Returns why `name` is not a valid Linux interface/bridge/namespace name, or undefined. */
export function linuxNameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > MAX_LINUX_NAME_LENGTH) {
    return `is ${name.length} characters; Linux names are at most ${MAX_LINUX_NAME_LENGTH}`;
  }
  if (name === "." || name === "..") return "is not a name";
  if (!LINUX_NAME.test(name)) {
    const bad = [...name].find(
      (c, i) => !/[A-Za-z0-9._-]/.test(c) || (i === 0 && !/[A-Za-z0-9]/.test(c)),
    );
    const shown = bad === undefined ? "" : ` (${JSON.stringify(bad)})`;
    return `has a character not allowed in a Linux name${shown}; use letters, digits, '.', '_' and '-', starting with a letter or digit`;
  }
  return undefined;
}

export function isLinuxName(name: string): boolean {
  return linuxNameProblem(name) === undefined;
}
