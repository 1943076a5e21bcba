// The app's frame: navigation, the current view (in memory and in history entries under
// /portal), the event-type catalog every view shares, and the "session ended" state.

import { useEffect, useState } from "hono/jsx/dom";
import { getAll, onSessionEnd } from "./api";
import { Catalog } from "./catalog";
import { EndpointDetail } from "./endpoint-detail";
import { Endpoints } from "./endpoints";
import { MessagePage } from "./message";
import { Messages } from "./messages";
import { pathFor, type View, viewFor } from "./nav";
import type { EventTypeOut } from "./types";
import { ErrorAlert, useLoad, ViewLink } from "./ui";

const SESSION_ENDED =
  "Your session has ended or this link is not valid. Please open the portal again from your dashboard.";

export function App(props: { hasSession: boolean }) {
  const [ended, setEnded] = useState(!props.hasSession);
  const [view, setView] = useState<View>(() => viewFor(window.location.pathname));
  useEffect(() => onSessionEnd(() => setEnded(true)), []);

  useEffect(() => {
    const onPop = () => setView(viewFor(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const go = (next: View) => {
    window.history.pushState(null, "", pathFor(next) + window.location.search);
    setView(next);
    window.scrollTo(0, 0);
  };

  if (ended) {
    return (
      <main class="page">
        <h1>Webhooks</h1>
        <p class="alert" role="alert">
          {SESSION_ENDED}
        </p>
      </main>
    );
  }
  return <Portal view={view} go={go} />;
}

function Portal(props: { view: View; go: (v: View) => void }) {
  const { view, go } = props;
  const catalog = useLoad(() => getAll<EventTypeOut>("/api/v1/event-type?with_content=true"), []);
  const eventTypes = (catalog.data ?? []).filter((t) => !t.archived);
  const section = view.name === "endpoint" ? "endpoints" : view.name === "message" ? "messages" : view.name;
  return (
    <div class="page">
      <header class="top">
        <span class="brand">Webhooks</span>
        <nav aria-label="Portal">
          <ViewLink go={go} view={{ name: "endpoints" }} current={section === "endpoints"}>
            Endpoints
          </ViewLink>
          <ViewLink go={go} view={{ name: "messages" }} current={section === "messages"}>
            Messages
          </ViewLink>
          <ViewLink go={go} view={{ name: "catalog" }} current={section === "catalog"}>
            Event catalog
          </ViewLink>
        </nav>
      </header>
      <main>
        <ErrorAlert error={catalog.error} />
        {view.name === "endpoints" && <Endpoints go={go} eventTypes={eventTypes} />}
        {view.name === "endpoint" && <EndpointDetail id={view.id} go={go} eventTypes={eventTypes} />}
        {view.name === "messages" && <Messages go={go} eventTypes={eventTypes} />}
        {view.name === "message" && <MessagePage id={view.id} go={go} />}
        {view.name === "catalog" && <Catalog eventTypes={eventTypes} loading={catalog.loading} />}
      </main>
    </div>
  );
}
