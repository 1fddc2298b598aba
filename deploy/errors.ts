/** The one error the deployment code raises for a setting it cannot work with. */

/** A deployment setting that cannot work; the message says what, `hint` what to set instead. */
export class DeploymentSettingsError extends Error {
  readonly hint: string;
  constructor(what: string, hint: string) {
    super(`${what} (${hint})`);
    this.name = "DeploymentSettingsError";
    this.hint = hint;
  }
}
