// The API's answers as the page reads them (the subset it shows).

export interface EndpointOut {
  id: string;
  url: string;
  description: string;
  throttleRate: number | null;
  disabled: boolean;
  eventTypes: string[] | null;
  channels: string[] | null;
  createdAt: string;
  /** Edgehook extensions (may be absent on an older worker). */
  disabledReason?: string | null;
  failingSince?: string | null;
}

export interface AttemptOut {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  status: number;
  timestamp: string;
}

export interface MessageOut {
  id: string;
  eventType: string;
  eventId?: string | null;
  payload?: unknown;
  timestamp: string;
  channels?: string[] | null;
  /** On an endpoint's message list: the delivery's status to that endpoint. */
  status?: number;
}

export interface EventTypeOut {
  name: string;
  description: string;
  schemas?: Record<string, unknown> | null;
  deprecated?: boolean;
  archived?: boolean;
}

export interface DestinationOut {
  id: string;
  url: string;
  status: number;
  nextAttempt?: string | null;
}

export interface BackgroundTaskOut {
  id: string;
  status: "running" | "finished" | "failed";
  /** Absent from the recover call's answer (RecoverOut); the task's GET has it. */
  data?: Record<string, unknown>;
}

export interface HeadersOut {
  headers: Record<string, string>;
  sensitive?: string[];
}
