import { type ApplicationRow, getApplicationById } from "../db/applications";
import { type EndpointRow, listAppEndpoints } from "../db/endpoints";

// A log object's copy of its application's configuration (D1 stays the source of truth). The
// API calls `invalidate` on every shard after each committed change to the application or its
// endpoints, before it answers, so the next message accepted after that answer fans out by the
// new configuration: there is no stale window. MAX_AGE_MS only bounds how long a copy can
// outlive a change made behind the API's back (a D1 console edit).
const MAX_AGE_MS = 5 * 60_000;

export interface AppConfig {
  app: ApplicationRow | null;
  endpoints: Map<string, EndpointRow>;
  loadedAt: number;
}

export class ConfigCache {
  private generation = 0;
  private current: { gen: number; config: AppConfig } | null = null;
  private loading: { gen: number; promise: Promise<AppConfig> } | null = null;

  constructor(private readonly db: D1Database) {}

  invalidate(): void {
    this.generation++;
    this.current = null;
  }

  /** The configuration as of the latest invalidation; loads from D1 when needed. */
  async get(appId: string): Promise<AppConfig> {
    const gen = this.generation;
    if (this.current && this.current.gen === gen && Date.now() - this.current.config.loadedAt < MAX_AGE_MS) {
      return this.current.config;
    }
    if (this.loading?.gen !== gen) {
      const promise = this.load(appId).then((config) => {
        if (this.generation === gen) this.current = { gen, config };
        return config;
      });
      // Once settled, the next copy past MAX_AGE_MS (or after a failure) is loaded afresh.
      const settled = () => {
        if (this.loading?.promise === promise) this.loading = null;
      };
      promise.then(settled, settled);
      this.loading = { gen, promise };
    }
    return this.loading.promise;
  }

  private async load(appId: string): Promise<AppConfig> {
    const [app, endpoints] = await Promise.all([
      getApplicationById(this.db, appId),
      listAppEndpoints(this.db, appId),
    ]);
    return { app, endpoints: new Map(endpoints.map((e) => [e.id, e])), loadedAt: Date.now() };
  }
}
