import { describe, expect, it } from "vitest";
import { api, createApp, json } from "../helpers";
import { createEventType, RECEIVER } from "./delivery-fixtures";

// svix-react and older Svix clients send an endpoint's event type filter as `filterTypes`, with
// `[]` for "all event types"; Edgehook reads it as an alias of `eventTypes`.

type Endpoint = { id: string; eventTypes: string[] | null };
type Page<T> = { data: T[] };

describe("endpoint filterTypes", () => {
  it("creates with filterTypes: [] as all event types, and with names as eventTypes", async () => {
    const app = await createApp();
    const base = `/api/v1/app/${app.id}/endpoint`;
    const all = await api("POST", base, { url: RECEIVER, filterTypes: [] });
    expect(all.status).toBe(201);
    expect((await json<Endpoint>(all)).eventTypes).toBeNull();
    const type = await createEventType();
    const some = await api("POST", base, { url: RECEIVER, filterTypes: [type] });
    expect(some.status).toBe(201);
    expect((await json<Endpoint>(some)).eventTypes).toEqual([type]);
    const same = await api("POST", base, { url: RECEIVER, filterTypes: [type], eventTypes: [type] });
    expect(same.status).toBe(201);
  });

  it("refuses filterTypes and eventTypes that differ (422), and unknown names, writing nothing", async () => {
    const app = await createApp();
    const base = `/api/v1/app/${app.id}/endpoint`;
    const [a, b] = [await createEventType(), await createEventType()];
    const differ = await api("POST", base, { url: RECEIVER, filterTypes: [a], eventTypes: [b] });
    expect(differ.status).toBe(422);
    expect(await json(differ)).toMatchObject({ detail: [{ loc: ["body", "filterTypes"] }] });
    expect((await api("POST", base, { url: RECEIVER, filterTypes: [], eventTypes: [a] })).status).toBe(422);
    expect((await api("POST", base, { url: RECEIVER, filterTypes: ["no.such.type"] })).status).toBe(422);
    expect((await api("POST", base, { url: RECEIVER, filterTypes: [a, a] })).status).toBe(422);
    expect((await json<Page<Endpoint>>(await api("GET", base))).data).toEqual([]);
  });

  it("updates and patches through filterTypes", async () => {
    const app = await createApp();
    const type = await createEventType();
    const created = await json<Endpoint>(
      await api("POST", `/api/v1/app/${app.id}/endpoint`, { url: RECEIVER, eventTypes: [type] }),
    );
    const path = `/api/v1/app/${app.id}/endpoint/${created.id}`;
    const patched = await api("PATCH", path, { filterTypes: [] });
    expect(patched.status).toBe(200);
    expect((await json<Endpoint>(patched)).eventTypes).toBeNull();
    const put = await api("PUT", path, { url: RECEIVER, filterTypes: [type] });
    expect(put.status).toBe(200);
    expect((await json<Endpoint>(put)).eventTypes).toEqual([type]);
    const cleared = await api("PUT", path, { url: RECEIVER, filterTypes: [] });
    expect((await json<Endpoint>(cleared)).eventTypes).toBeNull();
    const differ = await api("PATCH", path, { filterTypes: [type], eventTypes: null });
    expect(differ.status).toBe(422);
    expect((await json<Endpoint>(await api("GET", path))).eventTypes).toBeNull();
  });
});
