import { parseJson } from "../lib/json";

/** What fan-out needs of an endpoint. */
export interface FanoutEndpoint {
  id: string;
  disabled: number;
  event_types: string | null;
  channels: string | null;
}

/** Whether an endpoint's filters select a message of this type and channels. */
export function endpointMatches(
  ep: FanoutEndpoint,
  eventType: string,
  channels: readonly string[] | null,
): boolean {
  const types = parseJson<string[] | null>(ep.event_types, null);
  if (types && types.length > 0 && !types.includes(eventType)) return false;
  const epChannels = parseJson<string[] | null>(ep.channels, null);
  if (epChannels && epChannels.length > 0) {
    // An endpoint listening on channels only receives messages sent on one of them.
    if (!channels?.some((c) => epChannels.includes(c))) return false;
  }
  return true;
}

/** The enabled endpoints a message goes to, in id order. */
export function fanOut(
  endpoints: Iterable<FanoutEndpoint>,
  eventType: string,
  channels: readonly string[] | null,
): string[] {
  const ids: string[] = [];
  for (const ep of endpoints) {
    if (!ep.disabled && endpointMatches(ep, eventType, channels)) ids.push(ep.id);
  }
  return ids.sort();
}
