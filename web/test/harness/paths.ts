import path from "node:path";

export const WEB_DIR = path.resolve(import.meta.dirname, "../..");
export const REPO_ROOT = path.resolve(WEB_DIR, "..");
/** Screenshots and logs of the browser tests (gitignored). */
export const RESULTS_DIR = path.join(WEB_DIR, "test-results");
