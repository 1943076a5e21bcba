// The signing secret: shown only on request, copied to the clipboard, rotated after confirmation.

import { useState } from "hono/jsx/dom";
import { appPath, can, get, request } from "./api";
import { ConfirmDialog, ErrorAlert } from "./ui";

export function SecretPanel(props: { endpointId: string }) {
  const path = appPath(`/endpoint/${encodeURIComponent(props.endpointId)}/secret`);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [confirming, setConfirming] = useState(false);

  const fetchSecret = async () => (await get<{ key: string }>(path)).key;
  const run = async (action: () => Promise<void>) => {
    try {
      await action();
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  const reveal = () => run(async () => setSecret(await fetchSecret()));
  const copy = () =>
    run(async () => {
      const key = secret ?? (await fetchSecret());
      await navigator.clipboard.writeText(key);
      setNote("Secret copied to the clipboard.");
    });
  const rotate = () =>
    run(async () => {
      setConfirming(false);
      await request("POST", `${path}/rotate`, {});
      setNote("Secret rotated. The previous secret stays valid for 24 hours.");
      if (secret !== null) setSecret(await fetchSecret());
    });

  return (
    <section class="card">
      <h2>Signing secret</h2>
      <p class="hint">Verify each webhook's signature with this secret.</p>
      {secret !== null ? (
        <code class="secret" role="note" aria-label="Signing secret">
          {secret}
        </code>
      ) : (
        <code class="secret masked" aria-hidden="true">
          whsec_••••••••••••••••••••••••
        </code>
      )}
      <div class="actions">
        {secret === null ? (
          <button type="button" onClick={reveal}>
            Reveal secret
          </button>
        ) : (
          <button type="button" onClick={() => setSecret(null)}>
            Hide secret
          </button>
        )}
        <button type="button" onClick={copy}>
          Copy secret
        </button>
        {can("rotateSecret") && (
          <button type="button" onClick={() => setConfirming(true)}>
            Rotate secret
          </button>
        )}
      </div>
      <p aria-live="polite">{note}</p>
      <ErrorAlert error={error} />
      <ConfirmDialog
        open={confirming}
        title="Rotate the secret?"
        text="A new secret signs every delivery from now on; the current one stays valid for 24 hours so you can update your verification."
        confirmLabel="Rotate"
        onConfirm={rotate}
        onClose={() => setConfirming(false)}
      />
    </section>
  );
}
