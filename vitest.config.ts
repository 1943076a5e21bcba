import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Five projects: "workers" runs unit and integration tests inside workerd with the real
// D1, Queue and Durable Object bindings from wrangler.toml; "e2e" runs in Node against the
// worker started by wrangler, with real HTTP receivers and the official client libraries;
// "browser" drives pages of that worker in headless Chromium (test/browser/support.ts);
// "deploy" runs scripts/deploy.mjs in Node against a fake wrangler (test/deploy/); "relay" runs
// the egress relay (relay/, a separate Node program) against local receivers.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                ALLOW_PRIVATE_DESTINATIONS: "false",
                OPERATIONAL_WEBHOOK_SECRET: "whsec_dGVzdC1vcGVyYXRpb25hbC1zZWNyZXQtMTIzNDU2",
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                // test/integration/fuzz.test.ts: runs per operation and seed (README, Testing).
                FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
                FUZZ_SEED: process.env.FUZZ_SEED ?? "",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
          setupFiles: ["./test/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "browser",
          environment: "node",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "deploy",
          environment: "node",
          include: ["test/deploy/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "relay",
          environment: "node",
          include: ["relay/test/**/*.test.mjs"],
        },
      },
    ],
  },
});
