/**
 * One configuration problem, with where it is.
 */
export interface ConfigIssue {
  /** Dotted path of the key (`dicom.port`), or the env var / flag that carried it. */
  readonly path: string;
  readonly message: string;
}
