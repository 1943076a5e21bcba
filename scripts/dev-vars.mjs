// Writes .dev.vars with local development values when it is missing (run by `npm run dev`
// through dev-setup.mjs, and by .ci/run). These values are public: they are for a gateway on
// this machine only. .dev.vars.example lists the secret names with no values, because the
// Deploy to Cloudflare button asks for what it lists, pre-filled with its values.
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const LOCAL_VALUES = `# Local development values written by scripts/dev-vars.mjs. Never use these in production
# (README "Deploy" sets real ones).
ADMIN_TOKEN=dev-admin-token
# base64 of 32 bytes; generate a real one with: openssl rand -base64 32
ENCRYPTION_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
# To try a key rotation (README "Rotating the encryption key"): a keyring, newest key first,
# the key above listed as "default"; \`npm run dev -- --test-scheduled\`, then open /__scheduled
# to run the re-encryption.
# ENCRYPTION_KEYS=k2:CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=,default:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
ALLOW_PRIVATE_DESTINATIONS=true
OPERATIONAL_WEBHOOK_SECRET=whsec_ZGV2LW9wZXJhdGlvbmFsLXdlYmhvb2stc2VjcmV0
`;

/** Creates .dev.vars in `dir` unless it exists; true when it wrote one. */
export function ensureDevVars(path = ".dev.vars") {
  if (existsSync(path)) return false;
  writeFileSync(path, LOCAL_VALUES);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && ensureDevVars()) {
  console.log("created .dev.vars (local development values)");
}
