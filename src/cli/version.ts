/** Conveyor's version, printed by `--version`, recorded in SARIF logs and in `--cache` keys. */
export const VERSION = '0.1.0';
