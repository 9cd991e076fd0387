/**
 * Every error qo-validate throws on purpose is a `ValidateError`: the CLI prints its message as one
 * line and exits 2. Model mismatches are never errors: they are failing checks in the report.
 */
export class ValidateError extends Error {
  override name = 'ValidateError';
}

/** Bad command-line arguments. */
export class UsageError extends ValidateError {
  override name = 'UsageError';
}

/** A fixture directory is missing a file, or a file does not follow qo-reference-1. */
export class FixtureError extends ValidateError {
  override name = 'FixtureError';
  constructor(
    /** The file (or directory) at fault. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** The fixture is well-formed but asks for a kind or model_type this checker cannot run. */
export class UnsupportedFixtureError extends ValidateError {
  override name = 'UnsupportedFixtureError';
}

/** The requested device has no backend yet. */
export class DeviceUnavailableError extends ValidateError {
  override name = 'DeviceUnavailableError';
}
