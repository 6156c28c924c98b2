/** Output names become file names; keep them to a safe, portable alphabet. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function assertName(builder: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(
      `${builder}: name ${JSON.stringify(name)} must be 1-100 characters of letters, digits, '.', '_' or '-' (it names the output file)`,
    );
  }
}
